"""A learner adds badges issued elsewhere to their record (issue #7 part 6): JSON-LD, VC-JWT and baked
images, verified with the project's verifier before they are kept, shown in the record as imported."""

from __future__ import annotations

import json
import uuid
from typing import TYPE_CHECKING

import pytest
from sqlmodel import col, select

from tests.conftest import NOW
from tests.integration.issuer.ob_api_helpers import badge_from_elsewhere, give_did
from verifier.baking import bake_png, bake_svg, blank_png, blank_svg

if TYPE_CHECKING:
    from tests.integration.issuer.conftest import World

pytestmark = pytest.mark.anyio

IMPORTS = "/api/me/imports"


async def _stored(world: World, credential_id: str) -> list[str]:
    from issuer.db.models import ImportedCredential

    async with world.services.sessions() as session:
        result = await session.execute(
            select(ImportedCredential.text).where(ImportedCredential.credential_id == credential_id)
        )
        return list(result.scalars())


async def test_import_json_ld_is_verified_stored_verbatim_and_idempotent(world: World) -> None:
    ldp, _ = await badge_from_elsewhere(world)
    student = world.headers("student")
    added = await world.client.post(
        IMPORTS, content=ldp, headers={**student, "Content-Type": "application/json"}
    )
    assert added.status_code == 201, added.text
    view = added.json()
    credential_id = json.loads(ldp)["id"]
    assert view["credentialId"] == credential_id
    assert view["imported"] is True
    assert view["issuer"]["name"] == "Riverside High School"
    assert view["level"] == 3
    assert await _stored(world, credential_id) == [ldp]  # the exact text
    again = await world.client.post(
        IMPORTS, content=ldp, headers={**student, "Content-Type": "application/json"}
    )
    assert again.status_code == 200
    assert again.json()["id"] == view["id"]
    assert await _stored(world, credential_id) == [ldp]
    listed = await world.client.get(IMPORTS, headers=student)
    assert [item["id"] for item in listed.json()] == [view["id"]]
    from issuer.db.models import AuditEvent

    async with world.services.sessions() as session:
        statement = (
            select(AuditEvent).where(AuditEvent.action == "record.import").order_by(col(AuditEvent.id))
        )
        events = (await session.execute(statement)).scalars().all()
    assert [(e.actor_id, e.detail["created"]) for e in events] == [
        (world.people["student"].id, True),
        (world.people["student"].id, False),
    ]


async def test_import_jwt_and_baked_png_and_svg(world: World) -> None:
    await give_did(world, "student")
    ldp, jwt = await badge_from_elsewhere(world)
    assert jwt is not None
    student = world.headers("student")
    as_jwt = await world.client.post(IMPORTS, content=jwt, headers={**student, "Content-Type": "text/plain"})
    assert as_jwt.status_code == 201, as_jwt.text
    assert as_jwt.json()["format"] == "jwt"
    assert await _stored(world, json.loads(ldp)["id"]) == [jwt]

    other_ldp, _ = await badge_from_elsewhere(world, badge="math-7rp-proportional")
    png = bake_png(blank_png(width=8, height=8), other_ldp)
    as_png = await world.client.post(
        IMPORTS, files={"file": ("badge.png", png, "image/png")}, headers=student
    )
    assert as_png.status_code == 201, as_png.text
    assert as_png.json()["source"] == "upload:png"
    assert await _stored(world, json.loads(other_ldp)["id"]) == [other_ldp]

    third_ldp, _ = await badge_from_elsewhere(world, badge="weld-smaw-4f")
    svg = bake_svg(blank_svg(), third_ldp).encode()
    as_svg = await world.client.post(
        IMPORTS, files={"file": ("badge.svg", svg, "image/svg+xml")}, headers=student
    )
    assert as_svg.status_code == 201, as_svg.text
    assert len((await world.client.get(IMPORTS, headers=student)).json()) == 3


async def test_import_refuses_a_tampered_badge_naming_the_check(world: World) -> None:
    ldp, _ = await badge_from_elsewhere(world)
    tampered = json.loads(ldp)
    tampered["credentialSubject"]["achievement"]["name"] = "Master Welder"
    refused = await world.client.post(
        IMPORTS,
        content=json.dumps(tampered),
        headers={**world.headers("student"), "Content-Type": "application/json"},
    )
    assert refused.status_code == 422, refused.text
    body = refused.json()
    assert body["code"] == "IMPORT_REFUSED"
    assert "INVALID_SIGNATURE" in body["detail"]
    assert any(line["message"].startswith("proof") for line in body["errors"])
    assert await _stored(world, tampered["id"]) == []


async def test_import_refuses_a_badge_of_someone_else_and_garbage(world: World) -> None:
    ldp, _ = await badge_from_elsewhere(world, "student2")
    student = world.headers("student")
    refused = await world.client.post(
        IMPORTS, content=ldp, headers={**student, "Content-Type": "application/json"}
    )
    assert refused.status_code == 422
    assert "RECIPIENT_MISMATCH" in refused.json()["errors"][0]["message"]
    garbage = await world.client.post(
        IMPORTS, files={"file": ("x.png", b"\x89PNG\r\n\x1a\nnot really", "image/png")}, headers=student
    )
    assert (garbage.status_code, garbage.json()["code"]) == (422, "IMPORT_REFUSED")
    wrong_type = await world.client.post(
        IMPORTS, content=b"a=b", headers={**student, "Content-Type": "application/x-www-form-urlencoded"}
    )
    assert wrong_type.status_code == 422
    assert "multipart/form-data" in wrong_type.json()["detail"]


async def test_import_refuses_a_revoked_badge(world: World) -> None:
    from issuer.db.models import Credential

    credential = await world.issue("student", org="riverside-hs", attester="other_teacher")
    revoked = await world.client.post(
        f"/api/orgs/riverside-hs/credentials/{credential.id}/revoke",
        json={"reason": "issued by mistake"},
        headers=world.headers("other_admin"),
    )
    assert revoked.status_code == 200, revoked.text
    async with world.services.sessions() as session:
        await session.delete(await session.get(Credential, credential.id))
        await session.commit()
    assert credential.ldp is not None
    refused = await world.client.post(
        IMPORTS,
        content=credential.ldp,
        headers={**world.headers("student"), "Content-Type": "application/json"},
    )
    assert refused.status_code == 422
    assert "REVOKED" in refused.json()["detail"]


async def test_import_refuses_a_badge_issued_here(world: World) -> None:
    credential = await world.issue("student")
    assert credential.ldp is not None
    refused = await world.client.post(
        IMPORTS,
        content=credential.ldp,
        headers={**world.headers("student"), "Content-Type": "application/json"},
    )
    assert (refused.status_code, refused.json()["code"]) == (409, "INVALID_STATE")


async def test_imported_badges_show_in_the_record_for_the_learner_and_staff(world: World) -> None:
    issued = await world.issue("student")
    ldp, _ = await badge_from_elsewhere(world, badge="math-7rp-proportional")
    added = await world.client.post(
        IMPORTS, content=ldp, headers={**world.headers("student"), "Content-Type": "application/json"}
    )
    assert added.status_code == 201
    mine = (await world.client.get("/api/me/credentials", headers=world.headers("student"))).json()
    assert {(entry.get("credentialId") or entry["id"], entry["imported"]) for entry in mine} == {
        (issued.id, False),
        (json.loads(ldp)["id"], True),
    }
    # Lincoln's teacher reads the student's record: their own school's badge and the imported one.
    seen = await world.client.get(
        f"/api/learners/{world.person_id('student')}/credentials", headers=world.headers("teacher")
    )
    assert seen.status_code == 200
    assert sorted(entry["imported"] for entry in seen.json()) == [False, True]
    # Another school's teacher still sees nothing of this learner.
    hidden = await world.client.get(
        f"/api/learners/{world.person_id('student')}/credentials", headers=world.headers("other_teacher")
    )
    assert hidden.status_code == 404


async def test_import_delete_only_my_own(world: World) -> None:
    ldp, _ = await badge_from_elsewhere(world)
    added = await world.client.post(
        IMPORTS, content=ldp, headers={**world.headers("student"), "Content-Type": "application/json"}
    )
    import_id = added.json()["id"]
    theirs = await world.client.delete(f"{IMPORTS}/{import_id}", headers=world.headers("student2"))
    assert theirs.status_code == 404
    unknown = await world.client.delete(f"{IMPORTS}/{uuid.uuid4()}", headers=world.headers("student"))
    assert unknown.status_code == 404
    gone = await world.client.delete(f"{IMPORTS}/{import_id}", headers=world.headers("student"))
    assert gone.status_code == 204
    assert (await world.client.get(IMPORTS, headers=world.headers("student"))).json() == []


async def test_import_verification_fetches_nothing_for_a_forged_badge(world: World) -> None:
    """A badge whose proof fails makes the verifier fetch nothing it names: its status list here points at
    a private address the verifier's fetcher refuses, so a status check, had it run, would have failed."""
    from issuer.services.imports import import_credential

    ldp, _ = await badge_from_elsewhere(world)
    forged = json.loads(ldp)
    forged["name"] = "Forged"
    forged["credentialStatus"]["statusListCredential"] = "https://10.0.0.1/status/1"
    async with world.services.sessions() as session:
        from issuer.db.models import Person
        from issuer.errors import ImportRefusedError

        person = await session.get(Person, world.people["student"].id)
        assert person is not None
        with pytest.raises(ImportRefusedError) as refused:
            await import_credential(session, world.services, person, json.dumps(forged), now=NOW)
    checks = [line.split(":")[0] for line in refused.value.problems]
    assert checks == ["proof"]  # no status line: the list was never asked for


async def test_imported_badges_and_backpack_tokens_go_with_the_account(world: World) -> None:
    from issuer.db.models import ImportedCredential, OAuthToken
    from tests.integration.issuer.ob_api_helpers import register

    ldp, _ = await badge_from_elsewhere(world, "student2")
    student2 = world.headers("student2")
    added = await world.client.post(
        IMPORTS, content=ldp, headers={**student2, "Content-Type": "application/json"}
    )
    assert added.status_code == 201
    await (await register(world)).tokens(who="student2")
    erased = await world.client.request(
        "DELETE",
        f"/api/learners/{world.person_id('student2')}",
        json={"confirm": "ben@students.example.edu"},
        headers=student2,
    )
    assert erased.status_code == 204, erased.text
    async with world.services.sessions() as session:
        for table in (ImportedCredential, OAuthToken):
            left = await session.execute(select(table).where(table.person_id == world.people["student2"].id))
            assert left.first() is None, table.__name__


async def test_import_page_adds_refuses_and_removes(world: World) -> None:
    """The learner's page for badges from elsewhere: a baked PNG added, a tampered file refused with its
    failed check shown, a badge removed; every form carries the session's CSRF token."""
    ldp, _ = await badge_from_elsewhere(world, badge="math-7rp-proportional")
    cookie, csrf = world.sessions["student"]
    headers = {"Cookie": f"mb_session={cookie}"}
    empty = await world.client.get("/me/imports", headers=headers)
    assert empty.status_code == 200
    assert 'name="file"' in empty.text

    png = bake_png(blank_png(width=8, height=8), ldp)
    added = await world.client.post(
        "/me/imports",
        data={"csrf_token": csrf},
        files={"file": ("badge.png", png, "image/png")},
        headers=headers,
        follow_redirects=False,
    )
    assert added.status_code == 303, added.text
    listed = await world.client.get("/me/imports", headers=headers)
    name = json.loads(ldp)["credentialSubject"]["achievement"]["name"]
    assert name in listed.text

    tampered = json.loads(ldp)
    tampered["credentialSubject"]["achievement"]["name"] = "Something else"
    refused = await world.client.post(
        "/me/imports",
        data={"csrf_token": csrf},
        files={"file": ("badge.json", json.dumps(tampered).encode(), "application/json")},
        headers=headers,
    )
    assert refused.status_code == 422
    assert "This badge was not added" in refused.text
    assert "INVALID_SIGNATURE" in refused.text
    # Without the session's CSRF token the form is refused. (A url-encoded form here: a multipart one
    # refused by the guard leaves its upload's temporary file open, a ResourceWarning; reported.)
    no_token = await world.client.post("/me/imports", data={"file": "x"}, headers=headers)
    assert no_token.status_code == 403

    [record] = (await world.client.get(IMPORTS, headers=world.headers("student"))).json()
    removed = await world.client.post(
        f"/me/imports/{record['id']}/remove",
        data={"csrf_token": csrf},
        headers=headers,
        follow_redirects=False,
    )
    assert removed.status_code == 303
    assert (await world.client.get(IMPORTS, headers=world.headers("student"))).json() == []


async def test_import_refuses_a_wallet_copy_of_a_badge_issued_here(world: World) -> None:
    """A badge the learner put into a wallet comes back as a copy with its own id: it is the same
    badge, already in the record, so it must not be listed twice (record and OB API)."""
    from tests.integration.issuer.test_oid4vci import LDP, Wallet, _access_token, _credential, _nonce

    original = await world.issue("student")
    access = await _access_token(world, original)
    wallet = Wallet()
    delivered = await _credential(
        world,
        access,
        {"credential_configuration_id": LDP, "proofs": {"jwt": [wallet.proof(await _nonce(world))]}},
    )
    assert delivered.status_code == 200, delivered.text
    copy = delivered.json()["credentials"][0]["credential"]
    assert copy["id"] != original.id
    refused = await world.client.post(
        IMPORTS,
        content=json.dumps(copy),
        headers={**world.headers("student"), "Content-Type": "application/json"},
    )
    assert (refused.status_code, refused.json()["code"]) == (409, "INVALID_STATE")
    assert "wallet's copy" in refused.json()["detail"]
    assert await _stored(world, copy["id"]) == []
