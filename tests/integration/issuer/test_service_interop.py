"""Badges issued (and revoked) by the running service verify in Digital Bazaar's JavaScript stack and
in the installed ``badges verify``, with the DID document and status lists taken from the app's own
responses (no network)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio.to_thread
import pytest

from keys.encoding import did_web_to_url
from tests.conftest import NOW
from tests.integration.issuer.conftest import BASE_URL
from tests.interop.js import js_verify, require_js

if TYPE_CHECKING:
    from tests.integration.issuer.conftest import World

pytestmark = [pytest.mark.anyio, pytest.mark.interop]

BADGES = Path(sys.executable).parent / "badges"
ORG = "lincoln-hs"


async def _served(world: World, url: str) -> Any:
    response = await world.client.get(url.removeprefix(BASE_URL))
    assert response.status_code == 200, url
    return response.json()


async def _issued_and_revoked(world: World) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    """An active and a revoked badge, and every document they need, as the app serves them."""
    active = await world.issue("student", badge="weld-smaw-3f")
    revoked = await world.issue("student2", badge="math-7rp-proportional")
    response = await world.client.post(
        f"/api/orgs/{ORG}/credentials/{revoked.id}/revoke",
        json={"reason": "issued to the wrong learner"},
        headers=world.headers("admin"),
    )
    assert response.status_code == 200, response.text
    credentials = {"active": active, "revoked": revoked}
    texts = {label: json.loads(c.ldp or "") for label, c in credentials.items()}
    did = world.organisations[ORG].did
    documents: dict[str, Any] = {did_web_to_url(did): await _served(world, did_web_to_url(did))}
    for document in texts.values():
        url = document["credentialStatus"]["statusListCredential"]  # one entry, as OB 3.0 allows
        documents[url] = await _served(world, url)
    return texts, documents


async def test_service_badges_verify_in_the_javascript_stack(world: World) -> None:
    require_js()
    texts, documents = await _issued_and_revoked(world)
    did = world.organisations[ORG].did
    by_id = {(did if url.endswith("/did.json") else url): document for url, document in documents.items()}
    results = await anyio.to_thread.run_sync(
        lambda: js_verify(
            [{"kind": "ldp", "credential": texts["active"]}, {"kind": "ldp", "credential": texts["revoked"]}],
            documents=by_id,
            now=NOW,
        )
    )
    active, revoked = results
    assert active["verified"] is True, active
    assert active["status"] == "valid"
    assert revoked["verified"] is False
    assert revoked["status"] == "revocation"  # the re-signed list verified in JS, with the bit set


async def test_service_badges_verify_with_the_badges_cli(world: World, tmp_path: Path) -> None:
    texts, documents = await _issued_and_revoked(world)
    resolve: dict[str, str] = {}
    for number, (url, document) in enumerate(documents.items()):
        path = tmp_path / f"document-{number}.json"
        path.write_text(json.dumps(document), encoding="utf-8")
        resolve[url] = str(path)
    resolve_map = tmp_path / "resolve.json"
    resolve_map.write_text(json.dumps(resolve), encoding="utf-8")
    paths = []
    for label, document in texts.items():
        path = tmp_path / f"{label}.json"
        path.write_text(json.dumps(document), encoding="utf-8")
        paths.append(path)
    completed = await anyio.to_thread.run_sync(
        lambda: subprocess.run(
            [
                str(BADGES),
                "verify",
                *map(str, paths),
                "--json",
                "--offline",
                "--resolve",
                str(resolve_map),
                "--at",
                NOW.isoformat(),
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    )
    reports = [json.loads(line) for line in completed.stdout.splitlines() if line.strip()]
    assert len(reports) == 2, completed.stdout + completed.stderr
    assert completed.returncode == 1  # one of the two is invalid
    active, revoked = reports
    assert active["verdict"] == "valid", active
    assert revoked["verdict"] == "invalid"
    assert "REVOKED" in {check["code"] for check in revoked["checks"] if not check["passed"]}


async def _transcript_with_endorsement(world: World) -> tuple[dict[str, Any], dict[str, Any]]:
    """A transcript of three badges, one of which carries Riverside's endorsement; and every document
    (DID documents, status lists) they need by URL, as the app serves them."""
    endorsed = await world.client.post(
        "/api/orgs/riverside-hs/endorsements",
        json={
            "issuer": ORG,
            "badge": "math-7rp-proportional",
            "version": 1,
            "comment": "Riverside High School accepts this badge for its Math 7 placement.",
        },
        headers=world.headers("other_admin"),
    )
    assert endorsed.status_code == 201, endorsed.text
    ids = [
        (await world.issue("student", badge=badge, attester=attester)).id
        for badge, attester in (
            ("math-7rp-proportional", "teacher"),
            ("weld-smaw-3f", "teacher"),
            ("workplace-communication", "supervisor"),
        )
    ]
    # The endorsed badge at a second level too: the same endorsement (and its proof graph) twice in one
    # transcript, which every canonicalizer must label alike.
    ids.append((await world.issue("student", badge="math-7rp-proportional", level=4)).id)
    created = await world.client.post(
        "/api/me/clr", json={"badges": ids, "name": "For Riverbend"}, headers=world.headers("student")
    )
    assert created.status_code == 201, created.text
    clr = created.json()
    documents: dict[str, Any] = {}
    for slug in (ORG, "riverside-hs"):
        url = did_web_to_url(world.organisations[slug].did)
        documents[url] = await _served(world, url)
    endorsement = clr["credentialSubject"]["verifiableCredential"][0]["credentialSubject"]["achievement"][
        "endorsement"
    ][0]
    for document in (clr, *clr["credentialSubject"]["verifiableCredential"], endorsement):
        for entry in (
            [document["credentialStatus"]]
            if isinstance(document["credentialStatus"], dict)
            else document["credentialStatus"]
        ):
            documents[entry["statusListCredential"]] = await _served(world, entry["statusListCredential"])
    return clr, documents


@pytest.mark.usefixtures("clr_context")
async def test_service_transcript_and_endorsement_verify_in_the_javascript_stack(world: World) -> None:
    require_js()
    clr, documents = await _transcript_with_endorsement(world)
    badges = clr["credentialSubject"]["verifiableCredential"]
    endorsement = badges[0]["credentialSubject"]["achievement"]["endorsement"][0]
    tampered = json.loads(json.dumps(clr))
    tampered["credentialSubject"]["verifiableCredential"][1]["name"] = "Forged"
    # The JS loader takes DID documents by DID.
    dids = {did_web_to_url(org.did): org.did for org in world.organisations.values()}
    by_id = {dids.get(url, url): document for url, document in documents.items()}
    items = [clr, *badges, endorsement, tampered]
    results = await anyio.to_thread.run_sync(
        lambda: js_verify([{"kind": "ldp", "credential": item} for item in items], documents=by_id, now=NOW)
    )
    *valid, forged = results
    assert [(r["verified"], r["status"]) for r in valid] == [(True, "valid")] * 6, valid
    assert forged["verified"] is False  # the transcript's proof covers every badge in it
    assert "Invalid signature" in forged["error"]


async def test_service_transcript_verifies_with_the_badges_cli(
    world: World, tmp_path: Path, clr_context: dict[str, str]
) -> None:
    clr, documents = await _transcript_with_endorsement(world)
    resolve: dict[str, str] = {}
    for number, (url, document) in enumerate(documents.items()):
        path = tmp_path / f"document-{number}.json"
        path.write_text(json.dumps(document), encoding="utf-8")
        resolve[url] = str(path)
    resolve_map = tmp_path / "resolve.json"
    resolve_map.write_text(json.dumps(resolve), encoding="utf-8")
    path = tmp_path / "clr.json"
    path.write_text(json.dumps(clr), encoding="utf-8")
    arguments = ["--offline", "--resolve", str(resolve_map), "--at", NOW.isoformat()]
    completed = await anyio.to_thread.run_sync(
        lambda: subprocess.run(
            [str(BADGES), "verify", str(path), "--json", *arguments],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    report = json.loads(completed.stdout)
    assert report["verdict"] == "valid"
    assert report["credential"]["type"] == "ClrCredential"
    assert [item["verdict"] for item in report["credentials"]] == ["valid"] * 4
    (endorsement,) = report["credentials"][0]["endorsements"]
    assert endorsement["endorserName"] == "Riverside High School"
    assert endorsement["verdict"] == "valid"
    text = await anyio.to_thread.run_sync(
        lambda: subprocess.run(
            [str(BADGES), "verify", str(path), *arguments],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            env={"NO_COLOR": "1", "COLUMNS": "200", "PATH": "/usr/bin:/bin", **clr_context},
        )
    )
    assert text.returncode == 0, text.stdout + text.stderr
    assert "CLR transcript 'For Riverbend' of 4 credential(s), issued by Lincoln High School" in text.stdout
    assert "endorsed by Riverside High School" in text.stdout
    assert "credential 4: VALID" in text.stdout
