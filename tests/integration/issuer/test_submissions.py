"""Evidence submission -> review -> award through the real HTTP app, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import json
import struct
import uuid
import zlib
from typing import TYPE_CHECKING, Any

import pytest
from sqlmodel import col, select

if TYPE_CHECKING:
    from pathlib import Path

    from httpx import Response

    from tests.integration.issuer.conftest import World

pytestmark = pytest.mark.anyio

LINCOLN = "/api/orgs/lincoln-hs"


def _png() -> bytes:
    """A real 1x1 PNG (signature, IHDR, IDAT, IEND with their CRCs)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
        + chunk(b"IEND", b"")
    )


PNG = _png()
PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


async def _submit(
    world: World,
    who: str = "student",
    *,
    badge: str = "weld-smaw-3f",
    level: int | str = 3,
    narrative: str = "I welded a 3F fillet to the WPS.",
    links: list[str] | None = None,
    files: list[tuple[str, bytes, str]] | None = None,
    supervisor: str | None = None,
    org: str = LINCOLN,
) -> Response:
    data: dict[str, Any] = {"badge": badge, "level": str(level), "narrative": narrative}
    if links:
        data["links"] = links
    if supervisor:
        data["supervisor"] = supervisor
    sent = files if files is not None else [("plate.png", PNG, "image/png")]
    return await world.client.post(
        f"{org}/submissions",
        data=data,
        files=[("files", item) for item in sent],
        headers=world.headers(who),
    )


async def _review(world: World, who: str, submission_id: str, **body: Any) -> Response:
    return await world.client.post(
        f"{LINCOLN}/submissions/{submission_id}/review", json=body, headers=world.headers(who)
    )


def _evidence_files(root: Path) -> list[Path]:
    """Every file under the evidence store's root, temporary ones included."""
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


async def _rows(world: World, model: Any) -> list[Any]:
    async with world.services.sessions() as session:
        return list((await session.execute(select(model))).scalars())


async def _audit_actions(world: World) -> list[str]:
    from issuer.db.models import AuditEvent

    async with world.services.sessions() as session:
        result = await session.execute(select(AuditEvent.action).order_by(col(AuditEvent.id)))
        return list(result.scalars())


# --- the whole flow ---------------------------------------------------------------------------------------


async def test_submission_approved_by_teacher_gives_a_verifiable_badge(world: World) -> None:
    created = await _submit(
        world,
        links=["https://portfolio.example.org/ana/weld"],
        files=[("plate.png", PNG, "image/png"), ("wps.pdf", PDF, "application/pdf")],
    )
    assert created.status_code == 201, created.text
    submission = created.json()
    assert submission["state"] == "submitted"
    assert submission["claimedLevel"] == 3
    assert {(f["name"], f["mediaType"], f["size"], f["sha256"]) for f in submission["files"]} == {
        ("plate.png", "image/png", len(PNG), hashlib.sha256(PNG).hexdigest()),
        ("wps.pdf", "application/pdf", len(PDF), hashlib.sha256(PDF).hexdigest()),
    }

    approved = await _review(
        world, "teacher", submission["id"], decision="approve", level=4, comment="Clean bead."
    )
    assert approved.status_code == 200, approved.text
    assert approved.json()["state"] == "approved"
    credential_id = approved.json()["credentialId"]
    assert credential_id.startswith("urn:uuid:")

    mine = await world.client.get("/api/me/submissions", headers=world.headers("student"))
    assert mine.status_code == 200
    (seen,) = mine.json()
    assert seen["state"] == "approved"
    assert seen["credentialId"] == credential_id
    assert seen["reviews"] == [
        {
            "decision": "approve",
            "level": 4,
            "comment": "Clean bead.",
            "reviewerName": "Teacher",
            "reviewerRole": "teacher",
            "at": seen["reviews"][0]["at"],
        }
    ]

    from issuer.db.models import Credential

    (credential,) = await _rows(world, Credential)
    assert credential.id == credential_id
    assert credential.level == 4
    assert credential.ldp is not None
    subject = json.loads(credential.ldp)["credentialSubject"]
    assert subject["narrative"] == "I welded a 3F fillet to the WPS."
    names = {item["name"] for item in json.loads(credential.ldp)["evidence"]}
    assert names == {"https://portfolio.example.org/ana/weld", "plate.png", "wps.pdf"}
    assert await world.verdict(credential.ldp) == "valid"
    actions = await _audit_actions(world)
    assert "submission.create" in actions
    assert "submission.review" in actions
    assert "credential.issue" in actions


async def test_submission_file_download_checks_access_and_is_audited(world: World) -> None:
    submission = (await _submit(world, files=[("wps.pdf", PDF, "application/pdf")])).json()
    file_id = submission["files"][0]["id"]
    url = f"{LINCOLN}/submissions/{submission['id']}/files/{file_id}"

    own = await world.client.get(url, headers=world.headers("student"))
    assert own.status_code == 200
    assert own.content == PDF
    assert own.headers["content-type"].startswith("application/pdf")
    assert own.headers["x-content-type-options"] == "nosniff"
    assert own.headers["content-disposition"].startswith("attachment;")
    assert "record.read" not in await _audit_actions(world)

    by_teacher = await world.client.get(url, headers=world.headers("teacher"))
    assert by_teacher.status_code == 200
    assert by_teacher.content == PDF
    assert "record.read" in await _audit_actions(world)

    assert (await world.client.get(url, headers=world.headers("student2"))).status_code == 404
    assert (await world.client.get(url, headers=world.headers("other_teacher"))).status_code == 403
    assert (await world.client.get(url, headers=world.headers(None))).status_code == 401


async def test_submission_download_refuses_a_file_altered_on_disk(world: World) -> None:
    submission = (await _submit(world)).json()
    from issuer.db.models import EvidenceFile

    (row,) = await _rows(world, EvidenceFile)
    path = world.services.evidence.root / row.storage_key
    path.write_bytes(PNG + b"tampered")
    response = await world.client.get(
        f"{LINCOLN}/submissions/{submission['id']}/files/{row.id}", headers=world.headers("student")
    )
    assert response.status_code == 409
    assert response.json()["code"] == "INVALID_STATE"


async def test_submission_returned_then_resubmitted_then_approved(world: World) -> None:
    submission = (await _submit(world)).json()
    returned = await _review(
        world, "teacher", submission["id"], decision="return", comment="Show the root pass."
    )
    assert returned.status_code == 200
    assert returned.json()["state"] == "returned"

    # A returned submission cannot be approved until the student sends it back.
    refused = await _review(world, "teacher", submission["id"], decision="approve", comment="")
    assert refused.status_code == 409
    assert refused.json()["code"] == "INVALID_STATE"

    added = await world.client.post(
        f"{LINCOLN}/submissions/{submission['id']}/files",
        files=[("files", ("root.pdf", PDF, "application/pdf"))],
        headers=world.headers("student"),
    )
    assert added.status_code == 201, added.text
    assert len(added.json()["files"]) == 2

    resubmitted = await world.client.post(
        f"{LINCOLN}/submissions/{submission['id']}/resubmit",
        json={"narrative": "Root pass added.", "links": ["http://video.example.org/root"]},
        headers=world.headers("student"),
    )
    assert resubmitted.status_code == 200, resubmitted.text
    assert resubmitted.json()["state"] == "submitted"
    assert resubmitted.json()["narrative"] == "Root pass added."

    approved = await _review(world, "teacher", submission["id"], decision="approve", comment="Good.")
    assert approved.status_code == 200, approved.text
    body = approved.json()
    assert body["state"] == "approved"
    assert [review["decision"] for review in body["reviews"]] == ["return", "approve"]
    assert body["reviews"][1]["level"] == 3  # the claimed level by default


async def test_submission_declined_cannot_be_approved_or_resubmitted(world: World) -> None:
    submission = (await _submit(world)).json()
    no_comment = await _review(world, "teacher", submission["id"], decision="decline", comment=" ")
    assert no_comment.status_code == 422
    declined = await _review(world, "teacher", submission["id"], decision="decline", comment="Not your weld.")
    assert declined.status_code == 200
    assert declined.json()["state"] == "declined"
    again = await _review(world, "teacher", submission["id"], decision="approve", comment="")
    assert again.status_code == 409
    resubmit = await world.client.post(
        f"{LINCOLN}/submissions/{submission['id']}/resubmit", json={}, headers=world.headers("student")
    )
    assert resubmit.status_code == 409
    from issuer.db.models import Credential

    assert await _rows(world, Credential) == []


async def test_submission_withdrawn_by_its_owner_only(world: World) -> None:
    submission = (await _submit(world)).json()
    url = f"{LINCOLN}/submissions/{submission['id']}/withdraw"
    assert (await world.client.post(url, headers=world.headers("student2"))).status_code == 404
    withdrawn = await world.client.post(url, headers=world.headers("student"))
    assert withdrawn.status_code == 200
    assert withdrawn.json()["state"] == "withdrawn"
    assert (await world.client.post(url, headers=world.headers("student"))).status_code == 409


# --- supervisors and organisations ------------------------------------------------------------------------


async def test_supervisor_approves_within_grant(world: World) -> None:
    submission = (await _submit(world, supervisor=world.person_id("supervisor"))).json()
    queue = await world.client.get(f"{LINCOLN}/review-queue", headers=world.headers("supervisor"))
    assert queue.status_code == 200
    assert [item["id"] for item in queue.json()["items"]] == [submission["id"]]
    approved = await _review(world, "supervisor", submission["id"], decision="approve", comment="Observed.")
    assert approved.status_code == 200, approved.text
    assert approved.json()["reviews"][0]["reviewerRole"] == "supervisor"
    from issuer.db.models import Credential

    (credential,) = await _rows(world, Credential)
    assert credential.attester_id == world.people["supervisor"].id
    assert await world.verdict(credential.ldp) == "valid"


async def test_supervisor_is_refused_outside_grant(world: World) -> None:
    bens = (await _submit(world, "student2")).json()  # no grant for ben
    math = (await _submit(world, badge="math-7rp-proportional")).json()  # no grant for math
    queue = await world.client.get(f"{LINCOLN}/review-queue", headers=world.headers("supervisor"))
    assert queue.json()["items"] == []
    for submission in (bens, math):
        refused = await _review(world, "supervisor", submission["id"], decision="approve", comment="")
        assert refused.status_code == 403, refused.text
        shown = await world.client.get(
            f"{LINCOLN}/submissions/{submission['id']}", headers=world.headers("supervisor")
        )
        assert shown.status_code == 403
    # Addressing a supervisor who may not attest the badge is refused at submission.
    wrong = await _submit(world, badge="math-7rp-proportional", supervisor=world.person_id("supervisor"))
    assert wrong.status_code == 422
    assert wrong.json()["code"] == "INVALID_REQUEST"


async def test_submission_of_one_school_is_out_of_reach_of_another(world: World) -> None:
    submission = (await _submit(world)).json()
    # Through lincoln's path: riverside's teacher holds no role there.
    lincoln_path = await _review(world, "other_teacher", submission["id"], decision="approve", comment="")
    assert lincoln_path.status_code == 403
    # Through riverside's own path: the id is not one of riverside's.
    for method, url in (
        ("get", f"/api/orgs/riverside-hs/submissions/{submission['id']}"),
        ("post", f"/api/orgs/riverside-hs/submissions/{submission['id']}/review"),
    ):
        kwargs: dict[str, Any] = {"headers": world.headers("other_teacher")}
        if method == "post":
            kwargs["json"] = {"decision": "approve", "comment": ""}
        response = await getattr(world.client, method)(url, **kwargs)
        assert response.status_code == 404, response.text
    queue = await world.client.get(
        "/api/orgs/riverside-hs/review-queue", headers=world.headers("other_teacher")
    )
    assert queue.json()["items"] == []
    # A student cannot submit to a school they do not belong to.
    assert (await _submit(world, org="/api/orgs/riverside-hs")).status_code == 403


# --- bad input ----------------------------------------------------------------------------------------------


async def test_submission_too_large_stores_nothing(world: World) -> None:
    limits = world.services.evidence.limits
    big = PDF + b"\0" * limits.max_file_bytes
    response = await _submit(
        world, files=[("plate.png", PNG, "image/png"), ("big.pdf", big, "application/pdf")]
    )
    assert response.status_code == 413, response.text
    assert response.json()["code"] == "UPLOAD_TOO_LARGE"
    from issuer.db.models import EvidenceFile, Submission

    assert await _rows(world, Submission) == []
    assert await _rows(world, EvidenceFile) == []
    assert _evidence_files(world.services.evidence.root) == []


async def test_submission_body_over_the_app_limit_is_413(world: World) -> None:
    limits = world.services.evidence.limits
    huge = b"%PDF-" + b"\0" * (limits.max_submission_bytes + 2 * 1024 * 1024)
    response = await _submit(world, files=[("huge.pdf", huge, "application/pdf")])
    assert response.status_code == 413
    assert response.json()["code"] == "UPLOAD_TOO_LARGE"
    assert _evidence_files(world.services.evidence.root) == []


async def test_submission_wrong_type_is_415_and_stores_nothing(world: World) -> None:
    response = await _submit(
        world,
        files=[
            ("plate.png", PNG, "image/png"),
            ("page.html", b"<html><script>x</script></html>", "text/html"),
        ],
    )
    assert response.status_code == 415
    assert response.json()["code"] == "INVALID_UPLOAD"
    renamed = await _submit(world, files=[("photo.png", PDF, "image/png")])  # a PDF calling itself a PNG
    assert renamed.status_code == 415
    from issuer.db.models import Submission

    assert await _rows(world, Submission) == []
    assert _evidence_files(world.services.evidence.root) == []


async def test_submission_bad_fields_are_named(world: World) -> None:
    unknown = await _submit(world, badge="no-such-badge")
    assert unknown.status_code == 404
    assert unknown.json()["code"] == "BADGE_NOT_FOUND"
    bad_level = await _submit(world, level=7)
    assert bad_level.status_code == 422
    assert bad_level.json()["code"] == "INVALID_AWARD"
    not_a_number = await _submit(world, level="three")
    assert not_a_number.status_code == 400
    bad_link = await _submit(world, links=["javascript:alert(1)"])
    assert bad_link.status_code == 422
    assert "links" in bad_link.json()["detail"]
    too_many = await _submit(world, links=[f"https://example.org/{n}" for n in range(11)])
    assert too_many.status_code == 422
    long_story = await _submit(world, narrative="x" * 20_001)
    assert long_story.status_code == 422
    assert "narrative" in long_story.json()["detail"]
    from issuer.db.models import Submission

    assert await _rows(world, Submission) == []
    assert _evidence_files(world.services.evidence.root) == []


async def test_review_malformed_json_and_wrong_types_are_400(world: World) -> None:
    submission = (await _submit(world)).json()
    url = f"{LINCOLN}/submissions/{submission['id']}/review"
    headers = {**world.headers("teacher"), "Content-Type": "application/json"}
    malformed = await world.client.post(url, content=b'{"decision": "approve",', headers=headers)
    assert malformed.status_code == 400
    wrong_type = await _review(
        world, "teacher", submission["id"], decision="approve", level="high", comment=""
    )
    assert wrong_type.status_code == 400
    unknown_decision = await _review(world, "teacher", submission["id"], decision="maybe", comment="")
    assert unknown_decision.status_code == 400
    extra_field = await _review(world, "teacher", submission["id"], decision="approve", comment="", grade="A")
    assert extra_field.status_code == 400
    below_required = await _review(
        world, "teacher", submission["id"], decision="approve", level=2, comment=""
    )
    assert below_required.status_code == 422
    assert below_required.json()["code"] == "INVALID_AWARD"
    shown = await world.client.get(
        f"{LINCOLN}/submissions/{submission['id']}", headers=world.headers("teacher")
    )
    assert shown.json()["state"] == "submitted"  # nothing changed by the refused requests
    assert shown.json()["reviews"] == []


# --- the queue ------------------------------------------------------------------------------------------------


async def test_review_queue_filters_and_orders_oldest_first(world: World) -> None:
    first = (await _submit(world)).json()
    second = (await _submit(world, "student2")).json()
    third = (await _submit(world, badge="math-7rp-proportional")).json()
    await _review(world, "teacher", third["id"], decision="return", comment="More work.")

    async def ids(query: str) -> list[str]:
        response = await world.client.get(f"{LINCOLN}/review-queue{query}", headers=world.headers("teacher"))
        assert response.status_code == 200, response.text
        return [item["id"] for item in response.json()["items"]]

    # All three share the test clock's time: the id breaks the tie, so the order is stable.
    expected = sorted([first["id"], second["id"]], key=lambda i: uuid.UUID(i))
    assert await ids("") == expected
    assert await ids("?state=returned") == [third["id"]]
    assert await ids(f"?student={world.person_id('student2')}") == [second["id"]]
    assert await ids("?badge=math-7rp-proportional&state=returned") == [third["id"]]
    assert await ids("?badge=math-7rp-proportional") == []
    assert await ids("?limit=1&offset=1") == expected[1:]
    bad = await world.client.get(f"{LINCOLN}/review-queue?limit=0", headers=world.headers("teacher"))
    assert bad.status_code == 422
    students = await world.client.get(f"{LINCOLN}/review-queue", headers=world.headers("student"))
    assert students.status_code == 403


async def test_review_queue_bulk_approve_reports_each_id(world: World) -> None:
    first = (await _submit(world)).json()
    second = (await _submit(world, "student2", level=4)).json()
    declined = (await _submit(world, badge="math-7rp-proportional")).json()
    await _review(world, "teacher", declined["id"], decision="decline", comment="No.")
    unknown = "00000000-0000-4000-8000-000000000000"
    response = await world.client.post(
        f"{LINCOLN}/review-queue/approve",
        json={"ids": [first["id"], unknown, second["id"], declined["id"]], "comment": "Well done."},
        headers=world.headers("teacher"),
    )
    assert response.status_code == 200, response.text
    results = {item["id"]: item for item in response.json()["results"]}
    assert response.json()["approved"] == 2
    assert results[first["id"]]["ok"] is True
    assert results[second["id"]]["ok"] is True
    assert results[unknown] == {
        "id": unknown,
        "ok": False,
        "code": "NOT_FOUND",
        "detail": results[unknown]["detail"],
    }
    assert results[declined["id"]]["code"] == "INVALID_STATE"
    from issuer.db.models import Credential

    credentials = {c.id: c for c in await _rows(world, Credential)}
    assert set(credentials) == {results[first["id"]]["credentialId"], results[second["id"]]["credentialId"]}
    assert {c.level for c in credentials.values()} == {3, 4}  # each its claimed level
    too_many = await world.client.post(
        f"{LINCOLN}/review-queue/approve",
        json={"ids": [unknown] * 201, "comment": ""},
        headers=world.headers("teacher"),
    )
    assert too_many.status_code == 400


async def test_submission_without_files_is_multipart_too(world: World) -> None:
    links = ["https://example.org/a", "https://example.org/b"]
    fields = [("badge", "weld-smaw-3f"), ("level", "3"), *(("links", link) for link in links)]
    boundary = "mastery-badges-test"
    body = (
        "".join(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
            for name, value in fields
        )
        + f"--{boundary}--\r\n"
    )
    multipart = await world.client.post(
        f"{LINCOLN}/submissions",
        content=body.encode(),
        headers={**world.headers("student"), "Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    assert multipart.status_code == 201, multipart.text
    assert multipart.json()["links"] == links
    assert multipart.json()["files"] == []
    # httpx sends a form without files as application/x-www-form-urlencoded: refused, naming the format.
    urlencoded = await world.client.post(
        f"{LINCOLN}/submissions", data=dict(fields), headers=world.headers("student")
    )
    assert urlencoded.status_code == 400
    assert "multipart/form-data" in urlencoded.json()["detail"]
