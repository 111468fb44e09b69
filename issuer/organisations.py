"""Organisations: the pure rules (slug, kind, did:web identifier, OB 3.0 Profile). No database here."""

from __future__ import annotations

import re
from typing import Final, Literal, get_args
from urllib.parse import quote, urlsplit

from issuer.errors import InvalidOrganisationError
from keys.encoding import did_web_from_url
from keys.errors import InvalidKeyError
from verifier.model.ob import OB_CONTEXT, VC_V2_CONTEXT

__all__ = ["KINDS", "OrganisationKind", "check_organisation", "organisation_did", "profile_document"]

OrganisationKind = Literal["district", "school", "employer", "college", "cte_program"]
KINDS: Final[tuple[str, ...]] = get_args(OrganisationKind)
# A slug is one did:web path segment and one URL path segment: lower-case DNS-label style.
_SLUG = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")


def check_organisation(*, slug: str, name: str, kind: str) -> None:
    """Refuse a malformed slug, an empty name or an unknown kind.

    Raises:
        InvalidOrganisationError: naming the field at fault.
    """
    if _SLUG.fullmatch(slug) is None:
        raise InvalidOrganisationError(
            f"slug {slug[:80]!r}: use 1-63 lower-case letters, digits and inner hyphens"
        )
    if not name.strip() or len(name) > 200:
        raise InvalidOrganisationError("name: must be 1-200 characters")
    if kind not in KINDS:
        raise InvalidOrganisationError(f"kind {kind[:40]!r}: choose one of {', '.join(KINDS)}")


def organisation_did(base_url: str, slug: str) -> str:
    """The did:web of an organisation: ``<base_url>/orgs/<slug>`` as a DID.

    https://w3c-ccg.github.io/did-method-web/#create-register

    A development base URL (``http://127.0.0.1:8000``) has no did:web (http, an IP address): the DID is
    then spelled the same way but cannot be resolved by a verifier.

    Raises:
        InvalidOrganisationError: the slug or the base URL cannot form a DID.
    """
    check_organisation(slug=slug, name=slug, kind=KINDS[0])
    url = f"{base_url.rstrip('/')}/orgs/{slug}"
    parts = urlsplit(url)
    if parts.scheme == "https":
        try:
            return did_web_from_url(url)
        except InvalidKeyError as err:
            raise InvalidOrganisationError(f"base_url cannot carry a did:web: {err}") from err
    segments = [segment for segment in parts.path.split("/") if segment]
    return ":".join(["did:web:" + quote(parts.netloc.lower(), safe=""), *segments])


def profile_document(*, did: str, name: str) -> dict[str, object]:
    """The organisation's OB 3.0 ``Profile`` as JSON-LD.

    https://www.imsglobal.org/spec/ob/v3p0/#profile
    """
    return {"@context": [VC_V2_CONTEXT, OB_CONTEXT], "id": did, "type": ["Profile"], "name": name}
