"""The service's own published documents for its verifier: no network for what the service itself serves.

When the service verifies a badge (an import), the DID documents and status lists of its own
organisations are read here, from the key stores and the database, exactly as the public routes serve
them (``issuer/web/public.py``, ``issuer/web/status.py``). Every other URL goes to the fallback fetcher
(the verifier's :class:`~verifier.resolve.HttpsFetcher`: HTTPS only, no private addresses, size and time
limits), and only when a check needs it.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Final
from urllib.parse import urlsplit

import anyio.from_thread
from sqlmodel import select

from issuer.db import get_organisation
from issuer.db.models import STATUS_PURPOSES, StatusList
from issuer.errors import IssuerError
from keys.publish import did_document, jwks
from keys.store import read_index
from verifier.errors import RetrievalError

if TYPE_CHECKING:
    from issuer.services.context import Services
    from verifier.resolve import Fetcher

__all__ = ["OwnDocumentFetcher"]

_PATH: Final = re.compile(
    r"/orgs/(?P<slug>[a-z0-9-]{1,63})/(?:(?P<doc>did\.json|jwks\.json)|status/(?P<purpose>[a-z]+)/(?P<number>\d{1,9}))"
)


def _authority(url: str) -> str:
    parts = urlsplit(url)
    return (parts.netloc or "").lower()


class OwnDocumentFetcher:
    """A verifier fetcher serving the service's own documents, falling back to ``fallback`` for others.

    Runs in a worker thread started with :func:`anyio.to_thread.run_sync` (verification is sync) and
    reads the database back on the event loop. did:web URLs are always https, also for a development
    base URL over http, so URLs are matched on host and path, not scheme.
    """

    def __init__(self, services: Services, fallback: Fetcher) -> None:
        self._services = services
        self._fallback = fallback
        base = urlsplit(services.settings.base_url)
        self._authority = (base.netloc or "").lower()
        self._prefix = base.path.rstrip("/")

    def _own_path(self, url: str) -> re.Match[str] | None:
        parts = urlsplit(url)
        if _authority(url) != self._authority or parts.scheme not in ("http", "https"):
            return None
        if not parts.path.startswith(self._prefix + "/"):
            return None
        return _PATH.fullmatch(parts.path.removeprefix(self._prefix))

    def fetch(self, url: str) -> bytes:
        """The document at ``url``.

        Raises:
            RetrievalError: an own document that does not exist, or the fallback's refusal.
        """
        found = self._own_path(url)
        if found is None:
            return self._fallback.fetch(url)
        return anyio.from_thread.run(self._own_document, found)

    async def _own_document(self, found: re.Match[str]) -> bytes:
        slug = found["slug"]
        async with self._services.sessions() as session:
            try:
                organisation = await get_organisation(session, slug)
            except IssuerError as err:
                raise RetrievalError(f"this service has no organisation {slug!r}") from err
            if found["doc"] is not None:
                records = [
                    record
                    for record in read_index(self._services.settings.org_keys_dir(slug))
                    if record.is_published
                ]
                document = (
                    did_document(organisation.did, records)
                    if found["doc"] == "did.json"
                    else dict(jwks(records, did=organisation.did))
                )
                return json.dumps(document).encode("utf-8")
            purpose, number = found["purpose"], int(found["number"])
            if purpose not in STATUS_PURPOSES:
                raise RetrievalError(f"{slug} has no {purpose[:20]} status lists")
            text = (
                await session.execute(
                    select(StatusList.credential).where(
                        StatusList.organisation_id == organisation.id,
                        StatusList.purpose == purpose,
                        StatusList.number == number,
                    )
                )
            ).scalar_one_or_none()
        if text is None:
            raise RetrievalError(f"{slug} has no {purpose} list {number}")
        return text.encode("utf-8")
