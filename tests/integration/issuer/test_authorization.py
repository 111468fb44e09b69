"""The authorization matrix: every endpoint, every role (and anonymous), expected allow or deny.

The expectations are written out here, not derived from the routes' own declarations, so that a
changed rule shows up as a failing cell. A route missing from the table fails
``test_authorization_matrix_covers_every_route``: a new endpoint must be added here with its rule.

"Allowed" means the request got past authentication and authorization: any answer but 401/403 (and,
where a real object of Lincoln High is named, but 404: strangers must not learn it exists). Request
bodies are deliberately incomplete, so an allowed request stops at validation and changes nothing;
routes that would change something without a body name an object that does not exist, and then only
401/403 count as a refusal. Object-level rules (a supervisor's grant, a teacher of another school
guessing ids) are tested with each workflow.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pytest
from litestar.routes import HTTPRoute

from tests.integration.issuer.test_submissions import PNG

if TYPE_CHECKING:
    from litestar import Litestar

    from tests.integration.issuer.conftest import World

pytestmark = pytest.mark.anyio

PEOPLE = (
    "admin",
    "teacher",
    "supervisor",
    "student",
    "student2",
    "registrar",
    "other_admin",
    "other_teacher",
    "other_student",
)
ANYONE = frozenset({None, *PEOPLE})
NOBODY: frozenset[str | None] = frozenset()
SIGNED_IN = frozenset(PEOPLE)
STAFF = frozenset({"admin", "teacher"})
REVIEWERS = STAFF | {"supervisor"}
AUTH_DENIED = frozenset({401, 403})
HIDDEN_OR_DENIED = frozenset({401, 403, 404})


@dataclass(frozen=True)
class Cell:
    """One route: how to call it, and who may."""

    method: str
    template: str  # as litestar lists it
    path: str  # with {placeholders} filled from the objects of the fixture
    allowed: frozenset[str | None]
    json: Any = None
    multipart: bool = False
    denied_codes: frozenset[int] = HIDDEN_OR_DENIED
    extra: dict[str, Any] = field(default_factory=dict)
    form: dict[str, str] | None = None  # a page's form (the session's CSRF token is added)


def _page(method: str, template: str, path: str, allowed: frozenset[str | None], **kwargs: Any) -> Cell:
    """A page route: a GET refused to a visitor is a redirect to the sign-in page; a form carries the
    session's CSRF token in its field, as a browser sends it."""
    form = kwargs.pop("form", {}) if method == "POST" else None
    return Cell(method, template, path, allowed, form=form, **kwargs)


def _cells() -> list[Cell]:
    org = "/api/orgs/{slug:str}"
    sub = f"{org}/submissions/{{submission_id:uuid}}"
    cred = f"{org}/credentials/{{credential_id:str}}"
    return [
        Cell("GET", "/healthz", "/healthz", ANYONE),
        # The pages (HTML):
        _page("GET", "/", "/", ANYONE),
        Cell("GET", "/static/{file_path:path}", "/static/site.css", ANYONE),
        Cell("HEAD", "/static/{file_path:path}", "/static/site.css", ANYONE),
        _page("GET", "/sign-in", "/sign-in", ANYONE),
        _page(
            "POST",
            "/sign-in",
            "/sign-in",
            ANYONE,
            form={"email": "nobody@example.org", "password": "x"},
            denied_codes=frozenset({403}),  # a wrong password is the form again with 401
        ),
        _page("GET", "/account", "/account", SIGNED_IN),
        _page("POST", "/account/password", "/account/password", SIGNED_IN, form={"current": "wrong"}),
        # Staff pages: forms without their fields stop at validation (422) and change nothing.
        _page("GET", "/orgs/{slug:str}/queue", "/orgs/lincoln-hs/queue", REVIEWERS),
        _page("POST", "/orgs/{slug:str}/queue/approve", "/orgs/lincoln-hs/queue/approve", REVIEWERS),
        _page(
            "GET",
            "/orgs/{slug:str}/submissions/{submission_id:uuid}",
            "/orgs/lincoln-hs/submissions/{submission}",
            REVIEWERS,
        ),
        _page(
            "GET",
            "/orgs/{slug:str}/submissions/{submission_id:uuid}/files/{file_id:uuid}",
            "/orgs/lincoln-hs/submissions/{submission}/files/{file}",
            REVIEWERS,
        ),
        _page(
            "POST",
            "/orgs/{slug:str}/submissions/{submission_id:uuid}/review",
            "/orgs/lincoln-hs/submissions/{submission}/review",
            REVIEWERS,
        ),
        _page("GET", "/orgs/{slug:str}/award", "/orgs/lincoln-hs/award", REVIEWERS),
        _page("POST", "/orgs/{slug:str}/award", "/orgs/lincoln-hs/award", REVIEWERS),
        _page("GET", "/orgs/{slug:str}/award/bulk", "/orgs/lincoln-hs/award/bulk", STAFF),
        _page("POST", "/orgs/{slug:str}/award/bulk", "/orgs/lincoln-hs/award/bulk", STAFF),
        _page("GET", "/orgs/{slug:str}/award/jobs/{job_id:uuid}", "/orgs/lincoln-hs/award/jobs/{job}", STAFF),
        _page(
            "GET",
            "/orgs/{slug:str}/award/jobs/{job_id:uuid}/rejected.csv",
            "/orgs/lincoln-hs/award/jobs/{job}/rejected.csv",
            STAFF,
        ),
        _page("GET", "/orgs/{slug:str}/credentials", "/orgs/lincoln-hs/credentials", STAFF),
        *(
            _page(
                method,
                f"/orgs/{{slug:str}}/credentials/{{credential_id:uuid}}/{change}",
                f"/orgs/lincoln-hs/credentials/{{credential_uuid}}/{change}",
                frozenset({"admin"}) if change == "revoke" else STAFF,
                # Revoke and suspend need a reason; reinstating the active badge is refused (409 form).
            )
            for change in ("revoke", "suspend", "reinstate")
            for method in ("GET", "POST")
        ),
        *(
            _page(
                method,
                "/orgs/{slug:str}/credentials/{credential_id:uuid}/wallet",
                "/orgs/lincoln-hs/credentials/{credential_uuid}/wallet",
                STAFF,
            )
            for method in ("GET", "POST")
        ),
        # The invitation link is its own credential: public pages; an unknown token is the 410 page.
        _page("GET", "/invitations/{token:str}", "/invitations/unknown-token", ANYONE),
        _page(
            "POST",
            "/invitations/{token:str}/accept",
            "/invitations/unknown-token/accept",
            ANYONE,
            form={"name": "Matrix"},
        ),
        _page("GET", "/verify", "/verify", ANYONE),
        _page("POST", "/verify", "/verify", ANYONE, form={}, denied_codes=frozenset({403})),
        _page("GET", "/orgs/{slug:str}/registrar", "/orgs/riverbend-cc/registrar", frozenset({"registrar"})),
        _page("POST", "/orgs/{slug:str}/registrar", "/orgs/riverbend-cc/registrar", frozenset({"registrar"})),
        _page(
            "POST",
            "/orgs/{slug:str}/registrar/decision.csv",
            "/orgs/riverbend-cc/registrar/decision.csv",
            frozenset({"registrar"}),
        ),
        _page("GET", "/orgs/{slug:str}/admin", "/orgs/lincoln-hs/admin", frozenset({"admin"})),
        _page(
            "POST", "/orgs/{slug:str}/admin/members", "/orgs/lincoln-hs/admin/members", frozenset({"admin"})
        ),
        _page(
            "POST",
            "/orgs/{slug:str}/admin/members/{membership_id:uuid}/remove",
            "/orgs/lincoln-hs/admin/members/{random}/remove",
            frozenset({"admin"}),
            denied_codes=AUTH_DENIED,
        ),
        _page(
            "GET",
            "/orgs/{slug:str}/admin/invitations",
            "/orgs/lincoln-hs/admin/invitations",
            frozenset({"admin"}),
        ),
        _page(
            "POST",
            "/orgs/{slug:str}/admin/invitations",
            "/orgs/lincoln-hs/admin/invitations",
            frozenset({"admin"}),
        ),
        _page(
            "POST",
            "/orgs/{slug:str}/admin/invitations/{invitation_id:uuid}/withdraw",
            "/orgs/lincoln-hs/admin/invitations/{random}/withdraw",
            frozenset({"admin"}),
            denied_codes=AUTH_DENIED,
        ),
        _page("GET", "/orgs/{slug:str}/admin/badges", "/orgs/lincoln-hs/admin/badges", frozenset({"admin"})),
        _page("GET", "/orgs/{slug:str}/admin/keys", "/orgs/lincoln-hs/admin/keys", frozenset({"admin"})),
        _page(
            "POST",
            "/orgs/{slug:str}/admin/keys/rotate",
            "/orgs/lincoln-hs/admin/keys/rotate",
            frozenset({"admin"}),
        ),
        _page(
            "GET",
            "/orgs/{slug:str}/admin/status-lists",
            "/orgs/lincoln-hs/admin/status-lists",
            frozenset({"admin"}),
        ),
        _page(
            "POST",
            "/orgs/{slug:str}/admin/status-lists/suspension",
            "/orgs/lincoln-hs/admin/status-lists/suspension",
            frozenset({"admin"}),
        ),
        _page("GET", "/orgs/{slug:str}/admin/audit", "/orgs/lincoln-hs/admin/audit", frozenset({"admin"})),
        # The learner's pages: their own badges and submissions only (anyone else's is "not found").
        _page("GET", "/me/badges", "/me/badges", SIGNED_IN),
        _page("GET", "/me/badges/{credential_id:str}", "/me/badges/{credential}", frozenset({"student"})),
        _page(
            "GET",
            "/me/badges/{credential_id:str}/files/{file_format:str}",
            "/me/badges/{credential}/files/json",
            frozenset({"student"}),
        ),
        _page(
            "POST",
            "/me/badges/{credential_id:str}/share",
            "/me/badges/{credential}/share",
            frozenset({"student"}),
            form={"audience": ""},
        ),
        _page(
            "POST",
            "/me/badges/{credential_id:str}/wallet",
            "/me/badges/{credential}/wallet",
            frozenset({"student"}),
            form={},
        ),
        _page(
            "POST",
            "/me/share-links/{link_id:uuid}/withdraw",
            "/me/share-links/{random}/withdraw",
            SIGNED_IN,
            denied_codes=AUTH_DENIED,
        ),
        _page("GET", "/me/submit", "/me/submit", SIGNED_IN),
        _page("POST", "/me/submit", "/me/submit", SIGNED_IN, form={"badge": ""}),
        _page("GET", "/me/submissions", "/me/submissions", SIGNED_IN),
        _page(
            "GET",
            "/me/submissions/{submission_id:uuid}",
            "/me/submissions/{submission}",
            frozenset({"student"}),
        ),
        _page(
            "POST",
            "/me/submissions/{submission_id:uuid}/resubmit",
            "/me/submissions/{submission}/resubmit",
            frozenset({"student"}),
            form={"narrative": ""},  # not returned: the form again with the reason (422)
        ),
        # A share link's public page, file and QR code: anyone holding a link (an unknown one is 404).
        _page("GET", "/s/{token:str}", "/s/mbs_unknown", ANYONE, denied_codes=AUTH_DENIED),
        Cell(
            "GET",
            "/s/{token:str}/credential.json",
            "/s/mbs_unknown/credential.json",
            ANYONE,
            denied_codes=AUTH_DENIED,
        ),
        Cell("GET", "/s/{token:str}/qr.png", "/s/mbs_unknown/qr.png", ANYONE, denied_codes=AUTH_DENIED),
        Cell("GET", "/orgs/{slug:str}/did.json", "/orgs/lincoln-hs/did.json", ANYONE),
        Cell("GET", "/orgs/{slug:str}/jwks.json", "/orgs/lincoln-hs/jwks.json", ANYONE),
        Cell("GET", "/orgs/{slug:str}/profile", "/orgs/lincoln-hs/profile", ANYONE),
        Cell(
            "GET",
            "/orgs/{slug:str}/status/{purpose:str}/{number:int}",
            "/orgs/lincoln-hs/status/revocation/1",
            ANYONE,
        ),
        Cell("GET", "/schema/openapi.json", "/schema/openapi.json", ANYONE),
        Cell("POST", "/api/session", "/api/session", ANYONE, json={}),
        Cell("GET", "/api/me", "/api/me", SIGNED_IN),
        Cell("GET", "/api/tokens", "/api/tokens", SIGNED_IN),
        Cell("POST", "/api/tokens", "/api/tokens", SIGNED_IN, json={}),
        Cell(
            "DELETE",
            "/api/tokens/{token_id:uuid}",
            "/api/tokens/{random}",
            SIGNED_IN,
            denied_codes=AUTH_DENIED,
        ),
        Cell("GET", "/api/badges", "/api/badges", ANYONE),
        Cell("GET", f"{org}/badges", "/api/orgs/lincoln-hs/badges", ANYONE),
        Cell("GET", f"{org}/badges/{{badge:str}}", "/api/orgs/lincoln-hs/badges/weld-smaw-3f", ANYONE),
        Cell("POST", f"{org}/badges", "/api/orgs/lincoln-hs/badges", frozenset({"admin"}), json={}),
        # Credentials and their status
        Cell("GET", f"{org}/credentials", "/api/orgs/lincoln-hs/credentials", STAFF),
        Cell("GET", cred, "/api/orgs/lincoln-hs/credentials/{credential}", STAFF),
        Cell(
            "POST",
            f"{cred}/revoke",
            "/api/orgs/lincoln-hs/credentials/urn:uuid:{random}/revoke",
            frozenset({"admin"}),
            json={"reason": "matrix"},
            denied_codes=AUTH_DENIED,
        ),
        Cell(
            "POST",
            f"{cred}/suspend",
            "/api/orgs/lincoln-hs/credentials/urn:uuid:{random}/suspend",
            STAFF,
            json={"reason": "matrix"},
            denied_codes=AUTH_DENIED,
        ),
        Cell(
            "POST",
            f"{cred}/reinstate",
            "/api/orgs/lincoln-hs/credentials/urn:uuid:{random}/reinstate",
            STAFF,
            json={},
            denied_codes=AUTH_DENIED,
        ),
        # Awards
        Cell("POST", f"{org}/awards", "/api/orgs/lincoln-hs/awards", REVIEWERS, json={}),
        Cell("POST", f"{org}/award-jobs", "/api/orgs/lincoln-hs/award-jobs", STAFF, multipart=True),
        Cell("GET", f"{org}/award-jobs/{{job_id:uuid}}", "/api/orgs/lincoln-hs/award-jobs/{job}", STAFF),
        Cell(
            "GET",
            f"{org}/award-jobs/{{job_id:uuid}}/rejected.csv",
            "/api/orgs/lincoln-hs/award-jobs/{job}/rejected.csv",
            STAFF,
        ),
        # Evidence and review (the submission is the student's, for a badge the supervisor may attest)
        Cell(
            "POST",
            f"{org}/submissions",
            "/api/orgs/lincoln-hs/submissions",
            frozenset({"student", "student2"}),
            multipart=True,
        ),
        Cell("GET", sub, "/api/orgs/lincoln-hs/submissions/{submission}", REVIEWERS | {"student"}),
        Cell(
            "GET",
            f"{sub}/files/{{file_id:uuid}}",
            "/api/orgs/lincoln-hs/submissions/{submission}/files/{file}",
            REVIEWERS | {"student"},
        ),
        Cell(
            "POST",
            f"{sub}/files",
            "/api/orgs/lincoln-hs/submissions/{submission}/files",
            frozenset({"student"}),
            multipart=True,
        ),
        Cell("GET", f"{org}/review-queue", "/api/orgs/lincoln-hs/review-queue", REVIEWERS),
        Cell(
            "POST",
            f"{sub}/review",
            "/api/orgs/lincoln-hs/submissions/{submission}/review",
            REVIEWERS,
            json={},
        ),
        Cell(
            "POST",
            f"{org}/review-queue/approve",
            "/api/orgs/lincoln-hs/review-queue/approve",
            REVIEWERS,
            json={},
        ),
        Cell("GET", "/api/me/submissions", "/api/me/submissions", SIGNED_IN),
        Cell(
            "POST",
            f"{sub}/resubmit",
            "/api/orgs/lincoln-hs/submissions/{submission}/resubmit",
            frozenset({"student"}),
            json={},
        ),
        Cell(
            "POST",
            f"{sub}/withdraw",
            "/api/orgs/lincoln-hs/submissions/{submission}/withdraw",
            frozenset({"student"}),
        ),
        # Organisation administration
        Cell("GET", f"{org}/members", "/api/orgs/lincoln-hs/members", frozenset({"admin"})),
        Cell("POST", f"{org}/members", "/api/orgs/lincoln-hs/members", STAFF, json={}),
        Cell(
            "DELETE",
            f"{org}/members/{{membership_id:uuid}}",
            "/api/orgs/lincoln-hs/members/{random}",
            frozenset({"admin"}),
            denied_codes=AUTH_DENIED,
        ),
        Cell(
            "POST",
            f"{org}/students/{{person_id:uuid}}/guardians",
            "/api/orgs/lincoln-hs/students/{student}/guardians",
            frozenset({"admin"}),
            json={},
        ),
        Cell("GET", f"{org}/settings", "/api/orgs/lincoln-hs/settings", frozenset({"admin"})),
        Cell(
            "PATCH", f"{org}/settings", "/api/orgs/lincoln-hs/settings", frozenset({"admin"}), json={"x": 1}
        ),
        Cell("GET", f"{org}/keys", "/api/orgs/lincoln-hs/keys", frozenset({"admin"})),
        Cell("POST", f"{org}/keys/rotate", "/api/orgs/lincoln-hs/keys/rotate", frozenset({"admin"}), json={}),
        Cell("GET", f"{org}/invitations", "/api/orgs/lincoln-hs/invitations", STAFF),
        Cell("POST", f"{org}/invitations", "/api/orgs/lincoln-hs/invitations", STAFF, json={}),
        Cell(
            "DELETE",
            f"{org}/invitations/{{invitation_id:uuid}}",
            "/api/orgs/lincoln-hs/invitations/{random}",
            STAFF,
            denied_codes=AUTH_DENIED,
        ),
        Cell("GET", f"{org}/audit", "/api/orgs/lincoln-hs/audit", frozenset({"admin"})),
        # Invitation links are their own credential: public routes, unknown tokens are 410
        Cell("GET", "/api/invitations/{token:str}", "/api/invitations/unknown-token", ANYONE),
        Cell(
            "POST",
            "/api/invitations/{token:str}/accept",
            "/api/invitations/unknown-token/accept",
            ANYONE,
            json={},
        ),
        # The learner's record: the learner, and staff of the organisation that issued the badges
        Cell("GET", "/api/me/credentials", "/api/me/credentials", SIGNED_IN),
        Cell("GET", "/api/me/grants", "/api/me/grants", SIGNED_IN),
        Cell(
            "GET",
            "/api/learners/{person_id:uuid}/credentials",
            "/api/learners/{student}/credentials",
            STAFF | {"student"},
        ),
        Cell(
            "GET",
            "/api/learners/{person_id:uuid}/credentials/{file:str}",
            "/api/learners/{student}/credentials/{credential}.json",
            STAFF | {"student"},
        ),
        Cell(
            "DELETE",
            "/api/learners/{person_id:uuid}",
            "/api/learners/{student}",
            frozenset({"student"}),
            json={"confirm": "not-her-address@example.org"},
        ),
        # CLR transcripts: a learner's own (an unknown id is 404 for everyone)
        Cell("POST", "/api/me/clr", "/api/me/clr", SIGNED_IN, json={}),
        Cell("GET", "/api/me/clr", "/api/me/clr", SIGNED_IN),
        Cell(
            "GET",
            "/api/me/clr/{transcript_id:str}",
            "/api/me/clr/urn:uuid:{random}",
            SIGNED_IN,
            denied_codes=AUTH_DENIED,
        ),
        # Endorsements: the organisation's admins
        Cell(
            "POST", f"{org}/endorsements", "/api/orgs/lincoln-hs/endorsements", frozenset({"admin"}), json={}
        ),
        Cell("GET", f"{org}/endorsements", "/api/orgs/lincoln-hs/endorsements", frozenset({"admin"})),
        Cell(
            "DELETE",
            f"{org}/endorsements/{{endorsement_id:str}}",
            "/api/orgs/lincoln-hs/endorsements/urn:uuid:{random}",
            frozenset({"admin"}),
            denied_codes=AUTH_DENIED,
        ),
        # Badges earned elsewhere, added by the learner (verified first; an empty body changes nothing).
        Cell("GET", "/api/me/imports", "/api/me/imports", SIGNED_IN),
        Cell("POST", "/api/me/imports", "/api/me/imports", SIGNED_IN, json={}),
        Cell(
            "DELETE",
            "/api/me/imports/{import_id:uuid}",
            "/api/me/imports/{random}",
            SIGNED_IN,
            denied_codes=AUTH_DENIED,
        ),
        _page("GET", "/me/imports", "/me/imports", SIGNED_IN),
        _page("POST", "/me/imports", "/me/imports", SIGNED_IN, form={}),
        _page(
            "POST",
            "/me/imports/{import_id:uuid}/remove",
            "/me/imports/{random}/remove",
            SIGNED_IN,
            form={},
            denied_codes=AUTH_DENIED,
        ),
        # The Open Badges 3.0 API takes OAuth access tokens only: no session or API token gets in.
        Cell("GET", "/ims/ob/v3p0/discovery", "/ims/ob/v3p0/discovery", ANYONE),
        Cell("GET", "/ims/ob/v3p0/credentials", "/ims/ob/v3p0/credentials", NOBODY),
        Cell("POST", "/ims/ob/v3p0/credentials", "/ims/ob/v3p0/credentials", NOBODY, json={}),
        Cell("GET", "/ims/ob/v3p0/profile", "/ims/ob/v3p0/profile", NOBODY),
        Cell("PUT", "/ims/ob/v3p0/profile", "/ims/ob/v3p0/profile", NOBODY, json={}),
        # OAuth: registration is open; the consent page and the decision are pages for a signed-in
        # learner (the decision with the session's form CSRF token); the token and revocation endpoints
        # authenticate clients, not people.
        Cell("POST", "/oauth/register", "/oauth/register", ANYONE, json={}),
        _page("GET", "/oauth/authorize", "/oauth/authorize", SIGNED_IN),
        _page("POST", "/oauth/authorize", "/oauth/authorize", SIGNED_IN, form={}),
        Cell("POST", "/oauth/token", "/oauth/token", NOBODY, json={}, denied_codes=AUTH_DENIED),
        Cell("POST", "/oauth/revoke", "/oauth/revoke", NOBODY, json={}, denied_codes=AUTH_DENIED),
        # Wallet pickup: a learner offers their own badge (others: not found), staff any of the school's
        # (a body of the wrong shape stops staff at validation); the wallet protocol endpoints are public,
        # their secrets being the credentials (an unknown offer is 410; the credential endpoint's 401 is
        # OAuth's invalid_token, not the service's sign-in, so only 403 counts as a refusal there).
        Cell(
            "POST",
            "/api/me/credentials/{credential_id:str}/wallet-offers",
            "/api/me/credentials/{credential}/wallet-offers",
            frozenset({"student"}),
            json={},
        ),
        Cell(
            "POST",
            f"{cred}/wallet-offers",
            "/api/orgs/lincoln-hs/credentials/{credential}/wallet-offers",
            STAFF,
            json={"txCode": "not a boolean"},
        ),
        Cell(
            "GET",
            "/.well-known/openid-credential-issuer/orgs/{slug:str}",
            "/.well-known/openid-credential-issuer/orgs/lincoln-hs",
            ANYONE,
        ),
        Cell(
            "GET",
            "/orgs/{slug:str}/.well-known/openid-credential-issuer",
            "/orgs/lincoln-hs/.well-known/openid-credential-issuer",
            ANYONE,
        ),
        Cell(
            "GET",
            "/.well-known/oauth-authorization-server/orgs/{slug:str}",
            "/.well-known/oauth-authorization-server/orgs/lincoln-hs",
            ANYONE,
        ),
        Cell(
            "GET",
            "/orgs/{slug:str}/oid4vci/offers/{offer_token:str}",
            "/orgs/lincoln-hs/oid4vci/offers/{random}",
            ANYONE,
        ),
        Cell("POST", "/orgs/{slug:str}/oid4vci/token", "/orgs/lincoln-hs/oid4vci/token", ANYONE),
        Cell("POST", "/orgs/{slug:str}/oid4vci/nonce", "/orgs/lincoln-hs/oid4vci/nonce", ANYONE),
        Cell(
            "POST",
            "/orgs/{slug:str}/oid4vci/credential",
            "/orgs/lincoln-hs/oid4vci/credential",
            ANYONE,
            json={},
            denied_codes=frozenset({403}),
        ),
        Cell(
            "POST",
            "/orgs/{slug:str}/exchanges/{exchange_token:str}",
            "/orgs/lincoln-hs/exchanges/{random}",
            ANYONE,
            json={},
        ),
        # Last: signing out ends each person's session (the API's sign-out is public: it only clears).
        _page("POST", "/sign-out", "/sign-out", SIGNED_IN),
        Cell("DELETE", "/api/session", "/api/session", ANYONE),
    ]


async def _objects(world: World) -> dict[str, str]:
    """A submission with a file, a credential and a bulk job of Lincoln High, made through the API."""
    submitted = await world.client.post(
        "/api/orgs/lincoln-hs/submissions",
        data={"badge": "weld-smaw-3f", "level": "3", "narrative": "My 3F plate."},
        files=[("files", ("plate.png", PNG, "image/png"))],
        headers=world.headers("student"),
    )
    assert submitted.status_code == 201, submitted.text
    submission = submitted.json()
    awarded = await world.client.post(
        "/api/orgs/lincoln-hs/awards",
        json={"student": world.person_id("student"), "badge": "math-7rp-proportional", "level": 3},
        headers=world.headers("teacher"),
    )
    assert awarded.status_code == 201, awarded.text
    job = await world.client.post(
        "/api/orgs/lincoln-hs/award-jobs",
        files={"file": ("a.csv", b"student,badge,level\nnobody@example.org,weld-smaw-3f,3\n", "text/csv")},
        headers=world.headers("teacher"),
    )
    assert job.status_code == 202, job.text
    credential_id = awarded.json()["id"]
    return {
        "submission": submission["id"],
        "file": submission["files"][0]["id"],
        "credential": credential_id,
        "credential_uuid": credential_id.removeprefix("urn:uuid:"),
        "job": job.json()["id"],
        "student": world.person_id("student"),
    }


def _routes(app: Litestar) -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            for method in handler.http_methods:
                # OPTIONS is litestar's automatic answer (refused by the guard: no CORS here); the
                # OpenAPI router's other renderings are public documentation like openapi.json.
                if method != "OPTIONS" and not route.path.startswith("/schema"):
                    found.add((method, route.path))
    found.add(("GET", "/schema/openapi.json"))
    return found


async def test_authorization_matrix_covers_every_route(app: Litestar) -> None:
    assert {(cell.method, cell.template) for cell in _cells()} == _routes(app)


async def test_authorization_every_route_declares_an_access_rule(app: Litestar) -> None:
    from issuer.web.auth import Access

    missing = [
        (route.path, sorted(handler.http_methods))
        for route in app.routes
        if isinstance(route, HTTPRoute)
        for handler in route.route_handlers
        if "OPTIONS" not in handler.http_methods and not isinstance(handler.opt.get("access"), Access)
    ]
    assert missing == []


async def test_authorization_matrix(world: World) -> None:
    objects = await _objects(world)
    wrong: list[str] = []
    for cell in _cells():
        path = cell.path.format(random=uuid.uuid4(), **objects)
        for who in sorted(ANYONE, key=lambda name: name or ""):
            kwargs: dict[str, Any] = {"headers": world.headers(who), "follow_redirects": False}
            if cell.json is not None:
                kwargs["json"] = cell.json
            if cell.multipart:
                kwargs["files"] = {"files": ("note.txt", b"matrix", "text/plain")}
            if cell.form is not None:
                headers = dict(kwargs["headers"])
                csrf = headers.pop("X-CSRF-Token", "")
                kwargs["headers"] = headers
                kwargs["data"] = {**cell.form, "csrf_token": csrf}
            response = await world.client.request(cell.method, path, **kwargs)
            to_sign_in = response.status_code == 303 and response.headers["location"].startswith("/sign-in")
            allowed = response.status_code not in cell.denied_codes and not to_sign_in
            if response.status_code >= 500 or allowed != (who in cell.allowed):
                wrong.append(
                    f"{cell.method} {cell.template} as {who or 'anonymous'}: {response.status_code} {response.text[:600]}"
                )
    assert wrong == [], "\n".join(wrong)


async def test_authorization_token_scopes_and_organisation_limit_narrow_a_person(world: World) -> None:
    async def token(scopes: list[str], organisation: str | None = None) -> dict[str, str]:
        body: dict[str, Any] = {"name": "matrix", "scopes": scopes}
        if organisation:
            body["organisation"] = organisation
        created = await world.client.post("/api/tokens", json=body, headers=world.headers("admin"))
        assert created.status_code == 201, created.text
        return {"Authorization": f"Bearer {created.json()['token']}"}

    read_only = await token(["credentials:read"])
    assert (await world.client.get("/api/orgs/lincoln-hs/credentials", headers=read_only)).status_code == 200
    award = await world.client.post("/api/orgs/lincoln-hs/awards", json={}, headers=read_only)
    assert award.status_code == 403
    assert "awards:write" in award.json()["detail"]
    assert (await world.client.get("/api/orgs/lincoln-hs/audit", headers=read_only)).status_code == 403
    elsewhere = await token(["audit:read"], organisation="lincoln-hs")
    assert (await world.client.get("/api/orgs/lincoln-hs/audit", headers=elsewhere)).status_code == 200
    # The admin holds no role at Riverside, and a token cannot add one.
    assert (await world.client.get("/api/orgs/riverside-hs/audit", headers=elsewhere)).status_code == 403
