"""Baked badges (OB 3.0 §5.3): PNG iTXt and SVG element, round trips, refusals, safe XML parsing."""

from __future__ import annotations

import json
import re
import struct
import zlib
from typing import TYPE_CHECKING

import pytest

from issuer.issuance import Award, build_credential
from tests.conftest import NOW, TestIssuer
from verifier.baking import (
    OB_SVG_NAMESPACE,
    PNG_SIGNATURE,
    bake_png,
    bake_svg,
    blank_png,
    blank_svg,
    extract_credential,
    unbake_png,
    unbake_svg,
)
from verifier.errors import MalformedCredentialError
from verifier.verify import verify_credential

if TYPE_CHECKING:
    from issuer.definitions import BadgeCatalog

JSON_CREDENTIAL = json.dumps(
    {"@context": ["https://www.w3.org/ns/credentials/v2"], "name": "Fractions ]]> & <b>"}
)
JWT_CREDENTIAL = "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJkaWQ6d2ViOngifQ.c2lnbmF0dXJl"


def _chunk(chunk_type: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + chunk_type + data + struct.pack(">I", zlib.crc32(chunk_type + data))


def _chunk_types(png: bytes) -> list[bytes]:
    types, position = [], len(PNG_SIGNATURE)
    while position < len(png):
        (length,) = struct.unpack(">I", png[position : position + 4])
        types.append(png[position + 4 : position + 8])
        position += 12 + length
    return types


def _insert_before_iend(png: bytes, *chunks: bytes) -> bytes:
    iend = png.rindex(b"IEND") - 4
    return png[:iend] + b"".join(chunks) + png[iend:]


def _itxt(keyword: bytes, text: bytes, *, compressed: int = 0) -> bytes:
    return _chunk(b"iTXt", keyword + b"\0" + bytes([compressed, 0]) + b"\0\0" + text)


# --------------------------------------------------------------------------------------------------
# PNG
# --------------------------------------------------------------------------------------------------


def test_blank_png_is_a_decodable_rgb_image() -> None:
    png = blank_png(width=3, height=2, rgb=(10, 20, 30))
    assert _chunk_types(png) == [b"IHDR", b"IDAT", b"IEND"]
    idat_start = png.index(b"IDAT") + 4
    (idat_length,) = struct.unpack(">I", png[idat_start - 8 : idat_start - 4])
    pixels = zlib.decompress(png[idat_start : idat_start + idat_length])
    assert pixels == (b"\0" + bytes([10, 20, 30]) * 3) * 2


@pytest.mark.parametrize("text", [JSON_CREDENTIAL, JWT_CREDENTIAL])
def test_bake_png_round_trips_json_and_jwt(text: str) -> None:
    baked = bake_png(blank_png(), text)
    assert unbake_png(baked) == text
    assert _chunk_types(baked) == [b"IHDR", b"IDAT", b"iTXt", b"IEND"]


def test_bake_png_chunk_is_uncompressed_itxt_with_the_spec_keyword() -> None:
    baked = bake_png(blank_png(), JWT_CREDENTIAL)
    start = baked.index(b"iTXt") + 4
    assert baked[start:].startswith(b"openbadgecredential\0\0\0\0\0" + JWT_CREDENTIAL.encode())


def test_bake_png_replaces_an_existing_credential() -> None:
    twice = bake_png(bake_png(blank_png(), JSON_CREDENTIAL), JWT_CREDENTIAL)
    assert _chunk_types(twice).count(b"iTXt") == 1
    assert unbake_png(twice) == JWT_CREDENTIAL


def test_bake_png_refuses_a_text_that_is_not_a_credential() -> None:
    with pytest.raises(MalformedCredentialError, match="neither a JSON credential nor a compact JWS"):
        bake_png(blank_png(), "hello")


def test_unbake_png_refuses_a_non_png() -> None:
    with pytest.raises(MalformedCredentialError, match="not a PNG"):
        unbake_png(b"GIF89a....")


def test_unbake_png_refuses_a_bad_crc() -> None:
    baked = bytearray(bake_png(blank_png(), JSON_CREDENTIAL))
    baked[baked.index(b"openbadgecredential") + 30] ^= 0x01  # flip one bit of the credential text
    with pytest.raises(MalformedCredentialError, match=r"iTXt chunk at byte \d+ has a bad CRC"):
        unbake_png(bytes(baked))


def test_unbake_png_refuses_a_truncated_file() -> None:
    baked = bake_png(blank_png(), JSON_CREDENTIAL)
    with pytest.raises(MalformedCredentialError, match="truncated"):
        unbake_png(baked[:-20])


def test_unbake_png_without_credential_is_not_a_baked_badge() -> None:
    with pytest.raises(MalformedCredentialError, match="no openbadgecredential iTXt chunk"):
        unbake_png(blank_png())


def test_unbake_png_refuses_two_credential_chunks() -> None:
    png = _insert_before_iend(
        blank_png(), _itxt(b"openbadgecredential", b"{}"), _itxt(b"openbadgecredential", b"{}")
    )
    with pytest.raises(MalformedCredentialError, match="2 openbadgecredential chunks"):
        unbake_png(png)


def test_unbake_png_refuses_a_compressed_chunk() -> None:
    png = _insert_before_iend(
        blank_png(), _itxt(b"openbadgecredential", zlib.compress(JSON_CREDENTIAL.encode()), compressed=1)
    )
    with pytest.raises(MalformedCredentialError, match="compressed"):
        unbake_png(png)


def test_unbake_png_refuses_the_keyword_in_a_text_chunk() -> None:
    png = _insert_before_iend(blank_png(), _chunk(b"tEXt", b"openbadgecredential\0{}"))
    with pytest.raises(MalformedCredentialError, match=re.escape("tEXt; OB 3.0 requires iTXt")):
        unbake_png(png)


def test_unbake_png_names_an_open_badges_2_assertion() -> None:
    png = _insert_before_iend(blank_png(), _itxt(b"openbadges", b"{}"))
    with pytest.raises(MalformedCredentialError, match=re.escape("Open Badges 2.0")):
        unbake_png(png)


def test_unbake_png_refuses_an_oversized_image() -> None:
    baked = bake_png(blank_png(), JSON_CREDENTIAL)
    with pytest.raises(MalformedCredentialError, match="the limit is 100"):
        unbake_png(baked, max_bytes=100)


# --------------------------------------------------------------------------------------------------
# SVG
# --------------------------------------------------------------------------------------------------

SPEC_STYLE_SVG = f"""<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg"
  xmlns:openbadges="{OB_SVG_NAMESPACE}"
  viewBox="0 0 512 512">
  <openbadges:credential>
    <![CDATA[
      {{"@context": ["https://www.w3.org/ns/credentials/v2"], "id": "http://example.edu/credentials/3732"}}
    ]]>
  </openbadges:credential>
  <!-- rest-of-image -->
</svg>
"""


def test_unbake_svg_reads_the_spec_layout() -> None:
    text = unbake_svg(SPEC_STYLE_SVG.encode())
    assert json.loads(text)["id"] == "http://example.edu/credentials/3732"


def test_bake_svg_json_goes_in_cdata_and_round_trips() -> None:
    baked = bake_svg(blank_svg(), JSON_CREDENTIAL)
    assert "<openbadges:credential><![CDATA[" in baked
    assert baked.count(f'xmlns:openbadges="{OB_SVG_NAMESPACE}"') == 1
    assert unbake_svg(baked.encode()) == JSON_CREDENTIAL  # "]]>" inside the JSON survives


def test_bake_svg_jwt_goes_in_the_verify_attribute() -> None:
    baked = bake_svg(blank_svg(), JWT_CREDENTIAL)
    assert f'<openbadges:credential verify="{JWT_CREDENTIAL}"/>' in baked
    assert unbake_svg(baked.encode()) == JWT_CREDENTIAL


def test_bake_svg_keeps_the_artwork_and_puts_the_credential_first() -> None:
    svg = blank_svg()
    baked = bake_svg(svg, JWT_CREDENTIAL)
    root_end = baked.index(">", baked.index("<svg")) + 1
    assert baked[root_end:].startswith("<openbadges:credential")
    assert svg.split("\n", 2)[2] in baked  # the <circle> and </svg> lines are untouched


def test_bake_svg_replaces_an_existing_credential_and_reuses_the_declaration() -> None:
    twice = bake_svg(bake_svg(SPEC_STYLE_SVG, JSON_CREDENTIAL), JWT_CREDENTIAL)
    assert twice.count("openbadges:credential") == 1
    assert twice.count("xmlns:openbadges") == 1
    assert unbake_svg(twice.encode()) == JWT_CREDENTIAL


def test_bake_svg_expands_a_self_closing_root() -> None:
    baked = bake_svg('<svg xmlns="http://www.w3.org/2000/svg" width="4"/>', JWT_CREDENTIAL)
    assert baked.endswith(f'<openbadges:credential verify="{JWT_CREDENTIAL}"/></svg>')
    assert unbake_svg(baked.encode()) == JWT_CREDENTIAL


def test_bake_svg_refuses_a_conflicting_prefix() -> None:
    svg = '<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="http://example.org/other"/>'
    with pytest.raises(MalformedCredentialError, match="another namespace"):
        bake_svg(svg, JWT_CREDENTIAL)


def test_unbake_svg_refuses_billion_laughs() -> None:
    # Ten levels of ten-fold expansion: 10^9 "lol"s if it were ever expanded.
    entities = '<!ENTITY l0 "lol">' + "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    svg = (
        f'<?xml version="1.0"?><!DOCTYPE svg [{entities}]><svg xmlns="http://www.w3.org/2000/svg">&l9;</svg>'
    )
    with pytest.raises(MalformedCredentialError, match="DTD internal subset"):
        unbake_svg(svg.encode())


def test_unbake_svg_refuses_an_external_entity() -> None:
    svg = (
        '<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0">'
        "<openbadges:credential>&xxe;</openbadges:credential></svg>"
    )
    with pytest.raises(MalformedCredentialError, match="SVG refused"):
        unbake_svg(svg.encode())


def test_unbake_svg_accepts_a_public_doctype_without_fetching_it() -> None:
    svg = bake_svg(blank_svg(), JWT_CREDENTIAL).replace(
        "<svg",
        '<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">\n<svg',
        1,
    )
    assert unbake_svg(svg.encode()) == JWT_CREDENTIAL


def test_unbake_svg_refuses_an_undefined_entity_rather_than_dropping_it() -> None:
    svg = bake_svg(blank_svg(), JSON_CREDENTIAL).replace(
        "<svg", '<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "svg11.dtd">\n<svg', 1
    )
    svg = svg.replace("<![CDATA[", "&nbsp;<![CDATA[")
    with pytest.raises(MalformedCredentialError, match="undefined entity &nbsp;"):
        unbake_svg(svg.encode())


@pytest.mark.parametrize(
    ("svg", "message"),
    [
        ('<svg xmlns="http://www.w3.org/2000/svg"><circle r="1"/></svg>', "no openbadges:credential"),
        (
            f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:o="{OB_SVG_NAMESPACE}">'
            '<o:credential verify="a.b.c"/><o:credential verify="a.b.c"/></svg>',
            "2 openbadges:credential elements",
        ),
        (
            f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:o="{OB_SVG_NAMESPACE}">'
            '<o:credential verify="a.b.c">{"a": 1}</o:credential></svg>',
            "both a verify attribute and a body",
        ),
        (
            f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:o="{OB_SVG_NAMESPACE}"><o:credential/></svg>',
            "empty",
        ),
        ("<html><body/></html>", "root element is not <svg>"),
        ('<svg xmlns="http://www.w3.org/2000/svg"><g></svg>', "not well-formed XML"),
        (
            '<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="http://openbadges.org">'
            '<openbadges:assertion verify="a.b.c"/></svg>',
            "Open Badges 2.0",
        ),
    ],
)
def test_unbake_svg_refusals(svg: str, message: str) -> None:
    with pytest.raises(MalformedCredentialError, match=message):
        unbake_svg(svg.encode())


def test_unbake_svg_any_prefix_for_the_namespace() -> None:
    svg = f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:ob="{OB_SVG_NAMESPACE}"><ob:credential verify=" a.b.c "/></svg>'
    assert unbake_svg(svg.encode()) == "a.b.c"


# --------------------------------------------------------------------------------------------------
# Sniffing, and a real signed badge
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "kind", "text"),
    [
        (bake_png(blank_png(), JWT_CREDENTIAL), "png", JWT_CREDENTIAL),
        (bake_svg(blank_svg(), JSON_CREDENTIAL).encode(), "svg", JSON_CREDENTIAL),
        (b"\xef\xbb\xbf  " + JSON_CREDENTIAL.encode() + b"\n", "json", JSON_CREDENTIAL),
        (JWT_CREDENTIAL.encode() + b"\r\n", "jwt", JWT_CREDENTIAL),
    ],
)
def test_extract_credential_sniffs_each_form(data: bytes, kind: str, text: str) -> None:
    assert extract_credential(data) == (text, kind)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\xff\xd8\xff\xe0 a JPEG", "not a PNG or SVG image and not UTF-8"),
        (b"just some words", "neither a JSON credential nor a compact JWS"),
        (b"[1, 2, 3]", "neither a JSON credential nor a compact JWS"),
        (b"{" + b" " * 200 + b"}", "the limit is 100"),
    ],
)
def test_extract_credential_refusals(data: bytes, message: str) -> None:
    with pytest.raises(MalformedCredentialError, match=message):
        extract_credential(data, max_bytes=100)


def test_extract_credential_baked_png_of_a_signed_badge_verifies(
    catalog: BadgeCatalog, issuer: TestIssuer
) -> None:
    award = Award(definition=catalog.get("math-7rp-proportional"), level=3, recipient="learner@example.org")
    credential = build_credential(
        award,
        issuer.profile,
        credential_id="urn:uuid:0b6b1f5e-2222-4a4a-9b9b-0123456789ab",
        now=NOW,
        salt="s4lt",
    )
    signed = json.dumps(issuer.sign_ldp(credential), indent=2)
    for baked in (bake_png(blank_png(width=8, height=8), signed), bake_svg(blank_svg(), signed).encode()):
        text, _ = extract_credential(baked)
        assert verify_credential(text, resolver=issuer.resolver(), now=NOW).verdict == "valid"


def test_bake_svg_finds_the_real_root_past_comments_and_quoted_brackets() -> None:
    svg = (
        '<?xml version="1.0" encoding="ISO-8859-1"?>\n<!-- <svg> decoy -->'
        '<svg xmlns="http://www.w3.org/2000/svg" data-x="a>b" title="café"><g/></svg>'
    )
    baked = bake_svg(svg, JWT_CREDENTIAL)
    assert baked.startswith('<?xml version="1.0" encoding="ISO-8859-1"?>\n<!-- <svg> decoy -->')
    assert f'title="café" xmlns:openbadges="{OB_SVG_NAMESPACE}"><openbadges:credential' in baked
    assert unbake_svg(baked.encode("latin-1")) == JWT_CREDENTIAL  # the declared encoding is honoured
