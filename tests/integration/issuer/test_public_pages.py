"""The public verifier page, the registrar's credit pages and the organisation admin pages, through the
app (SQLite and PostgreSQL): what a person sees and what is (not) stored."""

from __future__ import annotations

import csv
import io
import json
import re
from html import unescape
from typing import TYPE_CHECKING, Any

import pytest
from sqlmodel import func, select

from issuer.db.models import AuditEvent, Invitation
from verifier.baking import bake_png, blank_png

if TYPE_CHECKING:
    from httpx import Response

    from tests.integration.issuer.conftest import World

pytestmark = pytest.mark.anyio

RIVERBEND = "riverbend-community-college"


async def _post_form(
    world: World,
    who: str | None,
    path: str,
    data: dict[str, Any],
    files: dict[str, Any] | list[tuple[str, Any]] | None = None,
) -> Response:
    """Post a page form as the browser does: the session cookie, and its CSRF token in the form."""
    headers = world.headers(who)
    csrf = headers.pop("X-CSRF-Token", "")
    return await world.client.post(
        path, data={**data, "csrf_token": csrf}, files=files, headers=headers, follow_redirects=False
    )


async def _follow(world: World, who: str, redirect: Response) -> Response:
    """The page a form's 303 leads to, with the one-time message cookie it set (as a browser would)."""
    headers = world.headers(who)
    flash = redirect.headers["set-cookie"].split(";", 1)[0]
    headers["Cookie"] = f"{headers['Cookie']}; {flash}"
    return await world.client.get(redirect.headers["location"], headers=headers)


def _text(page: str) -> str:
    """The page's text, tags dropped and spaces collapsed (what a reader sees, roughly)."""
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", page)))


async def _events(world: World, action: str) -> list[AuditEvent]:
    async with world.services.sessions() as session:
        rows = await session.execute(select(AuditEvent).where(AuditEvent.action == action))
        return list(rows.scalars())


# --- the public verifier --------------------------------------------------------------------------------


async def test_verifier_page_shows_a_valid_badge_in_plain_words_and_stores_nothing(world: World) -> None:
    credential = await world.issue("student")
    assert credential.ldp is not None
    async with world.services.sessions() as session:
        events_before = (await session.execute(select(func.count()).select_from(AuditEvent))).scalar_one()
    page = await _post_form(world, None, "/verify", {"credential": credential.ldp})
    assert page.status_code == 200, page.text
    text = _text(page.text)
    assert 'id="verdict">Verified<' in page.text
    assert page.headers["cache-control"] == "no-store"
    assert "The issuer's digital signature is intact" in text
    assert "Lincoln High School" in text
    assert "Issued by" in text
    assert "Level 3" in text
    assert "Valid from Nov 23, 2026" in text  # a date as people write it, not ISO 8601
    # Nothing pasted is kept: no event, no new row anywhere the audit log would show.
    async with world.services.sessions() as session:
        events_after = (await session.execute(select(func.count()).select_from(AuditEvent))).scalar_one()
    assert events_after == events_before


async def test_verifier_page_reports_a_tampered_badge_as_not_valid(world: World) -> None:
    credential = await world.issue("student")
    assert credential.ldp is not None
    tampered = json.loads(credential.ldp)
    tampered["credentialSubject"]["result"][0]["achievedLevel"] = "urn:tampered"
    page = await _post_form(world, None, "/verify", {"credential": json.dumps(tampered)})
    assert page.status_code == 200, page.text
    assert 'id="verdict">Not valid<' in page.text
    assert "The digital signature does not match" in _text(page.text)


async def test_verifier_page_refuses_garbage_and_an_oversized_paste_with_a_message(world: World) -> None:
    garbage = await _post_form(world, None, "/verify", {"credential": "hello, is this a badge?"})
    assert garbage.status_code == 422
    assert 'role="alert"' in garbage.text
    assert "This could not be read as a badge" in _text(garbage.text)
    assert "hello, is this a badge?" in garbage.text  # what they typed is kept in the form
    nothing = await _post_form(world, None, "/verify", {"credential": "  "})
    assert nothing.status_code == 422
    assert "Paste a badge, choose a file, or give a link to one." in nothing.text
    oversized = await _post_form(
        world, None, "/verify", {"credential": "{" + "x" * (2 * 1024 * 1024 + 1) + "}"}
    )
    assert oversized.status_code == 413
    assert "The pasted text is larger than 2 MB" in oversized.text
    assert "xxxxxxxx" not in oversized.text  # not echoed back


async def test_verifier_page_reads_a_baked_png_upload(world: World) -> None:
    credential = await world.issue("student")
    assert credential.ldp is not None
    png = bake_png(blank_png(width=4, height=4), credential.ldp)
    page = await _post_form(world, None, "/verify", {}, files={"file": ("badge.png", png, "image/png")})
    assert page.status_code == 200, page.text
    assert 'id="verdict">Verified<' in page.text
    not_baked = await _post_form(
        world, None, "/verify", {}, files={"file": ("plain.png", blank_png(), "image/png")}
    )
    assert not_baked.status_code == 422
    assert "This could not be read as a badge" in not_baked.text


async def test_verifier_page_refuses_links_it_must_not_fetch(world: World) -> None:
    private = await _post_form(world, None, "/verify", {"link": "https://127.0.0.1/badge.json"})
    assert private.status_code == 422
    assert "the link could not be read" in private.text
    plain_http = await _post_form(world, None, "/verify", {"link": "http://example.org/badge.json"})
    assert plain_http.status_code == 422
    assert "only https:// links are read" in plain_http.text
    for broken in ("https://[::1/badge.json", "https://example.org:port/badge.json"):
        refused = await _post_form(world, None, "/verify", {"link": broken})
        assert refused.status_code == 422, broken
        assert "the link is not a web address" in refused.text


async def test_verifier_page_shows_the_credit_decision_with_reasons(world: World) -> None:
    credential = await world.issue("student")
    assert credential.ldp is not None
    page = await _post_form(world, None, "/verify", {"credential": credential.ldp, "rules": RIVERBEND})
    assert page.status_code == 200, page.text
    text = _text(page.text)
    assert "Transfer credit at Riverbend Community College" in text
    assert "WLD 111 Shielded Metal Arc Welding I" in text
    assert "Total credits: 2" in text
    assert "wld-110" in text  # every rule is listed with its outcome and reason
    unknown = await _post_form(
        world, None, "/verify", {"credential": credential.ldp, "rules": "../../etc/passwd"}
    )
    assert unknown.status_code == 422
    assert "Choose an institution from the list." in unknown.text


async def test_verifier_page_is_rate_limited_per_client(world: World) -> None:
    world.services.settings.verify_rate_per_minute = 2
    for _ in range(2):
        assert (await _post_form(world, None, "/verify", {"credential": "not a badge"})).status_code == 422
    limited = await _post_form(world, None, "/verify", {"credential": "not a badge"})
    assert limited.status_code == 429
    assert limited.headers["content-type"].startswith("text/html")
    assert "Too many attempts" in limited.text
    assert (await world.client.get("/verify")).status_code == 200  # reading the page is not limited


# --- the registrar --------------------------------------------------------------------------------------


async def test_registrar_uploads_two_badges_and_gets_a_decision_and_csv(world: World) -> None:
    world.services.settings.credit_rules = {"riverbend-cc": RIVERBEND}
    three = await world.issue("student", badge="weld-smaw-3f", level=3)
    four = await world.issue("student", badge="weld-smaw-4f", level=3)
    assert three.ldp is not None
    assert four.ldp is not None
    files = [
        ("files", ("3f.json", three.ldp.encode(), "application/json")),
        ("files", ("4f.png", bake_png(blank_png(), four.ldp), "image/png")),
        ("files", ("notes.txt", b"not a badge", "text/plain")),
    ]
    page = await _post_form(
        world, "registrar", "/orgs/riverbend-cc/registrar", {"student": "=cmd|' /C calc'!A0"}, files=files
    )
    assert page.status_code == 200, page.text
    text = _text(page.text)
    assert "WLD 110 Fillet Welding, Out of Position" in text
    assert "Total credits: 4" in text
    assert "notes.txt:" in text  # the unreadable file is named, the others still decided
    assert text.count("Verified") >= 2
    events = await _events(world, "registrar.credit_decision")
    assert len(events) == 1
    assert events[0].detail == {"badges": 2, "unreadable": 1, "granted": 1, "credits": "4", "export": "page"}
    assert three.ldp not in json.dumps(events[0].detail)

    # The CSV comes from the badges the page sent back.
    badges = re.findall(r'name="badge" value="([^"]*)"', page.text)
    names = re.findall(r'name="badge_name" value="([^"]*)"', page.text)
    assert names == ["3f.json", "4f.png"]
    unreadable = re.findall(r'name="unreadable" value="([^"]*)"', page.text)
    assert [unescape(u).split(":")[0] for u in unreadable] == ["notes.txt"]
    form: list[tuple[str, str]] = [("student", "=cmd|' /C calc'!A0")]
    form += [("badge_name", n) for n in names] + [("badge", unescape(b)) for b in badges]
    form += [("unreadable", unescape(u)) for u in unreadable]
    headers = world.headers("registrar")
    form.append(("csrf_token", headers.pop("X-CSRF-Token")))
    exported = await world.client.post(
        "/orgs/riverbend-cc/registrar/decision.csv",
        content="&".join(f"{k}={_quote(v)}" for k, v in form),
        headers={**headers, "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert exported.status_code == 200, exported.text
    assert exported.headers["content-type"].startswith("text/csv")
    assert "attachment" in exported.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(exported.text.removeprefix("\ufeff"))))
    grants = [row for row in rows if row["section"] == "grant"]
    assert [(g["rule"], g["credits"]) for g in grants] == [("wld-110", "4")]
    # The file the page could not read is in the CSV too, with the reason.
    [lost] = [row for row in rows if row["section"] == "unreadable"]
    assert (lost["badge"], lost["outcome"]) == ("notes.txt", "unreadable")
    assert lost["reason"]
    assert {row["student"] for row in rows} == {"'=cmd|' /C calc'!A0"}  # neutralised, not a formula
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row.values())
    assert len(await _events(world, "registrar.credit_decision")) == 2


def _quote(value: str) -> str:
    from urllib.parse import quote_plus

    return quote_plus(value)


async def test_registrar_page_is_for_that_colleges_registrars_only(world: World) -> None:
    world.services.settings.credit_rules = {"riverbend-cc": RIVERBEND}
    assert (
        await world.client.get("/orgs/riverbend-cc/registrar", headers=world.headers("registrar"))
    ).status_code == 200
    for who in ("teacher", "admin", "student"):
        refused = await _post_form(
            world, who, "/orgs/riverbend-cc/registrar", {"links": "https://x.example/b"}
        )
        assert refused.status_code == 403, who
    assert await _events(world, "registrar.credit_decision") == []
    nothing = await _post_form(world, "registrar", "/orgs/riverbend-cc/registrar", {})
    assert nothing.status_code == 422
    assert "Choose the student's badge files" in _text(nothing.text)


# --- the organisation admin -----------------------------------------------------------------------------


async def test_admin_invites_a_supervisor_and_sees_the_link_once(world: World) -> None:
    page = await world.client.get("/orgs/lincoln-hs/admin/invitations", headers=world.headers("admin"))
    assert page.status_code == 200
    assert f'value="{world.person_id("student")}"' in page.text
    created = await _post_form(
        world,
        "admin",
        "/orgs/lincoln-hs/admin/invitations",
        {
            "email": "mentor@shop.example",
            "display_name": "Mo Mentor",
            "badges": "weld-smaw-3f",
            "students": world.person_id("student"),
            "days": "7",
        },
    )
    assert created.status_code == 201, created.text
    link = re.search(r'id="invitation-link"[^>]*value="([^"]+)"', created.text)
    assert link is not None
    assert link.group(1).startswith("https://badges.example.edu/invitations/")
    assert created.headers["cache-control"] == "no-store"
    again = await world.client.get("/orgs/lincoln-hs/admin/invitations", headers=world.headers("admin"))
    assert "Mo Mentor" in again.text
    assert link.group(1) not in again.text  # shown once
    async with world.services.sessions() as session:
        invitation = (await session.execute(select(Invitation))).scalars().one()
    token = link.group(1).rsplit("/", 1)[1]
    assert token not in invitation.token_hash
    withdrawn = await _post_form(
        world, "admin", f"/orgs/lincoln-hs/admin/invitations/{invitation.id}/withdraw", {}
    )
    assert withdrawn.status_code == 303
    assert (
        "withdrawn"
        in (await world.client.get("/orgs/lincoln-hs/admin/invitations", headers=world.headers("admin"))).text
    )
    bad = await _post_form(
        world,
        "admin",
        "/orgs/lincoln-hs/admin/invitations",
        {"email": "m@shop.example", "display_name": "M", "students": world.person_id("student"), "days": "7"},
    )
    assert bad.status_code == 422
    assert "a supervisor invitation names at least one badge and one student" in bad.text
    assert 'value="m@shop.example"' in bad.text


async def test_admin_rotates_a_key_only_after_confirming(world: World) -> None:
    before = {r.key_id for r in world.services.keyring.store("lincoln-hs").records() if r.status == "active"}
    asked = await _post_form(world, "admin", "/orgs/lincoln-hs/admin/keys/rotate", {"algorithm": "EdDSA"})
    assert asked.status_code == 200
    assert "Rotate the EdDSA key?" in _text(asked.text)
    unchanged = {
        r.key_id for r in world.services.keyring.store("lincoln-hs").records() if r.status == "active"
    }
    assert unchanged == before
    done = await _post_form(
        world, "admin", "/orgs/lincoln-hs/admin/keys/rotate", {"algorithm": "EdDSA", "confirm": "yes"}
    )
    assert done.status_code == 303, done.text
    after = {r.key_id for r in world.services.keyring.store("lincoln-hs").records() if r.status == "active"}
    assert after != before
    keys_page = await _follow(world, "admin", done)
    assert "A new EdDSA key signs from now on" in keys_page.text
    assert "retired" in keys_page.text
    assert len(await _events(world, "key.rotate")) == 1


async def test_admin_audit_log_filters_and_pages(world: World) -> None:
    await world.issue("student")
    await _post_form(
        world, "admin", "/orgs/lincoln-hs/admin/keys/rotate", {"algorithm": "RS256", "confirm": "yes"}
    )
    everything = await world.client.get("/orgs/lincoln-hs/admin/audit", headers=world.headers("admin"))
    assert everything.status_code == 200
    assert "key.rotate" in everything.text
    only_keys = await world.client.get(
        "/orgs/lincoln-hs/admin/audit?action=key.rotate", headers=world.headers("admin")
    )
    rows = re.findall(r"<tr>\s*<td>", only_keys.text)
    assert len(rows) == 1
    assert "Admin" in _text(only_keys.text)  # the actor by name
    by_student = await world.client.get(
        "/orgs/lincoln-hs/admin/audit?actor=ana@students.example.edu", headers=world.headers("admin")
    )
    assert "No events match." in by_student.text
    unknown = await world.client.get(
        "/orgs/lincoln-hs/admin/audit?actor=nobody@example.org", headers=world.headers("admin")
    )
    assert unknown.status_code == 422
    assert "No member of this organisation has the e-mail nobody@example.org." in unknown.text
    bad_date = await world.client.get(
        "/orgs/lincoln-hs/admin/audit?since=yesterday", headers=world.headers("admin")
    )
    assert bad_date.status_code == 422


async def test_admin_pages_list_members_badges_and_status_lists(world: World) -> None:
    await world.issue("student")
    members = await world.client.get("/orgs/lincoln-hs/admin", headers=world.headers("admin"))
    assert members.status_code == 200
    assert "ana@students.example.edu" in members.text
    added = await _post_form(
        world,
        "admin",
        "/orgs/lincoln-hs/admin/members",
        {"email": "new.teacher@lincoln.example.edu", "display_name": "Nia New", "role": "teacher"},
    )
    assert added.status_code == 303, added.text
    assert (
        "Nia New" in (await world.client.get("/orgs/lincoln-hs/admin", headers=world.headers("admin"))).text
    )
    badges = await world.client.get("/orgs/lincoln-hs/admin/badges", headers=world.headers("admin"))
    assert badges.status_code == 200
    assert "weld-smaw-3f" in badges.text
    lists = await world.client.get("/orgs/lincoln-hs/admin/status-lists", headers=world.headers("admin"))
    assert "revocation" in lists.text
    assert "1 of 131072" in _text(lists.text)


async def test_admin_turns_suspension_on_and_off_on_the_status_lists_page(world: World) -> None:
    path = "/orgs/lincoln-hs/admin/status-lists"
    shown = await world.client.get(path, headers=world.headers("admin"))
    assert "Off: new badges carry one status entry" in _text(shown.text)
    turned = await _post_form(world, "admin", f"{path}/suspension", {"suspension": "on"})
    assert turned.status_code == 303, turned.text
    page = await _follow(world, "admin", turned)
    assert "Suspension is on for badges issued from now on." in page.text
    assert "On: new badges can be suspended" in _text(page.text)
    assert [e.detail for e in await _events(world, "org.settings")] == [{"suspension": True}]
    awarded = await world.client.post(
        "/api/orgs/lincoln-hs/awards",
        json={"student": world.person_id("student"), "badge": "weld-smaw-3f", "level": 3},
        headers=world.headers("teacher"),
    )
    assert awarded.status_code == 201, awarded.text
    register = await world.client.get("/orgs/lincoln-hs/credentials", headers=world.headers("teacher"))
    assert "/suspend" in register.text  # the new badge can be suspended
    wrong = await _post_form(world, "admin", f"{path}/suspension", {"suspension": "maybe"})
    assert wrong.status_code == 422
    assert "Choose on or off." in wrong.text
    off = await _post_form(world, "admin", f"{path}/suspension", {"suspension": "off"})
    assert "Suspension is off" in (await _follow(world, "admin", off)).text
    refused = await _post_form(world, "teacher", f"{path}/suspension", {"suspension": "on"})
    assert refused.status_code == 403


async def test_another_schools_admin_is_refused(world: World) -> None:
    for path in ("/orgs/lincoln-hs/admin", "/orgs/lincoln-hs/admin/audit", "/orgs/lincoln-hs/admin/keys"):
        refused = await world.client.get(path, headers=world.headers("other_admin"))
        assert refused.status_code == 403, path
        assert refused.headers["content-type"].startswith("text/html")
    rotate = await _post_form(
        world, "other_admin", "/orgs/lincoln-hs/admin/keys/rotate", {"algorithm": "EdDSA", "confirm": "yes"}
    )
    assert rotate.status_code == 403
    assert await _events(world, "key.rotate") == []


async def test_admin_audit_log_pages_with_older_events(world: World) -> None:
    from issuer.services.audit import record_event
    from tests.conftest import NOW

    async with world.services.sessions() as session:
        for number in range(55):
            record_event(
                session,
                actor=None,
                action="test.paging",
                subject_type="test",
                subject_id=f"event-{number}",
                organisation_id=world.organisations["lincoln-hs"].id,
                at=NOW,
            )
        await session.commit()
    first = await world.client.get(
        "/orgs/lincoln-hs/admin/audit?action=test.paging", headers=world.headers("admin")
    )
    assert len(re.findall(r"<code>event-\d+</code>", first.text)) == 50
    assert "<code>event-54</code>" in first.text  # newest first
    older = re.search(r'href="\?([^"]+)">Older events<', first.text)
    assert older is not None
    query = unescape(older.group(1))
    assert "action=test.paging" in query
    second = await world.client.get(f"/orgs/lincoln-hs/admin/audit?{query}", headers=world.headers("admin"))
    assert re.findall(r"<code>(event-\d+)</code>", second.text) == [f"event-{n}" for n in range(4, -1, -1)]
    assert "Older events" not in second.text


@pytest.mark.usefixtures("clr_context")
async def test_registrar_counts_the_badges_of_a_clr_transcript(world: World) -> None:
    world.services.settings.credit_rules = {"riverbend-cc": RIVERBEND}
    three = await world.issue("student", badge="weld-smaw-3f", level=3)
    four = await world.issue("student", badge="weld-smaw-4f", level=3)
    transcript = await world.client.post(
        "/api/me/clr",
        json={"badges": [three.id, four.id], "name": "For Riverbend"},
        headers=world.headers("student"),
    )
    assert transcript.status_code == 201, transcript.text
    files = [("files", ("transcript.json", transcript.content, "application/json"))]
    page = await _post_form(
        world, "registrar", "/orgs/riverbend-cc/registrar", {"student": "Ana"}, files=files
    )
    assert page.status_code == 200, page.text
    text = _text(page.text)
    # Each badge of the transcript counts as if it had been uploaded alone.
    assert "WLD 110 Fillet Welding, Out of Position" in text
    assert "Total credits: 4" in text


@pytest.mark.usefixtures("clr_context")
async def test_verifier_page_shows_a_clr_transcript_and_an_endorsement(world: World) -> None:
    endorsed = await world.client.post(
        "/api/orgs/riverside-hs/endorsements",
        json={
            "issuer": "lincoln-hs",
            "badge": "weld-smaw-3f",
            "version": 1,
            "comment": "Accepted for WLD 101.",
        },
        headers=world.headers("other_admin"),
    )
    assert endorsed.status_code == 201, endorsed.text
    badge = await world.issue("student", badge="weld-smaw-3f", level=3)
    transcript = await world.client.post(
        "/api/me/clr", json={"badges": [badge.id], "name": "For Riverbend"}, headers=world.headers("student")
    )
    assert transcript.status_code == 201, transcript.text
    for pasted, name in (
        (transcript.text, "For Riverbend"),
        (json.dumps(endorsed.json()["credential"]), "Riverside High School endorses"),
    ):
        page = await _post_form(world, None, "/verify", {"credential": pasted})
        assert page.status_code == 200, page.text
        assert 'id="verdict">Verified<' in page.text
        assert name in _text(page.text)


async def test_clr_without_the_context_pages_show_indeterminate_transcript_and_count_its_badges(
    world: World, clr_context: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    world.services.settings.credit_rules = {"riverbend-cc": RIVERBEND}
    three = await world.issue("student", badge="weld-smaw-3f", level=3)
    four = await world.issue("student", badge="weld-smaw-4f", level=3)
    transcript = await world.client.post(
        "/api/me/clr",
        json={"badges": [three.id, four.id], "name": "For Riverbend"},
        headers=world.headers("student"),
    )
    assert transcript.status_code == 201, transcript.text
    monkeypatch.delenv("BADGES_CONTEXTS_DIR")  # a service where nobody supplied the CLR context
    page = await _post_form(world, None, "/verify", {"credential": transcript.text})
    assert page.status_code == 200, page.text
    assert 'id="verdict">Could not be fully checked<' in page.text
    text = _text(page.text)
    assert "could not be checked here" in text
    assert "CLR" in text
    assert "context-2.0.1.json" in text
    assert "Every badge inside the transcript was verified on its own." in text
    files = [("files", ("transcript.json", transcript.content, "application/json"))]
    registrar = await _post_form(
        world, "registrar", "/orgs/riverbend-cc/registrar", {"student": "Ana"}, files=files
    )
    assert registrar.status_code == 200, registrar.text
    counted = _text(registrar.text)
    assert "WLD 110 Fillet Welding, Out of Position" in counted
    assert "Total credits: 4" in counted
