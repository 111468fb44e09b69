"""The learner's pages and share links through the app: my badges, sharing (create, open, withdraw,
expire), the public badge page, its QR codes and credential file, submitting evidence, deletion."""

from __future__ import annotations

import hashlib
import html
import io
import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

import pytest
import zxingcpp
from babel.dates import format_date
from PIL import Image
from sqlalchemy import func, select

from tests.conftest import NOW
from tests.integration.issuer.test_submissions import PNG
from tests.qr_decode import decode_svg, svg_modules

if TYPE_CHECKING:
    from litestar import Litestar

    from issuer.settings import Settings
    from tests.integration.issuer.conftest import World

pytestmark = pytest.mark.anyio

TOKEN = re.compile(r"/s/(mbs_[A-Za-z0-9_-]+)")


@dataclass
class Clock:
    """The app's clock, moved forward by the tests (link expiry)."""

    now: datetime = NOW

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(name="clock")
def fx_clock() -> Clock:
    return Clock()


@pytest.fixture(name="app")
def fx_app(settings: Settings, clock: Clock) -> Litestar:
    from issuer.web import create_app

    return create_app(settings, clock=clock)


def _cookie(world: World, who: str) -> tuple[dict[str, str], str]:
    cookie, csrf = world.sessions[who]
    return {"Cookie": f"mb_session={cookie}"}, csrf


async def _form(world: World, who: str, path: str, fields: dict[str, str], **kwargs: Any) -> Any:
    headers, csrf = _cookie(world, who)
    return await world.client.post(
        path, data={**fields, "csrf_token": csrf}, headers=headers, follow_redirects=False, **kwargs
    )


async def _share(world: World, credential_id: str, **fields: str) -> str:
    """A share link made through the badge page; its token (read from the page, as the learner would)."""
    form = {"audience": "Boise State admissions", "display_name": "Ana S.", "until": "withdrawn", **fields}
    answer = await _form(world, "student", f"/me/badges/{credential_id}/share", form)
    assert answer.status_code == 201, answer.text
    assert "Boise State admissions" in answer.text
    match = TOKEN.search(answer.text)
    assert match is not None
    token = match.group(1)
    linkedin = re.search(r'href="(https://www\.linkedin\.com/profile/add\?[^"]+)"', answer.text)
    assert linkedin is not None
    query = parse_qs(urlsplit(html.unescape(linkedin.group(1))).query)
    assert query["startTask"] == ["CERTIFICATION_NAME"]
    assert query["certUrl"] == [f"https://badges.example.edu/s/{token}"]
    assert query["certId"] == [credential_id]
    assert query["organizationName"] == ["Lincoln High School"]
    assert query["issueYear"] == [str(NOW.year)]
    assert query["issueMonth"] == [str(NOW.month)]
    return token


async def _count(world: World, model: Any) -> int:
    async with world.services.sessions() as session:
        return int((await session.execute(select(func.count()).select_from(model))).scalar_one())


async def test_my_badges_lists_status_from_the_database_and_the_badge_page_offers_downloads(
    world: World,
) -> None:
    credential = await world.issue("student", badge="weld-smaw-3f")
    headers, _ = _cookie(world, "student")
    listing = await world.client.get("/me/badges", headers=headers)
    assert listing.status_code == 200
    assert "SMAW" in listing.text or "Fillet" in listing.text or "weld" in listing.text.lower()
    assert "Active" in listing.text
    revoked = await world.client.post(
        f"/api/orgs/lincoln-hs/credentials/{credential.id}/revoke",
        json={"reason": "test"},
        headers=world.headers("admin"),
    )
    assert revoked.status_code == 200, revoked.text
    listing = await world.client.get("/me/badges", headers=headers)
    assert "Revoked" in listing.text
    detail = await world.client.get(f"/me/badges/{credential.id}", headers=headers)
    assert detail.status_code == 200
    assert 'id="wallet"' in detail.text
    for file_format in ("json", "png", "svg"):
        got = await world.client.get(f"/me/badges/{credential.id}/files/{file_format}", headers=headers)
        assert got.status_code == 200, file_format
        assert "attachment" in got.headers["content-disposition"]
    json_file = await world.client.get(f"/me/badges/{credential.id}/files/json", headers=headers)
    assert json_file.text == credential.ldp


async def test_share_link_open_log_withdraw_and_token_not_stored_in_clear(world: World) -> None:
    from issuer.db.models import ShareLink, ShareOpening

    credential = await world.issue("student", badge="weld-smaw-3f")
    token = await _share(world, credential.id, evidence="yes")
    async with world.services.sessions() as session:
        [link] = (await session.execute(select(ShareLink))).scalars().all()
        assert link.token_hash == hashlib.sha256(token.encode()).hexdigest()
        assert token not in repr(link.model_dump())
        assert link.expires_at is None
        assert link.show_evidence is True

    # Anyone with the link: the badge, checked live, with the name the learner chose.
    public = await world.client.get(f"/s/{token}")
    assert public.status_code == 200, public.text
    assert 'id="verdict">Verified<' in public.text
    assert "Ana S." in public.text
    assert world.people["student"].display_name not in public.text
    assert 'property="og:title"' in public.text
    assert f'<meta property="og:url" content="https://badges.example.edu/s/{token}">' in public.text
    assert (
        f'<link rel="alternate" type="application/vc+ld+json" href="/s/{token}/credential.json">'
        in public.text
    )
    assert public.headers["cache-control"] == "no-store"
    assert await _count(world, ShareOpening) == 1
    await world.client.get(f"/s/{token}")
    assert await _count(world, ShareOpening) == 2

    served = await world.client.get(f"/s/{token}/credential.json")
    assert served.status_code == 200
    assert served.headers["content-type"].startswith("application/vc+ld+json")
    assert served.text == credential.ldp
    assert await _count(world, ShareOpening) == 2  # the file is not a view of the page

    qr = await world.client.get(f"/s/{token}/qr.png")
    assert qr.status_code == 200
    [decoded] = zxingcpp.read_barcodes(Image.open(io.BytesIO(qr.content)))
    assert decoded.text == f"https://badges.example.edu/s/{token}"

    headers, _ = _cookie(world, "student")
    owner_view = await world.client.get(f"/me/badges/{credential.id}", headers=headers)
    assert "2 times" in owner_view.text
    assert "Until you withdraw it" in owner_view.text

    # Another student can neither see the badge page nor withdraw the link.
    other_headers, _ = _cookie(world, "student2")
    assert (await world.client.get(f"/me/badges/{credential.id}", headers=other_headers)).status_code == 404
    refused = await _form(world, "student2", f"/me/share-links/{link.id}/withdraw", {})
    assert refused.status_code == 404
    assert (await world.client.get(f"/s/{token}")).status_code == 200

    withdrawn = await _form(world, "student", f"/me/share-links/{link.id}/withdraw", {})
    assert withdrawn.status_code == 303
    gone = await world.client.get(f"/s/{token}")
    assert gone.status_code == 410
    assert "withdrawn" in gone.text
    assert "Ana" not in gone.text
    assert await _count(world, ShareOpening) == 3  # the check above was the third; a gone page is none
    gone_file = await world.client.get(f"/s/{token}/credential.json")
    assert gone_file.status_code == 410
    assert gone_file.json()["code"] == "SHARE_LINK_GONE"
    assert (await world.client.get(f"/s/{token}/qr.png")).status_code == 410
    again = await _form(world, "student", f"/me/share-links/{link.id}/withdraw", {})
    assert again.status_code == 409
    assert (await world.client.get("/s/mbs_not-a-real-token")).status_code == 404


async def test_share_link_expires_at_the_end_of_the_chosen_day(world: World, clock: Clock) -> None:
    credential = await world.issue("student", badge="weld-smaw-3f")
    last_day = (NOW + timedelta(days=2)).date()
    token = await _share(world, credential.id, until="date", expires=last_day.isoformat())
    clock.now = datetime.combine(last_day, datetime.max.time(), tzinfo=NOW.tzinfo) - timedelta(seconds=1)
    in_spanish = await world.client.get(f"/s/{token}?lang=es")
    assert in_spanish.status_code == 200
    assert 'id="verdict">Verificada<' in in_spanish.text
    clock.now = datetime.combine(last_day + timedelta(days=1), datetime.min.time(), tzinfo=NOW.tzinfo)
    expired = await world.client.get(f"/s/{token}?lang=en")  # the client kept the language cookie
    assert expired.status_code == 410
    assert "expired" in expired.text
    from issuer.services.people import open_session_for

    async with world.services.sessions() as session:  # the test's session ended meanwhile: sign in again
        cookie, _ = await open_session_for(session, person=world.people["student"], now=clock.now)
    owner_view = await world.client.get(
        f"/me/badges/{credential.id}", headers={"Cookie": f"mb_session={cookie}"}
    )
    assert owner_view.status_code == 200
    assert "Expired on" in owner_view.text
    # The badge did not expire with the link: it still verifies.
    assert await world.verdict(credential.ldp or "") == "valid"


async def test_a_revoked_badge_and_an_expired_badge_say_so_on_a_working_link(
    world: World, clock: Clock
) -> None:
    from issuer.services.people import open_session_for

    welding = await world.issue("student", badge="weld-smaw-3f")  # valid for 3 years (P3Y)
    math = await world.issue("student", badge="math-7rp-proportional")
    welding_token = await _share(world, welding.id)
    math_token = await _share(world, math.id)
    revoked = await world.client.post(
        f"/api/orgs/lincoln-hs/credentials/{math.id}/revoke",
        json={"reason": "awarded by mistake"},
        headers=world.headers("admin"),
    )
    assert revoked.status_code == 200, revoked.text
    page = await world.client.get(f"/s/{math_token}")
    assert page.status_code == 200
    assert 'id="verdict">Not valid<' in page.text
    assert ">Revoked<" in page.text
    assert "awarded by mistake" not in page.text  # the reason is private

    clock.now = NOW + timedelta(days=3 * 366)
    page = await world.client.get(f"/s/{welding_token}")
    assert page.status_code == 200  # the link works until withdrawn, the badge has expired
    assert ">Expired<" in page.text
    assert "The badge itself has expired" in page.text
    assert 'id="verdict">Verified<' not in page.text
    async with world.services.sessions() as session:
        cookie, web_session = await open_session_for(session, person=world.people["student"], now=clock.now)
    listing = await world.client.get("/me/badges", headers={"Cookie": f"mb_session={cookie}"})
    assert listing.status_code == 200
    assert ">Expired<" in listing.text
    assert ">Revoked<" in listing.text
    # The badge's own end date is on both pages, beside the share link's.
    until = json.loads(welding.ldp or "")["validUntil"]
    shown = format_date(datetime.fromisoformat(until), format="medium", locale="en")
    assert f"<dt>Valid until</dt><dd>{shown}</dd>" in page.text
    own = await world.client.get(f"/me/badges/{welding.id}", headers={"Cookie": f"mb_session={cookie}"})
    assert f"<dt>Valid until</dt><dd>{shown}</dd>" in own.text
    assert "An expired badge cannot be put into a wallet." in own.text
    offer = await world.client.post(
        f"/api/me/credentials/{welding.id}/wallet-offers",
        json={},
        headers={"Cookie": f"mb_session={cookie}", "X-CSRF-Token": web_session.csrf_token},
    )
    assert (offer.status_code, offer.json()["code"]) == (409, "INVALID_STATE"), offer.text
    assert "expired" in offer.json()["detail"]


async def test_the_page_shows_the_evidence_only_when_the_learner_chose_to(world: World) -> None:
    awarded = await world.client.post(
        "/api/orgs/lincoln-hs/awards",
        json={
            "student": world.person_id("student"),
            "badge": "math-7rp-proportional",
            "level": 3,
            "comment": "Ratio tables for the *recipe* project.",
            "evidenceUrl": "https://example.org/ana/recipe-project",
        },
        headers=world.headers("teacher"),
    )
    assert awarded.status_code == 201, awarded.text
    credential_id = awarded.json()["id"]
    shown = await world.client.get(f"/s/{await _share(world, credential_id, evidence='yes')}")
    hidden = await world.client.get(f"/s/{await _share(world, credential_id)}")
    assert 'href="https://example.org/ana/recipe-project"' in shown.text
    assert "https://example.org/ana/recipe-project" not in hidden.text
    assert "<h2>Evidence</h2>" in shown.text
    assert "<h2>Evidence</h2>" not in hidden.text


async def test_share_link_form_refuses_bad_days_and_other_learners_badges(world: World) -> None:
    from issuer.db.models import ShareLink

    credential = await world.issue("student", badge="weld-smaw-3f")
    path = f"/me/badges/{credential.id}/share"
    base = {"audience": "Employer", "display_name": "Ana", "until": "date"}
    past = await _form(
        world, "student", path, {**base, "expires": (NOW - timedelta(days=1)).date().isoformat()}
    )
    assert past.status_code == 422
    assert "cannot be in the past" in past.text
    assert 'value="Employer"' in past.text  # what was typed is kept
    too_far = await _form(
        world, "student", path, {**base, "expires": (NOW + timedelta(days=400)).date().isoformat()}
    )
    assert too_far.status_code == 422
    assert "at most 365 days" in too_far.text
    no_day = await _form(world, "student", path, base)
    assert no_day.status_code == 422
    no_audience = await _form(world, "student", path, {**base, "audience": " ", "until": "withdrawn"})
    assert no_audience.status_code == 422
    not_hers = await _form(world, "student2", path, {**base, "until": "withdrawn"})
    assert not_hers.status_code == 404
    assert await _count(world, ShareLink) == 0


async def test_deleting_the_learner_deletes_their_share_links_and_openings(world: World) -> None:
    from issuer.db.models import ShareLink, ShareOpening

    credential = await world.issue("student", badge="weld-smaw-3f")
    token = await _share(world, credential.id)
    other = await world.issue("student2", badge="weld-smaw-3f")
    headers, csrf = _cookie(world, "student2")
    answer = await world.client.post(
        f"/me/badges/{other.id}/share",
        data={"audience": "Kept", "display_name": "Ben", "until": "withdrawn", "csrf_token": csrf},
        headers=headers,
    )
    assert answer.status_code == 201
    await world.client.get(f"/s/{token}")
    assert await _count(world, ShareLink) == 2
    assert await _count(world, ShareOpening) == 1
    deleted = await world.client.request(
        "DELETE",
        f"/api/learners/{world.person_id('student')}",
        json={"confirm": "ana@students.example.edu"},
        headers=world.headers("student"),
    )
    assert deleted.status_code == 204, deleted.text
    assert await _count(world, ShareLink) == 1  # Ben's stays
    assert await _count(world, ShareOpening) == 0
    assert (await world.client.get(f"/s/{token}")).status_code == 404


async def test_qr_svg_and_png_encode_the_same_page_address() -> None:
    """The inline SVG is rasterised here from its own path (one square per dark module) and decoded,
    independently of the PNG, which is decoded as served."""
    from issuer.web.pages.qr import qr_png, qr_svg

    url = "https://badges.example.edu/s/mbs_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
    svg = str(qr_svg(url, label="QR"))
    size, modules = svg_modules(svg)
    assert modules
    assert decode_svg(svg) == [url]
    png = Image.open(io.BytesIO(qr_png(url))).convert("L")
    [from_png] = zxingcpp.read_barcodes(png)
    assert from_png.text == url
    box = png.width // size
    pixels = png.load()
    assert pixels is not None
    dark_in_png = {
        (x, y)
        for x in range(size)
        for y in range(size)
        if int(pixels[x * box + box // 2, y * box + box // 2]) < 128  # type: ignore[arg-type]
    }
    assert dark_in_png == modules


async def test_student_submits_evidence_with_a_file_and_resubmits_after_a_return(world: World) -> None:
    from issuer.db.models import Submission

    headers, csrf = _cookie(world, "student")
    form_page = await world.client.get("/me/submit", headers=headers)
    assert form_page.status_code == 200
    assert 'value="lincoln-hs/weld-smaw-3f"' in form_page.text
    assert "10 MiB each" in form_page.text

    refused = await world.client.post(
        "/me/submit",
        data={"badge": "", "level": "3", "narrative": "kept", "csrf_token": csrf},
        headers=headers,
    )
    assert refused.status_code == 422
    assert "Choose the badge" in refused.text
    assert ">kept</textarea>" in refused.text
    bad_link = await world.client.post(
        "/me/submit",
        data={
            "badge": "lincoln-hs/weld-smaw-3f",
            "level": "3",
            "links": "javascript:alert(1)",
            "csrf_token": csrf,
        },
        headers=headers,
    )
    assert bad_link.status_code == 422
    assert await _count(world, Submission) == 0

    sent = await world.client.post(
        "/me/submit",
        data={
            "badge": "lincoln-hs/weld-smaw-3f",
            "level": "3",
            "narrative": "My **3F** plate.",
            "links": "https://example.org/plate\n\nhttps://example.org/video",
            "csrf_token": csrf,
        },
        files=[("files", ("plate.png", PNG, "image/png"))],
        headers=headers,
        follow_redirects=False,
    )
    assert sent.status_code == 303, sent.text
    location = sent.headers["location"]
    shown = await world.client.get(location, headers=headers)
    assert shown.status_code == 200
    assert "<strong>3F</strong>" in shown.text
    assert "plate.png" in shown.text
    assert "Waiting for review" in shown.text
    submission_id = location.rsplit("/", 1)[-1]
    listing = await world.client.get("/me/submissions", headers=headers)
    assert submission_id in listing.text

    other_headers, _ = _cookie(world, "student2")
    assert (await world.client.get(location, headers=other_headers)).status_code == 404

    returned = await world.client.post(
        f"/api/orgs/lincoln-hs/submissions/{submission_id}/review",
        json={"decision": "return", "comment": "Add a *photo* of the root."},
        headers=world.headers("teacher"),
    )
    assert returned.status_code in (200, 201), returned.text
    shown = await world.client.get(location, headers=headers)
    assert "<em>photo</em>" in shown.text
    assert "Send for review again" in shown.text
    again = await world.client.post(
        f"{location}/resubmit",
        data={
            "narrative": "My 3F plate, with the root.",
            "links": "https://example.org/plate",
            "csrf_token": csrf,
        },
        files=[("files", ("root.png", PNG, "image/png"))],
        headers=headers,
        follow_redirects=False,
    )
    assert again.status_code == 303, again.text
    shown = await world.client.get(location, headers=headers)
    assert "Waiting for review" in shown.text
    assert "root.png" in shown.text


async def test_verifier_and_registrar_read_a_share_link_of_this_service_from_its_own_data(
    world: World,
) -> None:
    from issuer.db.models import ShareLink, ShareOpening

    credential = await world.issue("student", badge="weld-smaw-3f")
    token = await _share(world, credential.id)
    link_url = f"https://badges.example.edu/s/{token}"
    # The test service's host does not exist on the network: a "Verified" here was read locally.
    verified = await world.client.post("/verify", data={"link": link_url})
    assert verified.status_code == 200, verified.text
    assert 'id="verdict">Verified<' in verified.text
    assert await _count(world, ShareOpening) == 1  # the learner sees the link was used

    world.services.settings.credit_rules = {"riverbend-cc": "riverbend-community-college"}
    headers, csrf = _cookie(world, "registrar")
    decided = await world.client.post(
        "/orgs/riverbend-cc/registrar",
        data={"links": f"{link_url}/credential.json", "csrf_token": csrf},
        headers=headers,
    )
    assert decided.status_code == 200, decided.text
    assert "weld" in decided.text.lower()
    assert "could not be read" not in decided.text
    assert await _count(world, ShareOpening) == 2

    async with world.services.sessions() as session:
        [link] = (await session.execute(select(ShareLink))).scalars().all()
    assert (await _form(world, "student", f"/me/share-links/{link.id}/withdraw", {})).status_code == 303
    gone = await world.client.post("/verify", data={"link": link_url})
    assert "the share link no longer works" in gone.text
    assert 'id="verdict"' not in gone.text
    elsewhere = await world.client.post("/verify", data={"link": "https://badges.example.edu/api/me"})
    assert "must be a share link" in elsewhere.text


async def test_wallet_offer_from_the_badge_page_is_shown_once_with_its_qr_codes(world: World) -> None:
    from issuer.db.models import WalletOfferRow

    credential = await world.issue("student", badge="weld-smaw-3f")
    headers, _ = _cookie(world, "student")
    badge_page = await world.client.get(f"/me/badges/{credential.id}", headers=headers)
    assert "Make a wallet QR code" in badge_page.text
    answer = await _form(world, "student", f"/me/badges/{credential.id}/wallet", {"pin": "yes"})
    assert answer.status_code == 201, answer.text
    assert answer.headers["cache-control"] == "no-store"
    offer_link = re.search(r'href="(openid-credential-offer://[^"]+)"', answer.text)
    assert offer_link is not None
    # With a PIN: OpenID4VCI only (the DCC wallet's exchange cannot send a PIN).
    assert "dccrequest://" not in answer.text
    pin = re.search(r'id="wallet-pin">(\d{6})<', answer.text)
    assert pin is not None
    assert answer.text.count("<svg data-width=") == 1
    without_pin = await _form(world, "student", f"/me/badges/{credential.id}/wallet", {})
    assert without_pin.status_code == 201, without_pin.text
    assert 'href="dccrequest://request?request=' in without_pin.text
    assert 'id="wallet-pin"' not in without_pin.text
    assert without_pin.text.count("<svg data-width=") == 2
    assert await _count(world, WalletOfferRow) == 2
    # The offer the page made is a real one: its credential_offer_uri answers the offer document.
    offer_uri = parse_qs(urlsplit(html.unescape(offer_link.group(1))).query)["credential_offer_uri"][0]
    offered = await world.client.get(urlsplit(offer_uri).path)
    assert offered.status_code == 200, offered.text
    assert "pre-authorized_code" in offered.text
    # Not someone else's badge, and not a revoked one.
    assert (await _form(world, "student2", f"/me/badges/{credential.id}/wallet", {})).status_code == 404
    revoked = await world.client.post(
        f"/api/orgs/lincoln-hs/credentials/{credential.id}/revoke",
        json={"reason": "test"},
        headers=world.headers("admin"),
    )
    assert revoked.status_code == 200
    refused = await _form(world, "student", f"/me/badges/{credential.id}/wallet", {})
    assert refused.status_code == 409
    assert await _count(world, WalletOfferRow) == 2
