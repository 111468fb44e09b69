"""Reading a bulk-award CSV: one row per student, badge and level (pure, sync).

A file that cannot be read at all (encoding, header, size) raises :class:`InvalidCsvError`. Otherwise
every row is either accepted (:class:`AwardRow`) or rejected with the reason (:class:`RejectedRow`),
numbered as a spreadsheet shows it (the header is row 1), so a teacher can fix the rows and upload the
same file again: the service keys each award on the learner's person id, so nothing is issued twice.

Format (RFC 4180, https://www.rfc-editor.org/rfc/rfc4180): a header row, then data rows. Columns, in
any order, names case-insensitive: ``student`` (e-mail address or DID), ``badge`` (definition slug),
``level`` (1-4), and optionally ``comment``, ``evidence_url`` (http or https), ``evidence_name``.
Commas, semicolons (Excel in many European locales) or tabs separate the values.
"""

from __future__ import annotations

import csv
import difflib
import hashlib
import io
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from issuer.errors import BadgeNotFoundError, InvalidAwardError, InvalidCsvError, InvalidRequestError
from issuer.issuance import attesting_role, award_key, check_recipient, check_text

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator

    from issuer.definitions import BadgeDefinition

MAX_CSV_BYTES = 5 * 1024 * 1024
MAX_CSV_ROWS = 20_000
REQUIRED_COLUMNS = ("student", "badge", "level")
OPTIONAL_COLUMNS = ("comment", "evidence_url", "evidence_name")
COLUMNS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS
# Longest values kept; longer ones are refused rather than cut, since they end up in a signed credential.
MAX_LENGTHS = {"comment": 2000, "evidence_url": 2048, "evidence_name": 200}
# RFC 5321 §4.5.3.1: a forward-path holds at most 256 octets, so an address at most 254 characters.
MAX_EMAIL_CHARS = 254
MAX_DID_CHARS = 500
MAX_REPORTED_VALUE = 120
SAVE_AS = "save it from your spreadsheet as 'CSV UTF-8 (comma delimited)'"
_LEVEL = re.compile(r"[0-9]{1,3}")
_DELIMITERS = (",", ";", "\t")
# OWASP "CSV Injection": a cell starting with one of these is run as a formula by spreadsheet programs.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class AwardRow:
    """A row that can be awarded.

    Attributes:
        row_number: As a spreadsheet shows it (the header is row 1).
        student: The e-mail address (lower-cased) or the DID (as written).
        badge: The definition slug.
        definition: The badge definition the slug named.
        level: 1-4, allowed by the definition for the uploader's role.
        comment: The teacher's comment, or None.
        evidence_url: An http(s) URL, or None.
        evidence_name: A name for that evidence, or None.
        attester_role: The role the uploader attests this badge in (:func:`issuer.issuance.attesting_role`).
        file_key: :func:`issuer.issuance.award_key` over the cell as written: it finds the same award in
            files, *not* the service's key (which is over the learner's person id).
    """

    row_number: int
    student: str
    badge: str
    definition: BadgeDefinition = field(repr=False)  # long; the slug says which
    level: int
    comment: str | None
    evidence_url: str | None
    evidence_name: str | None
    attester_role: str
    file_key: str


@dataclass(frozen=True)
class RejectedRow:
    """A row that cannot be awarded, and why (the first problem found, in column order).

    Attributes:
        row_number: As a spreadsheet shows it (the header is row 1).
        column: The column at fault ("" when it is the row as a whole).
        value: The value at fault, cut to 120 characters.
        message: What is wrong, for the teacher.
    """

    row_number: int
    column: str
    value: str
    message: str


@dataclass(frozen=True)
class AwardSheet:
    """A read CSV file.

    Attributes:
        rows: Accepted rows, in file order.
        rejected: Rejected rows, in file order.
        sha256: Hex SHA-256 of the file's bytes, to recognise the same upload again.
        total: Non-blank data rows; always ``len(rows) + len(rejected)``.
    """

    rows: tuple[AwardRow, ...]
    rejected: tuple[RejectedRow, ...]
    sha256: str
    total: int


class _RowError(Exception):
    """One row's problem; becomes a RejectedRow (never leaves this module)."""

    def __init__(self, column: str, value: str, message: str) -> None:
        super().__init__(message)
        self.column = column
        self.value = value
        self.message = message


def read_award_csv(
    data: bytes,
    *,
    catalog_lookup: Callable[[str], BadgeDefinition],
    attester_role: str,
    max_bytes: int = MAX_CSV_BYTES,
    max_rows: int = MAX_CSV_ROWS,
) -> AwardSheet:
    """Read a bulk-award CSV, checking every row against the catalogue and the uploader's role.

    Args:
        data: The file's bytes: UTF-8, with or without a byte order mark.
        catalog_lookup: Slug -> definition; raises :class:`BadgeNotFoundError` for an unknown slug.
        attester_role: The uploader's staff role (``teacher`` or ``admin``); each row attests in the role
            :func:`issuer.issuance.attesting_role` gives for its badge, or is rejected.
        max_bytes: Largest file accepted.
        max_rows: Most data rows accepted (blank rows not counted).

    Returns:
        Accepted and rejected rows; a row's problems never stop the others being read.

    Raises:
        InvalidCsvError: the file as a whole cannot be read: too large, empty, not UTF-8 text, NUL
            bytes, no header, unknown, repeated or missing columns, a broken quoted value, too many rows.
    """
    text = _decode(data, max_bytes=max_bytes)
    records = _records(text)
    header = _header(records)
    columns = _columns(header)
    accepted: list[AwardRow] = []
    rejected: list[RejectedRow] = []
    seen: dict[tuple[str, str], AwardRow] = {}
    for row_number, record in records:
        cells = [cell.strip() for cell in record]
        if not any(cells):
            continue  # blank line, or a spreadsheet's empty row of delimiters
        if len(accepted) + len(rejected) == max_rows:
            raise InvalidCsvError(f"the file has more than {max_rows:,} rows; split it into several files")
        try:
            row = _award_row(
                row_number, cells, columns, catalog_lookup=catalog_lookup, attester_role=attester_role
            )
            _check_repeat(row, seen)
        except _RowError as problem:
            rejected.append(RejectedRow(row_number, problem.column, _cut(problem.value), problem.message))
            continue
        seen[(row.student, row.badge)] = row
        accepted.append(row)
    return AwardSheet(
        rows=tuple(accepted),
        rejected=tuple(rejected),
        sha256=hashlib.sha256(data).hexdigest(),
        total=len(accepted) + len(rejected),
    )


def rejected_rows_csv(rejected: Iterable[RejectedRow]) -> str:
    """A CSV report of rejected rows (row, column, value, message) for a teacher to open in a spreadsheet.

    Cells that a spreadsheet would run as a formula (starting with = + - @ tab or CR) get a leading
    apostrophe (OWASP CSV Injection). The text starts with a byte order mark so Excel reads it as UTF-8.
    """
    out = io.StringIO(newline="")
    out.write("\ufeff")
    writer = csv.writer(out, quoting=csv.QUOTE_ALL)
    writer.writerow(("row", "column", "value", "message"))
    for row in rejected:
        writer.writerow(
            (
                row.row_number,
                neutralise_cell(row.column),
                neutralise_cell(row.value),
                neutralise_cell(row.message),
            )
        )
    return out.getvalue()


def _decode(data: bytes, *, max_bytes: int) -> str:
    if len(data) > max_bytes:
        raise InvalidCsvError(
            f"the file is {len(data):,} bytes; the most accepted is {max_bytes:,}: split it into several files"
        )
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InvalidCsvError(f"the file is UTF-16 ('Unicode text'), not UTF-8: {SAVE_AS}")
    if data.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        raise InvalidCsvError(f"this is a spreadsheet workbook (.xlsx or .xls), not a CSV file: {SAVE_AS}")
    if b"\x00" in data:
        line = data[: data.index(b"\x00")].count(b"\n") + 1
        raise InvalidCsvError(f"line {line} contains a NUL byte, so this is not a CSV text file: {SAVE_AS}")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        raise InvalidCsvError(f"line {line} is not UTF-8 text: {SAVE_AS}") from None
    if not text.strip():
        raise InvalidCsvError("the file is empty: expected a header row (student,badge,level) and data rows")
    return text


def _records(text: str) -> Iterator[tuple[int, list[str]]]:
    """(spreadsheet row number, cells) for each record, blank ones included so numbers match."""
    # Only CR and LF end a CSV line (str.splitlines would also split on form feeds and U+2028).
    first_line = next(line for line in re.split(r"\r\n|\r|\n", text) if line.strip())
    delimiter = max(_DELIMITERS, key=first_line.count)  # ties: the comma, listed first
    # strict: an unclosed quote is an error, not a value silently swallowing the rest of the file.
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    row_number = 0
    while True:
        first_line_of_record = reader.line_num + 1  # an unclosed quote is reported where it opened
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as err:
            raise InvalidCsvError(
                f"line {first_line_of_record}: cannot read it as CSV ({err}); "
                'a value that starts with a quote (") must end with one'
            ) from None
        row_number += 1
        yield row_number, record


def _header(records: Iterator[tuple[int, list[str]]]) -> list[str]:
    for _, record in records:
        if any(cell.strip() for cell in record):
            return [cell.strip().lower() for cell in record]
    raise InvalidCsvError("the file has no header row: only empty rows")


def _columns(header: list[str]) -> dict[str, int]:
    """Column name -> index. Empty header cells (a spreadsheet's trailing delimiters) are allowed."""
    named = [name for name in header if name]
    unknown = [name for name in named if name not in COLUMNS]
    if unknown:
        hints = []
        for name in unknown:
            close = difflib.get_close_matches(name, COLUMNS, n=1, cutoff=0.6)
            hints.append(f"'{name}'" + (f" (did you mean '{close[0]}'?)" if close else ""))
        raise InvalidCsvError(
            f"unknown column{'s' if len(unknown) > 1 else ''} {', '.join(hints)} in the header; "
            f"the columns are {', '.join(COLUMNS)}"
        )
    repeated = sorted({name for name in named if named.count(name) > 1})
    if repeated:
        raise InvalidCsvError(
            f"column {', '.join(repr(n) for n in repeated)} appears more than once in the header"
        )
    missing = [name for name in REQUIRED_COLUMNS if name not in named]
    if missing:
        raise InvalidCsvError(
            f"the header lacks the column{'s' if len(missing) > 1 else ''} {', '.join(missing)}; "
            f"the first row must name the columns, e.g. {','.join(REQUIRED_COLUMNS)}"
        )
    return {name: index for index, name in enumerate(header) if name}


def _award_row(
    row_number: int,
    cells: list[str],
    columns: dict[str, int],
    *,
    catalog_lookup: Callable[[str], BadgeDefinition],
    attester_role: str,
) -> AwardRow:
    named = set(columns.values())
    stray = [(index, value) for index, value in enumerate(cells) if value and index not in named]
    if stray:
        index, value = stray[0]
        raise _RowError(
            "",
            value,
            f"value in column {index + 1}, which has no name in the header "
            f"(the header has {len(named)} named columns)",
        )

    def cell(name: str) -> str:
        index = columns.get(name)
        return cells[index] if index is not None and index < len(cells) else ""

    student = _student(cell("student"))
    definition = _definition(cell("badge"), catalog_lookup)
    role = attesting_role({attester_role}, allowed=definition.attester_roles) or attester_role
    level = _level(cell("level"), definition, attester_role=role)
    evidence_url = _evidence_url(cell("evidence_url"))
    for name in ("comment", "evidence_name"):
        if len(cell(name)) > MAX_LENGTHS[name]:
            raise _RowError(name, cell(name), f"{name} is longer than {MAX_LENGTHS[name]} characters")
        _text(name, cell(name))
    return AwardRow(
        row_number=row_number,
        student=student,
        badge=definition.slug,
        definition=definition,
        level=level,
        comment=cell("comment") or None,
        evidence_url=evidence_url,
        evidence_name=cell("evidence_name") or None,
        attester_role=role,
        file_key=award_key(definition, level=level, student=student),
    )


def _text(column: str, value: str) -> None:
    try:
        check_text(value, column)
    except InvalidRequestError as err:
        raise _RowError(column, value, err.detail) from None


def _student(value: str) -> str:
    if not value:
        raise _RowError("student", value, "student is empty: give the student's e-mail address or DID")
    _text("student", value)
    is_did = value.startswith("did:")
    longest = MAX_DID_CHARS if is_did else MAX_EMAIL_CHARS
    if len(value) > longest:
        kind = "a DID" if is_did else "an e-mail address"
        raise _RowError(
            "student", value, f"student is {len(value):,} characters long; {kind} has at most {longest}"
        )
    try:
        check_recipient(value)
    except InvalidAwardError as err:
        raise _RowError("student", value, err.detail) from None
    return value if value.startswith("did:") else value.lower()


def _definition(value: str, catalog_lookup: Callable[[str], BadgeDefinition]) -> BadgeDefinition:
    if not value:
        raise _RowError("badge", value, "badge is empty: give the badge's short name (slug)")
    try:
        return catalog_lookup(value.lower())
    except BadgeNotFoundError as err:
        raise _RowError("badge", value, err.detail) from None


def _level(value: str, definition: BadgeDefinition, *, attester_role: str) -> int:
    if not value:
        raise _RowError("level", value, "level is empty: give the mastery level, 1 to 4")
    if _LEVEL.fullmatch(value) is None:
        raise _RowError("level", value, f"level {value!r} is not a whole number from 1 to 4")
    level = int(value)
    try:
        definition.check_award(level=level, attester_role=attester_role)
    except InvalidAwardError as err:
        raise _RowError("level", value, err.detail) from None
    return level


def _evidence_url(value: str) -> str | None:
    if not value:
        return None
    if len(value) > MAX_LENGTHS["evidence_url"]:
        raise _RowError(
            "evidence_url", value, f"evidence_url is longer than {MAX_LENGTHS['evidence_url']} characters"
        )
    try:
        parts = urlsplit(value)
        valid = parts.scheme.lower() in {"http", "https"} and bool(parts.hostname) and parts.port != 0
    except ValueError:  # a port that is not a number, a malformed IPv6 address
        valid = False
    if not valid or any(char.isspace() for char in value):
        raise _RowError(
            "evidence_url", value, "evidence_url must be a web address starting with https:// or http://"
        )
    return value


def _check_repeat(row: AwardRow, seen: dict[tuple[str, str], AwardRow]) -> None:
    # One award per student and badge in a file: the same level twice is a copy-paste slip, two levels
    # contradict each other (and the second would be refused when issued anyway).
    earlier = seen.get((row.student, row.badge))
    if earlier is None:
        return
    if earlier.level == row.level:
        message = f"repeats row {earlier.row_number} (same student, badge and level)"
    else:
        message = (
            f"row {earlier.row_number} already awards '{row.badge}' to this student at level "
            f"{earlier.level}; give one level per student and badge"
        )
    raise _RowError("", row.student, message)


def _cut(value: str) -> str:
    return value if len(value) <= MAX_REPORTED_VALUE else value[: MAX_REPORTED_VALUE - 1] + "…"


def neutralise_cell(cell: str) -> str:
    """A cell a spreadsheet would run as a formula (OWASP CSV Injection) gets a leading apostrophe."""
    return "'" + cell if cell.startswith(_FORMULA_START) else cell
