"""Everything a service operation needs besides its database session, built once per process."""

from __future__ import annotations

# Imported at run time, not only for type checking: the web layer injects Services by type, and
# litestar reads the dataclass's annotations.
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from issuer.db import create_engine, session_factory
from issuer.definitions import BadgeCatalog, load_catalog
from issuer.evidence_store import EvidenceStore
from issuer.keyring import KeyRing
from issuer.services.verification import VerificationMemo
from issuer.settings import Settings

__all__ = ["Services", "build_services", "utc_now"]

LOCK_FILE = "published.lock.json"


def utc_now() -> datetime:
    """The clock of the running service (tests pass their own)."""
    return datetime.now(UTC)


@dataclass
class Services:
    """The settings, the database, the badge catalogue, the signers and the clock.

    Attributes:
        settings: the service's configuration.
        engine: the async engine (disposed by the owner).
        sessions: opens database sessions.
        catalog: the badge definitions from ``badge_defs/`` (validated against the publication lock).
        keyring: unlocked signers per organisation.
        evidence: the evidence files (``settings.evidence_dir``).
        clock: returns the current time (timezone-aware).
        verified: recent verification reports of this service's own badges (the public badge page).
    """

    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    catalog: BadgeCatalog
    keyring: KeyRing
    evidence: EvidenceStore
    clock: Callable[[], datetime] = field(default=utc_now)
    verified: VerificationMemo = field(default_factory=VerificationMemo)

    def status_list_url(self, slug: str, purpose: str, number: int) -> str:
        """Where an organisation's status list credential is served (its id, and the verifier's URL)."""
        return f"{self.settings.base_url}/orgs/{slug}/status/{purpose}/{number}"


def build_services(settings: Settings, *, clock: Callable[[], datetime] = utc_now) -> Services:
    """Load the badge catalogue (refusing an invalid one) and open the engine.

    Raises:
        BadgeDefinitionError: a definition is invalid or changed under a published version; its
            ``problems`` name each file and field.
    """
    catalog = load_catalog(settings.defs_dir / "badges", lock_path=settings.defs_dir / LOCK_FILE)
    engine = create_engine(settings.database_url)
    passphrase = settings.key_passphrase.get_secret_value() if settings.key_passphrase else None
    return Services(
        settings=settings,
        engine=engine,
        sessions=session_factory(engine),
        catalog=catalog,
        keyring=KeyRing(settings.org_keys_dir, passphrase),
        evidence=EvidenceStore(settings.evidence_dir or settings.data_dir / "evidence"),
        clock=clock,
    )
