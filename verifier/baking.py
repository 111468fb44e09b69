"""Baked badges: an Open Badges 3.0 credential carried inside its PNG or SVG image (OB 3.0 §5.3).

https://www.imsglobal.org/spec/ob/v3p0/#baked-badge

- PNG: one ``iTXt`` chunk, keyword ``openbadgecredential``, compression flag 0, whose text is the
  credential's JSON or its compact JWS (VC-JWT).
- SVG: ``xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0"`` on the root and, directly after the
  ``<svg>`` start tag, ``<openbadges:credential verify="JWS"/>`` or the JSON in a CDATA section.

Hand-written on the standard library (struct, zlib.crc32, expat): the format is a hundred lines, and the
one PyPI package that bakes OB 3.0 (openbadgeslib) brings its own signing stack (pycryptodome, ecdsa,
pypng) that a verifier must not carry. SVG is parsed with expat directly so that DTD internal subsets
and entity declarations (billion laughs, XXE) are refused as they are met, an external DTD is never
fetched, and a ``<!DOCTYPE svg PUBLIC …>`` line, common in exported artwork, is still accepted.
"""

from __future__ import annotations

import re
import struct
import zlib
from dataclasses import dataclass, field
from typing import Literal
from xml.parsers import expat

from verifier.errors import MalformedCredentialError
from verifier.proofs.vc_jwt import COMPACT_JWS

InputKind = Literal["png", "svg", "json", "jwt"]

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
OB_SVG_NAMESPACE = "https://purl.imsglobal.org/ob/v3p0"
#: Images (and bare credential files) larger than this are refused before parsing.
MAX_IMAGE_BYTES = 8 * 1024 * 1024

_KEYWORD = b"openbadgecredential"
_OB2_KEYWORD = b"openbadges"
_OB2_SVG_NAMESPACE = "http://openbadges.org"
_MAX_CHUNK_LENGTH = 2**31 - 1  # PNG «5.3»: lengths are at most 2^31 - 1
# A start tag: name, then attributes whose quoted values may hold ">" (XML 1.0 «3.1» STag).
_START_TAG = re.compile(rb"<([^\s/>]+)(?:\s+[^\s=/>]+\s*=\s*(?:\"[^\"]*\"|'[^']*'))*\s*(/?)>")
# Characters XML 1.0 «2.2» does not allow anywhere in a document.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _credential_kind(text: str) -> Literal["json", "jwt"]:
    """What a credential text is: a JSON object or a compact JWS. Refuses anything else."""
    stripped = text.strip()
    if stripped.startswith("{") and stripped.endswith("}"):
        return "json"
    if COMPACT_JWS.fullmatch(stripped):
        return "jwt"
    raise MalformedCredentialError("the baked text is neither a JSON credential nor a compact JWS")


def _check_size(data: bytes | str, max_bytes: int, what: str) -> None:
    if len(data) > max_bytes:
        raise MalformedCredentialError(f"{what} is {len(data):,} bytes; the limit is {max_bytes:,}")


# --------------------------------------------------------------------------------------------------
# PNG (https://www.w3.org/TR/png-3/#5Chunk-layout, #11iTXt)
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Chunk:
    type: bytes
    data: bytes
    raw: bytes  # length, type, data and CRC, as read


def _read_chunks(png: bytes) -> list[_Chunk]:
    """Every chunk up to and including IEND, each CRC checked. Bytes after IEND are ignored."""
    if not png.startswith(PNG_SIGNATURE):
        raise MalformedCredentialError("not a PNG image (no PNG signature)")
    chunks: list[_Chunk] = []
    position = len(PNG_SIGNATURE)
    while position < len(png):
        if position + 12 > len(png):
            raise MalformedCredentialError(f"PNG truncated inside a chunk header at byte {position}")
        length, chunk_type = struct.unpack(">I4s", png[position : position + 8])
        if length > _MAX_CHUNK_LENGTH or not chunk_type.isalpha():
            raise MalformedCredentialError(f"PNG chunk at byte {position} has an invalid length or type")
        end = position + 12 + length
        if end > len(png):
            raise MalformedCredentialError(f"PNG truncated inside the {chunk_type.decode()} chunk")
        data = png[position + 8 : position + 8 + length]
        (crc,) = struct.unpack(">I", png[end - 4 : end])
        if zlib.crc32(chunk_type + data) != crc:
            raise MalformedCredentialError(
                f"PNG {chunk_type.decode()} chunk at byte {position} has a bad CRC"
            )
        chunks.append(_Chunk(chunk_type, data, png[position:end]))
        position = end
        if chunk_type == b"IEND":
            break
    if not chunks or chunks[0].type != b"IHDR":
        raise MalformedCredentialError("PNG does not start with an IHDR chunk")
    if chunks[-1].type != b"IEND":
        raise MalformedCredentialError("PNG has no IEND chunk")
    return chunks


def _keyword(chunk: _Chunk) -> bytes | None:
    """The keyword of a tEXt, zTXt or iTXt chunk (None for other chunks)."""
    if chunk.type not in (b"tEXt", b"zTXt", b"iTXt"):
        return None
    return chunk.data.split(b"\0", 1)[0]


@dataclass(frozen=True)
class _ITxt:
    compressed: int
    text: bytes


def _parse_itxt(data: bytes) -> _ITxt:
    """keyword \\0 compression-flag compression-method language \\0 translated-keyword \\0 text."""
    _, sep, rest = data.partition(b"\0")
    if not sep or len(rest) < 2:
        raise MalformedCredentialError("the openbadgecredential iTXt chunk is truncated")
    flag = rest[0]
    _language, sep_language, rest = rest[2:].partition(b"\0")
    _translated, sep_translated, text = rest.partition(b"\0")
    if not (sep_language and sep_translated) or flag not in (0, 1):
        raise MalformedCredentialError("the openbadgecredential iTXt chunk is malformed")
    return _ITxt(flag, text)


def _itxt_chunk(text: str) -> bytes:
    # Compression flag 0 and method 0, empty language tag and translated keyword (OB 3.0 §5.3.1.1).
    data = _KEYWORD + b"\0" + b"\0\0" + b"\0" + b"\0" + text.encode("utf-8")
    return struct.pack(">I", len(data)) + b"iTXt" + data + struct.pack(">I", zlib.crc32(b"iTXt" + data))


def bake_png(png: bytes, credential_text: str, *, max_bytes: int = MAX_IMAGE_BYTES) -> bytes:
    """Bake a credential into a PNG image (OB 3.0 §5.3.1.1 "Baking").

    https://www.imsglobal.org/spec/ob/v3p0/#png-baking

    An existing ``openbadgecredential`` chunk is replaced (the spec lets the baker choose); the new
    ``iTXt`` chunk goes just before IEND. Bytes after IEND are dropped.

    Args:
        png: the image.
        credential_text: the signed credential: its JSON text or its compact JWS.
        max_bytes: refuse larger images.

    Returns:
        The baked PNG.

    Raises:
        MalformedCredentialError: not a PNG (signature, chunk layout, CRC), too large, or a credential
            text that is neither JSON nor a compact JWS.
    """
    _check_size(png, max_bytes, "image")
    _credential_kind(credential_text)
    kept = [chunk.raw for chunk in _read_chunks(png) if _keyword(chunk) != _KEYWORD]
    return PNG_SIGNATURE + b"".join(kept[:-1]) + _itxt_chunk(credential_text) + kept[-1]


def unbake_png(png: bytes, *, max_bytes: int = MAX_IMAGE_BYTES) -> str:
    """The credential text baked into a PNG image (OB 3.0 §5.3.1.2 "Extracting").

    https://www.imsglobal.org/spec/ob/v3p0/#png-extracting

    Args:
        png: the image.
        max_bytes: refuse larger images.

    Returns:
        The text of the one ``openbadgecredential`` iTXt chunk: JSON or a compact JWS.

    Raises:
        MalformedCredentialError: not a PNG, truncated, a bad CRC, no credential chunk, two of them,
            one in a tEXt/zTXt chunk, a compressed one, or text that is not UTF-8.
    """
    _check_size(png, max_bytes, "image")
    chunks = _read_chunks(png)
    found = [chunk for chunk in chunks if _keyword(chunk) == _KEYWORD]
    if not found:
        if any(_keyword(chunk) == _OB2_KEYWORD for chunk in chunks):
            raise MalformedCredentialError(
                "the PNG holds an Open Badges 2.0 'openbadges' assertion, not an OB 3.0 credential"
            )
        raise MalformedCredentialError("the PNG holds no openbadgecredential iTXt chunk (not a baked badge)")
    if len(found) > 1:
        raise MalformedCredentialError(
            f"the PNG holds {len(found)} openbadgecredential chunks; OB 3.0 allows exactly one"
        )
    if found[0].type != b"iTXt":
        raise MalformedCredentialError(
            f"the openbadgecredential chunk is {found[0].type.decode()}; OB 3.0 requires iTXt"
        )
    itxt = _parse_itxt(found[0].data)
    if itxt.compressed:
        raise MalformedCredentialError(
            "the openbadgecredential chunk is compressed; OB 3.0 forbids compression"
        )
    try:
        text = itxt.text.decode("utf-8")
    except UnicodeDecodeError as err:
        raise MalformedCredentialError("the openbadgecredential chunk text is not UTF-8") from err
    if not text.strip():
        raise MalformedCredentialError("the openbadgecredential chunk is empty")
    return text


def blank_png(*, width: int = 1, height: int = 1, rgb: tuple[int, int, int] = (255, 255, 255)) -> bytes:
    """A valid one-colour RGB PNG (tests, and a placeholder for badges without artwork).

    Args:
        width: pixels, 1 to 4096.
        height: pixels, 1 to 4096.
        rgb: the colour.

    Returns:
        The PNG file.

    Raises:
        MalformedCredentialError: a size or colour out of range.
    """
    if not (0 < width <= 4096 and 0 < height <= 4096) or any(not 0 <= c <= 255 for c in rgb):
        raise MalformedCredentialError("blank_png: width and height 1-4096, colour components 0-255")

    def chunk(chunk_type: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + chunk_type
            + data
            + struct.pack(">I", zlib.crc32(chunk_type + data))
        )

    # 8-bit RGB, no interlace; each scanline starts with filter type 0.
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    scanlines = (b"\0" + bytes(rgb) * width) * height
    return (
        PNG_SIGNATURE
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(scanlines))
        + chunk(b"IEND", b"")
    )


# --------------------------------------------------------------------------------------------------
# SVG (https://www.imsglobal.org/spec/ob/v3p0/#svg-baking)
# --------------------------------------------------------------------------------------------------


@dataclass
class _FoundElement:
    start: int  # byte offset of the start tag's "<"
    end: int | None = None  # byte offset of the end tag's "<" (None while open or self-closing)
    attributes: dict[str, str] = field(default_factory=dict)
    text: list[str] = field(default_factory=list)


@dataclass
class _SvgScan:
    root_name: str | None = None
    root_start: int | None = None
    credentials: list[_FoundElement] = field(default_factory=list)
    ob2_assertion: bool = False


def _refuse(construct: str) -> None:
    raise MalformedCredentialError(f"SVG refused: it contains {construct}, which a badge never needs")


def _scan_svg(data: bytes | str) -> _SvgScan:
    """Parse an SVG with expat, refusing DTD internal subsets and entities; find the credentials."""
    scan = _SvgScan()
    parser = expat.ParserCreate(namespace_separator=" ")
    open_credential: list[_FoundElement] = []
    depth = 0

    def doctype(_name: str, _system_id: str | None, _public_id: str | None, internal_subset: int) -> None:
        if internal_subset:
            _refuse("a DTD internal subset (entity definitions)")

    def entity_declaration(*_args: object) -> None:
        _refuse("an entity declaration")

    def skipped_entity(name: str, _is_parameter: int) -> None:
        # An undefined entity would silently vanish from the credential text.
        _refuse(f"a reference to the undefined entity &{name};")

    def external_entity(*_args: object) -> int:
        _refuse("an external entity reference")
        return 0

    def start(name: str, attributes: dict[str, str]) -> None:
        nonlocal depth
        depth += 1
        if depth == 1:
            scan.root_name = name
            scan.root_start = parser.CurrentByteIndex
        if name == f"{OB_SVG_NAMESPACE} credential":
            element = _FoundElement(parser.CurrentByteIndex, attributes=dict(attributes))
            if not open_credential:
                scan.credentials.append(element)
            open_credential.append(element)
        elif name == f"{_OB2_SVG_NAMESPACE} assertion":
            scan.ob2_assertion = True

    def end(name: str) -> None:
        nonlocal depth
        depth -= 1
        if name == f"{OB_SVG_NAMESPACE} credential":
            element = open_credential.pop()
            element.end = parser.CurrentByteIndex

    def text(data: str) -> None:
        if open_credential:
            open_credential[0].text.append(data)

    parser.StartDoctypeDeclHandler = doctype
    parser.EntityDeclHandler = entity_declaration
    parser.UnparsedEntityDeclHandler = entity_declaration
    parser.SkippedEntityHandler = skipped_entity
    parser.ExternalEntityRefHandler = external_entity
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text
    try:
        parser.Parse(data, True)
    except expat.ExpatError as err:
        raise MalformedCredentialError(
            f"not well-formed XML: {expat.ErrorString(err.code)} at line {err.lineno}"
        ) from err
    except RecursionError as err:
        raise MalformedCredentialError("XML nested too deeply") from err
    if scan.root_name is None or scan.root_name.rsplit(" ", 1)[-1] != "svg":
        raise MalformedCredentialError("not an SVG image (the root element is not <svg>)")
    return scan


def _start_tag(document: bytes, offset: int) -> re.Match[bytes]:
    match = _START_TAG.match(document, offset)
    if match is None:  # expat accepted it, so this means our pattern is too narrow
        raise MalformedCredentialError(f"cannot locate the start tag at byte {offset} of the SVG")
    return match


def _cdata(text: str) -> str:
    # "]]>" cannot appear inside a CDATA section: close and reopen around it.
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def bake_svg(svg_text: str, credential_text: str, *, max_bytes: int = MAX_IMAGE_BYTES) -> str:
    """Bake a credential into an SVG image (OB 3.0 §5.3.2.1 "Baking").

    https://www.imsglobal.org/spec/ob/v3p0/#svg-baking

    Declares ``xmlns:openbadges`` on the root ``<svg>`` (if missing) and puts, directly after its start
    tag, ``<openbadges:credential verify="JWS"/>`` for a VC-JWT or the JSON wrapped in CDATA. An existing
    OB 3.0 credential element is replaced. Everything else in the file is kept byte for byte.

    Args:
        svg_text: the image.
        credential_text: the signed credential: its JSON text or its compact JWS.
        max_bytes: refuse larger images.

    Returns:
        The baked SVG.

    Raises:
        MalformedCredentialError: not well-formed XML, not an SVG, a DTD with entities, a conflicting
            ``openbadges`` prefix, or a credential text that is neither JSON nor a compact JWS.
    """
    document = svg_text.encode("utf-8")
    _check_size(document, max_bytes, "image")
    kind = _credential_kind(credential_text)
    if _XML_ILLEGAL.search(credential_text):
        raise MalformedCredentialError("the credential text holds characters XML cannot carry")
    scan = _scan_svg(svg_text)  # a str is parsed as UTF-8, so offsets index `document`
    # Remove earlier credentials, last first so the offsets before them stay right.
    for element in reversed(scan.credentials):
        tag = _start_tag(document, element.start)
        closed_early = bool(tag.group(2)) or element.end is None
        stop = tag.end() if closed_early else document.index(b">", element.end) + 1
        document = document[: element.start] + document[stop:]
    if scan.root_start is None:  # _scan_svg guarantees a root; this keeps mypy and readers honest
        raise MalformedCredentialError("the SVG has no root element")
    root = _start_tag(document, scan.root_start)
    root_name, self_closing = root.group(1), bool(root.group(2))
    prefix = re.search(rb"\sxmlns:openbadges\s*=\s*(\"[^\"]*\"|'[^']*')", root.group(0))
    declaration = b""
    if prefix is None:
        declaration = f' xmlns:openbadges="{OB_SVG_NAMESPACE}"'.encode()
    elif prefix.group(1)[1:-1].decode("utf-8") != OB_SVG_NAMESPACE:
        raise MalformedCredentialError("the SVG binds the prefix 'openbadges' to another namespace")
    if kind == "jwt":
        markup = f'<openbadges:credential verify="{credential_text.strip()}"/>'
    else:
        markup = f"<openbadges:credential>{_cdata(credential_text)}</openbadges:credential>"
    closing = len(b"/>") if self_closing else len(b">")
    new_root = root.group(0)[:-closing] + declaration + b">" + markup.encode("utf-8")
    if self_closing:
        new_root += b"</" + root_name + b">"
    return (document[: root.start()] + new_root + document[root.end() :]).decode("utf-8")


def unbake_svg(svg_bytes: bytes, *, max_bytes: int = MAX_IMAGE_BYTES) -> str:
    """The credential text baked into an SVG image (OB 3.0 §5.3.2.2 "Extracting").

    https://www.imsglobal.org/spec/ob/v3p0/#svg-baking

    Args:
        svg_bytes: the image file (its XML declaration names the encoding; UTF-8 by default).
        max_bytes: refuse larger images.

    Returns:
        The ``verify`` attribute (a compact JWS) or the element's text (JSON), stripped of surrounding
        whitespace.

    Raises:
        MalformedCredentialError: not well-formed XML, not an SVG, a DTD internal subset or entity
            declaration, no ``openbadges:credential`` element, two of them, or one with both a
            ``verify`` attribute and a body, or with neither.
    """
    _check_size(svg_bytes, max_bytes, "image")
    scan = _scan_svg(svg_bytes)
    if not scan.credentials:
        if scan.ob2_assertion:
            raise MalformedCredentialError(
                "the SVG holds an Open Badges 2.0 assertion, not an OB 3.0 credential"
            )
        raise MalformedCredentialError("the SVG holds no openbadges:credential element (not a baked badge)")
    if len(scan.credentials) > 1:
        raise MalformedCredentialError(
            f"the SVG holds {len(scan.credentials)} openbadges:credential elements; OB 3.0 allows exactly one"
        )
    element = scan.credentials[0]
    verify = element.attributes.get("verify", "").strip()
    body = "".join(element.text).strip()
    if verify and body:
        raise MalformedCredentialError(
            "the openbadges:credential element has both a verify attribute and a body"
        )
    if not (verify or body):
        raise MalformedCredentialError("the openbadges:credential element is empty")
    return verify or body


def blank_svg(*, width: int = 64, height: int = 64, fill: str = "#1f6feb") -> str:
    """A valid one-shape SVG (tests, and a placeholder for badges without artwork).

    Args:
        width: pixels.
        height: pixels.
        fill: a CSS colour (letters, digits and ``#`` only).

    Returns:
        The SVG text, with an XML declaration.

    Raises:
        MalformedCredentialError: a colour with other characters, or a non-positive size.
    """
    if not re.fullmatch(r"#?[A-Za-z0-9]+", fill) or width <= 0 or height <= 0:
        raise MalformedCredentialError("blank_svg: a positive size and a plain colour name or #hex")
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}">\n'
        f'  <circle cx="{width / 2:g}" cy="{height / 2:g}" r="{min(width, height) / 2:g}" fill="{fill}"/>\n'
        "</svg>\n"
    )


# --------------------------------------------------------------------------------------------------
# Sniffing
# --------------------------------------------------------------------------------------------------

_UTF8_BOM = b"\xef\xbb\xbf"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


def extract_credential(data: bytes, *, max_bytes: int = MAX_IMAGE_BYTES) -> tuple[str, InputKind]:
    """The credential text in an input file, whatever its form: baked PNG, baked SVG, JSON or JWT.

    OB 3.0 §5 "Open Badges Document Formats": https://www.imsglobal.org/spec/ob/v3p0/#docformat

    Args:
        data: the file's bytes.
        max_bytes: refuse larger inputs before looking inside.

    Returns:
        ``(credential text, kind)``, kind being ``"png"``, ``"svg"``, ``"json"`` or ``"jwt"`` (the
        container; a baked image may hold either JSON or a JWT). The text is a JSON object's text or a
        compact JWS; it is not verified here.

    Raises:
        MalformedCredentialError: too large, not UTF-8, not one of the four forms, or a baked image
            whose content is not a credential (see :func:`unbake_png`, :func:`unbake_svg`).
    """
    _check_size(data, max_bytes, "input")
    kind: InputKind
    if data.startswith(PNG_SIGNATURE):
        text, kind = unbake_png(data, max_bytes=max_bytes), "png"
    elif data.startswith(_UTF16_BOMS) or data.removeprefix(_UTF8_BOM).lstrip().startswith(b"<"):
        text, kind = unbake_svg(data, max_bytes=max_bytes), "svg"
    else:
        try:
            text = data.removeprefix(_UTF8_BOM).decode("utf-8")
        except UnicodeDecodeError as err:
            raise MalformedCredentialError("input is not a PNG or SVG image and not UTF-8 text") from err
        kind = _credential_kind(text)
        return text.strip(), kind
    _credential_kind(text)
    return text, kind
