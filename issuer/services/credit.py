"""Credit decisions inside the service (the public verifier page, the registrar): the institutions' rules
files in ``settings.credit_rules_dir`` (default ``<defs_dir>/credit_rules/``), which of them an organisation uses, and reading the
credentials a visitor brings (files, baked images, links).

Nothing here stores a credential: each decision is made from what the request carried.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Final
from urllib.parse import urlsplit

import anyio.to_thread

from issuer.errors import InvalidRequestError, NotFoundError, ShareLinkGoneError
from issuer.services.sharing import open_share_link
from verifier.baking import extract_credential
from verifier.credit.evaluate import CreditDecision, evaluate
from verifier.credit.facts import facts_from_credential
from verifier.credit.rules import RuleSet, load_rules
from verifier.errors import RetrievalError, VerifierError
from verifier.resolve import HttpsFetcher

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import datetime

    from issuer.services.context import Services
    from issuer.settings import Settings
    from verifier.verify import VerificationReport

__all__ = [
    "MAX_LINK_BYTES",
    "RulesChoice",
    "decide",
    "fetch_link",
    "organisation_rules",
    "read_credential",
    "rules_by_key",
    "shipped_rules",
]

RULES_FOLDER: Final = "credit_rules"
_SHARE_PATH: Final = re.compile(r"^/s/([A-Za-z0-9_-]{1,100})(?:/credential\.json)?/?$")
#: The most a link may return (the guarded fetcher cuts off and refuses a longer body).
MAX_LINK_BYTES: Final = 1_048_576
LINK_DEADLINE_SECONDS: Final = 5.0


@dataclass(frozen=True)
class RulesChoice:
    """One institution's rules file: ``key`` is its file name without ``.yaml`` (what forms send)."""

    key: str
    institution: str
    rules: RuleSet


@cache
def _load(path: str, _mtime_ns: int) -> RuleSet:
    # Keyed by modification time: an edited file is read again, an unchanged one parsed once.
    return load_rules(Path(path))


def shipped_rules(settings: Settings) -> list[RulesChoice]:
    """Every valid rules file, by institution name. A file that does not load is left out here (the
    unit tests and ``badges transfer`` report its problems)."""
    choices = []
    folder = settings.credit_rules_dir or settings.defs_dir / RULES_FOLDER
    for path in sorted(folder.glob("*.yaml")):
        try:
            rules = _load(str(path), path.stat().st_mtime_ns)
        except (VerifierError, OSError):
            continue
        choices.append(RulesChoice(path.stem, rules.institution.name, rules))
    return sorted(choices, key=lambda choice: choice.institution)


def rules_by_key(settings: Settings, key: str) -> RulesChoice:
    """The rules file a form named (only one of :func:`shipped_rules`: never a path).

    Raises:
        InvalidRequestError: no such rules file.
    """
    for choice in shipped_rules(settings):
        if choice.key == key:
            return choice
    raise InvalidRequestError(f"rules {key[:60]!r}: no such institution's rules here")


def organisation_rules(settings: Settings, slug: str) -> RulesChoice | None:
    """The rules an organisation's registrar applies: ``settings.credit_rules[slug]`` names the file,
    else a file named after the organisation (``<slug>.yaml``); None when there is neither."""
    key = settings.credit_rules.get(slug, slug)
    return next((choice for choice in shipped_rules(settings) if choice.key == key), None)


def read_credential(data: bytes) -> str:
    """The credential text in an uploaded or fetched file: JSON-LD, a compact JWT, or a baked PNG/SVG.

    Raises:
        InvalidRequestError: none of those (the verifier's reason in the message).
    """
    try:
        text, _ = extract_credential(data)
    except VerifierError as err:
        raise InvalidRequestError(str(err)) from err
    return text


async def fetch_link(services: Services, url: str) -> bytes:
    """The document a link points to, through the verifier's guarded HTTPS fetcher (public addresses,
    :data:`MAX_LINK_BYTES`, a deadline, no redirects).

    Raises:
        InvalidRequestError: not an https URL, a link to this service that is not a badge it can read,
            fetching links is off (``settings.verifier_network``), or the fetch failed.
    """
    url = url.strip()
    try:
        parts = urlsplit(url)
        _ = parts.port
    except ValueError:  # "https://[::1": a malformed IPv6 address, or a port that is not a number
        raise InvalidRequestError("the link is not a web address (https://…)") from None
    if not parts.scheme or not parts.netloc:
        raise InvalidRequestError("the link is not a web address (https://…)")
    if parts.netloc.lower() == urlsplit(services.settings.base_url).netloc.lower():
        return await _shared_here(services, parts.path)
    if parts.scheme.lower() != "https":
        raise InvalidRequestError("only https:// links are read")
    if not services.settings.verifier_network:
        raise InvalidRequestError(
            "this service does not fetch links to other sites: download the badge and upload the file"
        )
    fetcher = HttpsFetcher(timeout=LINK_DEADLINE_SECONDS, max_bytes=MAX_LINK_BYTES)
    try:
        return await anyio.to_thread.run_sync(fetcher.fetch, url)
    except RetrievalError as err:
        raise InvalidRequestError(f"the link could not be read: {err}") from err


async def _shared_here(services: Services, path: str) -> bytes:
    """A share link of this service (``/s/<token>`` or its ``/credential.json``), read from its own data,
    never over HTTP. The reading counts as an opening: the learner sees that the link was used."""
    match = _SHARE_PATH.match(path)
    if match is None:
        raise InvalidRequestError("a link to this service must be a share link (/s/…) of a badge")
    async with services.sessions() as session:
        try:
            shared = await open_share_link(session, match.group(1), now=services.clock(), count=True)
        except ShareLinkGoneError as err:
            raise InvalidRequestError(f"the share link no longer works: {err.detail}") from err
        except NotFoundError as err:
            raise InvalidRequestError("no such share link here") from err
    # The signed text as handed out (JSON-LD, else the VC-JWT), never a re-serialised copy.
    text = shared.credential.ldp or shared.credential.jwt or ""
    return text.encode("utf-8")


def decide(reports: Sequence[VerificationReport], rules: RuleSet, *, now: datetime) -> CreditDecision:
    """Apply ``rules`` to verified credentials; unreadable ones are not badges and are left out.

    A CLR transcript gives its badges, each with its own verdict (as if given alone); a badge's valid
    endorsements are passed on for the rules that require one (docs/clr.md, docs/endorsements.md).
    """
    badges = [
        facts_from_credential(badge.credential, verdict=badge.verdict, endorsers=badge.valid_endorsers())
        for report in reports
        for badge in (report.inner if report.kind == "clr" else (report,))
        if badge.credential is not None
    ]
    return evaluate(badges, rules, now=now)
