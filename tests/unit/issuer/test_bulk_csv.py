"""Bulk-award CSV files: whole-file errors, row-by-row verdicts, idempotency keys, the rejected-rows report."""

from __future__ import annotations

import csv
import hashlib
import io
import re
from typing import TYPE_CHECKING

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from issuer.bulk_csv import (
    AwardSheet,
    RejectedRow,
    read_award_csv,
    rejected_rows_csv,
)
from issuer.errors import InvalidCsvError
from issuer.issuance import award_key

if TYPE_CHECKING:
    from issuer.definitions import BadgeCatalog

HEADER = "student,badge,level,comment,evidence_url,evidence_name\n"


def _read(catalog: BadgeCatalog, text: str | bytes, *, role: str = "teacher", **limits: int) -> AwardSheet:
    data = text.encode() if isinstance(text, str) else text
    return read_award_csv(data, catalog_lookup=catalog.get, attester_role=role, **limits)


def _only_rejection(sheet: AwardSheet) -> RejectedRow:
    assert sheet.rows == ()
    assert len(sheet.rejected) == 1
    return sheet.rejected[0]


def test_bulk_csv_reads_a_good_file(catalog: BadgeCatalog) -> None:
    text = (
        HEADER + "ana.lopez@students.example.org,weld-smaw-3f,3,Clean coupon,"
        "https://evidence.example.org/e/42,Coupon photos\n"
        "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK,math-7rp-proportional,4,,,\n"
    )

    sheet = _read(catalog, text)

    assert sheet.rejected == ()
    assert sheet.total == 2
    assert sheet.sha256 == hashlib.sha256(text.encode()).hexdigest()
    first, second = sheet.rows
    assert (first.row_number, first.student, first.badge, first.level) == (
        2,
        "ana.lopez@students.example.org",
        "weld-smaw-3f",
        3,
    )
    assert first.definition is catalog.get("weld-smaw-3f")
    assert (first.comment, first.evidence_url, first.evidence_name) == (
        "Clean coupon",
        "https://evidence.example.org/e/42",
        "Coupon photos",
    )
    assert second.row_number == 3
    assert (
        second.student == "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"
    )  # a DID keeps its case
    assert (second.comment, second.evidence_url, second.evidence_name) == (None, None, None)


def test_bulk_csv_accepts_excel_flavours(catalog: BadgeCatalog) -> None:
    # Excel "CSV UTF-8": a byte order mark, CRLF; in many European locales ";" separates values.
    # Header names are case-insensitive, padded and in any order; required columns suffice.
    text = "\ufeff Level ;STUDENT; Badge \r\n3; Ana.Lopez@Students.Example.org ;WELD-SMAW-3F\r\n;;\r\n"

    sheet = _read(catalog, text.encode("utf-8"))

    assert sheet.rejected == ()
    (row,) = sheet.rows
    assert (row.student, row.badge, row.level) == ("ana.lopez@students.example.org", "weld-smaw-3f", 3)


def test_bulk_csv_row_numbers_are_those_a_spreadsheet_shows(catalog: BadgeCatalog) -> None:
    text = (
        "\n"  # row 1: blank
        "student,badge,level,comment\n"  # row 2: the header
        "a@example.org,weld-smaw-3f,3,\n"  # row 3
        "\n"  # row 4: blank, skipped silently
        'b@example.org,weld-smaw-3f,3,"two\nlines"\n'  # row 5: one spreadsheet row, two text lines
        "c@example.org,weld-smaw-3f,9,\n"  # row 6
    )

    sheet = _read(catalog, text)

    assert [row.row_number for row in sheet.rows] == [3, 5]
    assert sheet.rows[1].comment == "two\nlines"
    assert [row.row_number for row in sheet.rejected] == [6]
    assert sheet.total == 3


@pytest.mark.parametrize(
    ("line", "role", "column", "message"),
    [
        (",weld-smaw-3f,3", "teacher", "student", "student is empty"),
        ("ana.lopez,weld-smaw-3f,3", "teacher", "student", "neither an e-mail address nor a DID"),
        ("did:key:,weld-smaw-3f,3", "teacher", "student", "is not a valid DID"),
        ("did:example:abc#key-1,weld-smaw-3f,3", "teacher", "student", "is not a valid DID"),
        ("a@example.org,,3", "teacher", "badge", "badge is empty"),
        (
            "a@example.org,weld-smaw-3,3",
            "teacher",
            "badge",
            "no badge definition 'weld-smaw-3'; did you mean",
        ),
        ("a@example.org,weld-smaw-3f,", "teacher", "level", "level is empty"),
        ("a@example.org,weld-smaw-3f,three", "teacher", "level", "'three' is not a whole number from 1 to 4"),
        ("a@example.org,weld-smaw-3f,3.0", "teacher", "level", "'3.0' is not a whole number"),
        ("a@example.org,weld-smaw-3f,-3", "teacher", "level", "is not a whole number"),
        ("a@example.org,weld-smaw-3f,99999999999", "teacher", "level", "is not a whole number"),
        ("a@example.org,weld-smaw-3f,5", "teacher", "level", "mastery level must be 1, 2, 3 or 4"),
        ("a@example.org,weld-smaw-3f,2", "teacher", "level", r"level 2 \(Developing\) is below it"),
        ("a@example.org,workplace-communication,3", "teacher", "level", "a 'teacher' may not attest"),
        ("a@example.org,math-7rp-proportional,3", "supervisor", "level", "a 'supervisor' may not attest"),
        ("a@example.org,weld-smaw-3f,3,,ftp://files.example.org/x", "teacher", "evidence_url", "https://"),
        ("a@example.org,weld-smaw-3f,3,,javascript:alert(1)", "teacher", "evidence_url", "https://"),
        ("a@example.org,weld-smaw-3f,3,,https://", "teacher", "evidence_url", "https://"),
        ("a@example.org,weld-smaw-3f,3,,https://ex ample.org/", "teacher", "evidence_url", "https://"),
        ("a@example.org,weld-smaw-3f,3,,https://example.org:99999/", "teacher", "evidence_url", "https://"),
        ("a@example.org,weld-smaw-3f,3,,https://[::1/", "teacher", "evidence_url", "https://"),
        ("a@example.org,weld-smaw-3f,3,,,,surprise", "teacher", "", "value in column 7, which has no name"),
        ("a@example.org,weld-smaw-3f,3," + "x" * 2001, "teacher", "comment", "longer than 2000 characters"),
        ("a@example.org,weld-smaw-3f,3,,,,", "teacher", None, None),  # empty extra cells are fine
    ],
)
def test_bulk_csv_rejects_bad_rows_with_the_reason(
    catalog: BadgeCatalog, line: str, role: str, column: str | None, message: str | None
) -> None:
    sheet = _read(catalog, HEADER + line + "\n", role=role)

    assert sheet.total == 1
    if message is None:
        assert len(sheet.rows) == 1
        return
    rejected = _only_rejection(sheet)
    assert (rejected.row_number, rejected.column) == (2, column)
    assert re.search(message, rejected.message), rejected.message


def test_bulk_csv_one_bad_row_does_not_stop_the_others(catalog: BadgeCatalog) -> None:
    text = HEADER + "a@example.org,weld-smaw-3f,3\nnobody,weld-smaw-3f,3\nc@example.org,weld-smaw-4f,4\n"

    sheet = _read(catalog, text)

    assert [row.student for row in sheet.rows] == ["a@example.org", "c@example.org"]
    assert [(row.row_number, row.column, row.value) for row in sheet.rejected] == [(3, "student", "nobody")]
    assert sheet.total == 3


def test_bulk_csv_rejected_value_is_cut(catalog: BadgeCatalog) -> None:
    long_student = "x" * 500

    rejected = _only_rejection(_read(catalog, HEADER + f"{long_student},weld-smaw-3f,3\n"))

    assert len(rejected.value) == 120
    assert rejected.value.endswith("…")


def test_bulk_csv_rejects_repeated_rows_naming_the_first(catalog: BadgeCatalog) -> None:
    text = HEADER + (
        "ana@example.org,weld-smaw-3f,3\n"  # row 2
        "bob@example.org,weld-smaw-3f,3\n"  # row 3
        " ANA@example.org ,weld-smaw-3f,3,another comment\n"  # row 4: same award, other spelling
        "ana@example.org,weld-smaw-3f,4\n"  # row 5: same badge, another level
        "ana@example.org,weld-smaw-4f,3\n"  # row 6: another badge: fine
    )

    sheet = _read(catalog, text)

    assert [row.row_number for row in sheet.rows] == [2, 3, 6]
    repeat, contradiction = sheet.rejected
    assert (repeat.row_number, repeat.message) == (4, "repeats row 2 (same student, badge and level)")
    assert contradiction.row_number == 5
    assert contradiction.message.startswith("row 2 already awards 'weld-smaw-3f' to this student at level 3")


def test_bulk_csv_a_repeat_of_a_rejected_row_gets_the_same_reason(catalog: BadgeCatalog) -> None:
    sheet = _read(catalog, HEADER + "a@example.org,weld-smaw-3f,2\na@example.org,weld-smaw-3f,2\n")

    assert [row.column for row in sheet.rejected] == ["level", "level"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "the file is empty"),
        (b" \r\n\n\t", "the file is empty"),
        (b"\xef\xbb\xbf", "the file is empty"),
        (b",,,\n,,\n", "no header row"),
        (
            "student,badge,level\ncafé@example.org,weld-smaw-3f,3\n".encode("latin-1"),
            "line 2 is not UTF-8 text: save it from your spreadsheet as 'CSV UTF-8",
        ),
        ("student,badge,level\n".encode("utf-16"), "UTF-16"),
        (b"student,badge,level\na@example.org,weld\x00,3\n", "line 2 contains a NUL byte"),
        (b"PK\x03\x04\x14\x00\x06\x00", r"spreadsheet workbook \(\.xlsx or \.xls\)"),
        (b"student,badge\na@example.org,weld-smaw-3f\n", "the header lacks the column level"),
        (
            b"email,badge_slug\n",
            "unknown columns 'email', 'badge_slug' .did you mean 'badge'.. in the header",
        ),
        (b"student,badge,levle\n", r"unknown column 'levle' \(did you mean 'level'\?\)"),
        (b"student,badge,level,Level\n", "column 'level' appears more than once"),
        (
            b'student,badge,level\na@example.org,"weld-smaw-3f,3\nb@example.org,x,3\n',
            "line 2: cannot read it as CSV",
        ),
        (b'student,badge,level\na@example.org,"weld"3f,3\n', "line 2: cannot read it as CSV"),
    ],
)
def test_bulk_csv_refuses_unreadable_files(catalog: BadgeCatalog, data: bytes, message: str) -> None:
    with pytest.raises(InvalidCsvError, match=message):
        _read(catalog, data)


def test_bulk_csv_size_limit(catalog: BadgeCatalog) -> None:
    text = HEADER + "a@example.org,weld-smaw-3f,3\n"
    size = len(text.encode())

    assert _read(catalog, text, max_bytes=size).total == 1
    with pytest.raises(
        InvalidCsvError, match=f"the file is {size:,} bytes; the most accepted is {size - 1:,}"
    ):
        _read(catalog, text, max_bytes=size - 1)


def test_bulk_csv_row_limit_counts_data_rows_only(catalog: BadgeCatalog) -> None:
    rows = "".join(f"s{i}@example.org,weld-smaw-3f,3\n\n" for i in range(3))

    assert _read(catalog, HEADER + rows, max_rows=3).total == 3
    with pytest.raises(InvalidCsvError, match="more than 2 rows; split it"):
        _read(catalog, HEADER + rows, max_rows=2)


def test_bulk_csv_key_is_stable_across_files_and_documented(catalog: BadgeCatalog) -> None:
    first = _read(catalog, HEADER + "Ana@Example.org,weld-smaw-3f,3,first upload\n").rows[0]
    again = _read(
        catalog,
        "level,student,badge,comment\n\n3,x@example.org,weld-smaw-4f,\n3,ana@example.org,weld-smaw-3f,retry\n",
    )

    definition = catalog.get("weld-smaw-3f")
    documented = hashlib.sha256(f"weld-smaw-3f@{definition.version}|3|ana@example.org".encode()).hexdigest()
    assert first.file_key == documented
    assert again.rows[1].file_key == first.file_key  # another file, row and comment: the same award
    assert award_key(definition, level=4, student="ana@example.org") != first.file_key
    assert award_key(definition, level=3, student="bob@example.org") != first.file_key
    assert award_key(catalog.get("weld-smaw-4f"), level=3, student="ana@example.org") != first.file_key


def test_bulk_csv_report_neutralises_formulas() -> None:
    rejected = [
        RejectedRow(2, "student", '=HYPERLINK("http://evil.example","x")', "not an e-mail"),
        RejectedRow(3, "badge", "+cmd|' /C calc'!A0", "-unknown"),
        RejectedRow(4, "level", "-2", "@SUM(A1)"),
        RejectedRow(5, "comment", "\tx", "\rx"),
        RejectedRow(6, "", "a=b, plain", "repeats row 2 (same student, badge and level)"),
    ]

    report = rejected_rows_csv(rejected)

    assert report.startswith("\ufeff")
    cells = list(csv.reader(io.StringIO(report.removeprefix("\ufeff"), newline="")))
    assert cells == [
        ["row", "column", "value", "message"],
        ["2", "student", '\'=HYPERLINK("http://evil.example","x")', "not an e-mail"],
        ["3", "badge", "'+cmd|' /C calc'!A0", "'-unknown"],
        ["4", "level", "'-2", "'@SUM(A1)"],
        ["5", "comment", "'\tx", "'\rx"],
        ["6", "", "a=b, plain", "repeats row 2 (same student, badge and level)"],
    ]


def test_bulk_csv_report_of_a_real_sheet(catalog: BadgeCatalog) -> None:
    sheet = _read(catalog, HEADER + "=1+1,weld-smaw-3f,3\na@example.org,weld-smaw-3f,two\n")

    lines = rejected_rows_csv(sheet.rejected).removeprefix("\ufeff").splitlines()

    assert lines[0] == '"row","column","value","message"'
    assert lines[1].startswith('"2","student","\'=1+1","recipient \'=1+1\' is neither')
    assert lines[2] == '"3","level","two","level \'two\' is not a whole number from 1 to 4"'


@settings(max_examples=300, deadline=None)
@given(data=st.one_of(st.binary(max_size=400), st.text(max_size=400).map(str.encode)))
def test_bulk_csv_any_input_gives_a_sheet_or_invalid_csv(catalog: BadgeCatalog, data: bytes) -> None:
    try:
        sheet = _read(catalog, data)
    except InvalidCsvError:
        return
    assert sheet.total == len(sheet.rows) + len(sheet.rejected)


_CELLS = st.one_of(
    st.sampled_from(
        [
            "",
            " ",
            "ana@example.org",
            "ANA@example.org",
            "bob@example.org",
            "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
            "weld-smaw-3f",
            "math-7rp-proportional",
            "workplace-communication",
            "nope",
            "1",
            "3",
            "4",
            "https://evidence.example.org/1",
            "ftp://x",
            "=1+1",
        ]
    ),
    st.text(alphabet=st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), max_size=12),
)


@st.composite
def _rows(draw: st.DrawFn) -> list[str]:
    """A row that is often valid, often slightly wrong, sometimes blank or ragged."""
    if draw(st.integers(0, 9)) == 0:
        return draw(st.sampled_from([[], [""], [" ", ""]]))
    students = st.sampled_from(["ana@example.org", "Bob@Example.org", "cy@example.org"])
    badges = st.sampled_from(["weld-smaw-3f", "weld-smaw-4f", "math-7rp-proportional"])
    if draw(st.booleans()):  # right by construction (but perhaps a repeat)
        comment = draw(st.sampled_from(["", "Well done", "=1+1"]))
        return [draw(students), draw(badges), draw(st.sampled_from(["3", "4"])), comment]
    student = draw(st.one_of(students, _CELLS))
    badge = draw(st.one_of(badges, _CELLS))
    level = draw(st.one_of(st.sampled_from(["3", "4"]), _CELLS))
    return [student, badge, level, *draw(st.lists(_CELLS, max_size=4))]


@settings(max_examples=400, deadline=None)
@given(rows=st.lists(_rows(), max_size=15))
def test_bulk_csv_every_row_is_accepted_or_rejected_once(
    catalog: BadgeCatalog, rows: list[list[str]]
) -> None:
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(["student", "badge", "level", "comment", "evidence_url", "evidence_name"])
    writer.writerows(rows)

    sheet = _read(catalog, out.getvalue())

    expected = [number for number, cells in enumerate(rows, start=2) if any(cell.strip() for cell in cells)]
    assert sheet.total == len(expected)
    assert (
        sorted([row.row_number for row in sheet.rows] + [row.row_number for row in sheet.rejected])
        == expected
    )
    # At most one award per student and badge, hence never the same idempotency key twice.
    assert len({(row.student, row.badge) for row in sheet.rows}) == len(sheet.rows)
    assert len({row.file_key for row in sheet.rows}) == len(sheet.rows)


def test_bulk_csv_overlong_student_cells_are_row_errors(catalog: BadgeCatalog) -> None:
    email = "a" * 243 + "@example.org"  # 255 characters
    did = "did:example:" + "x" * 489  # 501 characters
    sheet = _read(catalog, HEADER + f"{email},weld-smaw-3f,3\n{did},weld-smaw-3f,3\n")
    assert [(r.row_number, r.column) for r in sheet.rejected] == [(2, "student"), (3, "student")]
    assert "at most 254" in sheet.rejected[0].message
    assert "at most 500" in sheet.rejected[1].message
    fits = _read(catalog, HEADER + f"{email[1:]},weld-smaw-3f,3\n{did[:-1]},weld-smaw-3f,3\n")
    assert len(fits.rows) == 2


def test_bulk_csv_text_cells_xml_cannot_carry_are_row_errors(catalog: BadgeCatalog) -> None:
    text = (
        "student,badge,level,comment,evidence_name\n"
        "ana@example.org,weld-smaw-3f,3,ok\x01,\n"
        "bob@example.org,weld-smaw-3f,3,,name\ufffe\n"
        "cy@example.org,weld-smaw-3f,3,tab\tok,fine\n"
    )
    sheet = _read(catalog, text)
    assert [(r.row_number, r.column) for r in sheet.rejected] == [(2, "comment"), (3, "evidence_name")]
    assert "U+0001" in sheet.rejected[0].message
    assert [row.student for row in sheet.rows] == ["cy@example.org"]


def test_bulk_csv_rows_attest_in_the_role_the_badge_allows(catalog: BadgeCatalog) -> None:
    # weld-smaw-3f allows teachers and supervisors: an admin uploading attests as teacher.
    sheet = read_award_csv(
        (HEADER + "ana@example.org,weld-smaw-3f,3\n").encode(),
        catalog_lookup=catalog.get,
        attester_role="admin",
    )
    assert [row.attester_role for row in sheet.rows] == ["teacher"]
    # workplace-communication allows supervisors only: refused for staff, naming the allowed roles.
    refused = read_award_csv(
        (HEADER + "ana@example.org,workplace-communication,3\n").encode(),
        catalog_lookup=catalog.get,
        attester_role="admin",
    )
    assert refused.rejected[0].column == "level"
    assert "allowed attester roles: supervisor" in refused.rejected[0].message
