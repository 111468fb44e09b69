"""Text accepted as input always bakes into an SVG badge (task S2, reviewer finding 2).

Free text a learner or teacher types (a narrative, an evidence name) is checked at input by
:func:`issuer.issuance.check_text`; whatever it accepts must go through :func:`build_credential` and
:func:`verifier.baking.bake_svg` without error, and whatever it refuses is refused by build_credential too.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from hypothesis import given, settings
from hypothesis import strategies as st

from issuer.errors import InvalidAwardError, InvalidRequestError
from issuer.issuance import Award, EvidenceItem, IssuerProfile, build_credential, check_text
from tests.conftest import NOW
from verifier.baking import bake_svg, unbake_svg

if TYPE_CHECKING:
    from issuer.definitions import BadgeCatalog

SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><title>Badge</title></svg>'
PROFILE = IssuerProfile(id="did:web:badges.example.edu:orgs:lincoln-hs", name="Lincoln High School")
# Every code point, lone surrogates and non-characters included, with the troublesome ones favoured.
_TEXT = st.lists(
    st.one_of(
        st.characters(codec=None, min_codepoint=0, max_codepoint=0x10FFFF),
        st.sampled_from(["\x00", "\x01", "\x0b", "\t", "\n", "\r", "\ud800", "\ufffe", "\uffff", "]]>"]),
    ),
    max_size=30,
).map("".join)


def _credential_text(catalog: BadgeCatalog, text: str) -> str:
    credential = build_credential(
        Award(
            definition=catalog.get("weld-smaw-3f"),
            level=3,
            recipient="ana@students.example.org",
            evidence=(EvidenceItem(name=text or "Evidence", narrative=text or None),),
            narrative=text or None,
        ),
        PROFILE,
        credential_id="urn:uuid:0b5c2d0e-6f1f-4c55-9d1c-2a0f3f9e7a11",
        now=NOW,
        salt="d2f1a9c0e4b7",
    )
    # As the service stores it (issuer/services/issuing.py).
    return json.dumps(credential, ensure_ascii=False, separators=(",", ":"))


@settings(max_examples=300, deadline=None)
@given(text=_TEXT)
def test_check_text_accepted_text_always_bakes_into_svg(catalog: BadgeCatalog, text: str) -> None:
    try:
        check_text(text, "narrative")
    except InvalidRequestError:
        try:
            _credential_text(catalog, text)
        except InvalidAwardError:
            return  # refused at input and, as the last line of defence, when building
        raise AssertionError(f"build_credential accepted {text!r}, which check_text refuses") from None
    credential_text = _credential_text(catalog, text)
    baked = bake_svg(SVG, credential_text)
    assert unbake_svg(baked.encode("utf-8")) == credential_text
