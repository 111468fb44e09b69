"""Verifying a credential inside the service (the public badge page, the verifier page, the registrar).

This service's own published documents (its organisations' DID documents and status lists) are read from
its own data, not fetched over HTTP: no request to itself, and the answer is the live one. Anything else
goes through the verifier's guarded HTTPS fetcher (public addresses only, size and time caps), or nowhere
when ``settings.verifier_network`` is off. JSON-LD contexts are never fetched (the verifier bundles them).
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections import OrderedDict
from functools import partial
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urlsplit

import anyio
import anyio.from_thread
import anyio.to_thread
from sqlmodel import select

from issuer.db import get_organisation
from issuer.db.models import STATUS_PURPOSES, Credential, StatusList
from issuer.errors import IssuerError
from keys.publish import did_document
from keys.store import read_index
from verifier.errors import RetrievalError
from verifier.resolve import ChainFetcher, HttpsFetcher, OfflineFetcher, Resolver
from verifier.verify import VerificationReport, VerifyOptions, verify_credential

if TYPE_CHECKING:
    from datetime import datetime

    from issuer.services.context import Services
    from verifier.resolve import Fetcher

__all__ = ["ServiceFetcher", "VerificationMemo", "verify_in_service", "verify_issued"]

_DOCUMENT: Final = re.compile(r"^/orgs/([a-z0-9-]{1,63})/(?:(did\.json)|status/([a-z]+)/([0-9]{1,9}))$")


class ServiceFetcher:
    """Answers URLs of this service's own organisations' DID documents and status lists from its data.

    It runs in the verifier's worker thread and hands database reads back to the event loop.
    """

    def __init__(self, services: Services) -> None:
        self._services = services
        base = urlsplit(services.settings.base_url)
        self._netloc = base.netloc.lower()

    def knows(self, url: str) -> bool:
        try:
            parts = urlsplit(url)
        except ValueError:  # a malformed IPv6 address: not one of ours
            return False
        return (
            parts.scheme in ("https", "http")
            and parts.netloc.lower() == self._netloc
            and _DOCUMENT.match(parts.path) is not None
        )

    def fetch(self, url: str) -> bytes:
        match = _DOCUMENT.match(urlsplit(url).path)
        if match is None:
            raise RetrievalError(f"{url}: not a document of this service")
        slug, did_json, purpose, number = match.groups()
        if did_json:
            return anyio.from_thread.run(self._did_json, slug)
        return anyio.from_thread.run(self._status_list, slug, purpose, int(number))

    async def _did_json(self, slug: str) -> bytes:
        async with self._services.sessions() as session:
            try:
                organisation = await get_organisation(session, slug)
            except IssuerError as err:
                raise RetrievalError(f"{slug}: no such organisation here") from err
        records = [r for r in read_index(self._services.settings.org_keys_dir(slug)) if r.is_published]
        return json.dumps(did_document(organisation.did, records)).encode("utf-8")

    async def _status_list(self, slug: str, purpose: str, number: int) -> bytes:
        if purpose not in STATUS_PURPOSES:
            raise RetrievalError(f"{purpose}: not a status purpose of this service")
        async with self._services.sessions() as session:
            try:
                organisation = await get_organisation(session, slug)
            except IssuerError as err:
                raise RetrievalError(f"{slug}: no such organisation here") from err
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
        return str(text).encode("utf-8")


def _fetcher(services: Services) -> Fetcher:
    outside: Fetcher = HttpsFetcher() if services.settings.verifier_network else OfflineFetcher()
    return ChainFetcher(ServiceFetcher(services), outside)


async def verify_in_service(
    services: Services,
    raw: str | bytes | dict[str, Any],
    *,
    now: datetime,
    options: VerifyOptions | None = None,
) -> VerificationReport:
    """Verify one credential (JSON-LD, VC-JWT) at ``now``, off the event loop."""
    resolver = Resolver(_fetcher(services))
    return await anyio.to_thread.run_sync(
        partial(verify_credential, raw, resolver=resolver, now=now, options=options)
    )


class VerificationMemo:
    """Reports of badges this service issued, for the rest of the minute they were made in (bounded, LRU).

    The public badge page of a popular share link would otherwise repeat the same ~0.1 s of canonicalisation
    and signature checks on every view. A report depends only on the signed text (immutable), the issuer's
    published keys (a rotation keeps old keys published), the status lists (part of the key: a revocation
    changes them, so the next view checks afresh) and the time (the minute is part of the key: a badge
    expiring within a minute may show valid up to a minute longer).
    """

    def __init__(self, size: int = 1024) -> None:
        self._size = size
        self._reports: OrderedDict[tuple[str, str, datetime], VerificationReport] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[str, str, datetime]) -> VerificationReport | None:
        with self._lock:
            report = self._reports.get(key)
            if report is not None:
                self._reports.move_to_end(key)
            return report

    def put(self, key: tuple[str, str, datetime], report: VerificationReport) -> None:
        with self._lock:
            self._reports[key] = report
            self._reports.move_to_end(key)
            while len(self._reports) > self._size:
                self._reports.popitem(last=False)


async def _status_lists_digest(services: Services, credential: Credential) -> str:
    async with services.sessions() as session:
        texts = (
            await session.execute(
                select(StatusList.credential)
                .where(
                    StatusList.organisation_id == credential.organisation_id,
                    StatusList.number == credential.list_number,
                )
                .order_by(StatusList.purpose)
            )
        ).scalars()
        return hashlib.sha256("\n".join(str(text) for text in texts).encode("utf-8")).hexdigest()


async def verify_issued(services: Services, credential: Credential, *, now: datetime) -> VerificationReport:
    """A badge this service issued, verified in full like any other (:func:`verify_in_service`), the report
    reused within the minute while its status lists are unchanged (:class:`VerificationMemo`).
    An indeterminate report is never kept."""
    text = credential.ldp or credential.jwt or ""
    key = (
        hashlib.sha256(text.encode("utf-8")).hexdigest(),
        await _status_lists_digest(services, credential),
        now.replace(second=0, microsecond=0),
    )
    report = services.verified.get(key)
    if report is None:
        report = await verify_in_service(services, text, now=now)
        if report.verdict != "indeterminate":
            services.verified.put(key, report)
    return report
