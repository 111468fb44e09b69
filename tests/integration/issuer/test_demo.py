"""``badges demo``'s data: organisations, people, and a submission in each state, once (SQLite only)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from sqlmodel import func, select

from issuer.db.models import Credential, Organisation, Person, Submission
from issuer.organisations import organisation_did
from issuer.services.context import build_services
from issuer.services.credit import organisation_rules
from issuer.services.demo import demo_settings, seed_demo
from tests.conftest import BADGE_DEFS

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.anyio


async def test_demo_seeds_every_submission_state_once(tmp_path: Path) -> None:
    settings = demo_settings(tmp_path / "demo", host="0.0.0.0", port=8123)  # noqa: S104
    settings.defs_dir = BADGE_DEFS
    assert settings.base_url == "http://localhost:8123"
    assert (tmp_path / "demo" / "demo-passphrase").stat().st_mode & 0o077 == 0
    logins = await seed_demo(settings)
    assert {login.role for login in logins} == {"admin", "teacher", "supervisor", "student", "registrar"}
    again = await seed_demo(settings)  # a second start reuses the data
    assert again == logins
    services = build_services(settings)
    try:
        async with services.sessions() as session:
            states = (await session.execute(select(Submission.state))).scalars().all()
            assert sorted(states) == ["approved", "declined", "returned", "submitted"]
            count = await session.execute(select(func.count()).select_from(Organisation))
            assert count.scalar_one() == 3
            people = await session.execute(select(func.count()).select_from(Person))
            assert people.scalar_one() == len(logins)
            credentials = (await session.execute(select(Credential))).scalars().all()
            assert len(credentials) == 2
            assert all(c.ldp and '"proof"' in c.ldp for c in credentials)
    finally:
        await services.engine.dispose()
    # The registrar's rules are the shipped example, trusting the demo's own school by its demo DID.
    rules = organisation_rules(settings, "riverbend-cc")
    assert rules is not None
    trusted = {issuer.id for issuer in rules.rules.trusted_issuers}
    assert organisation_did(settings.base_url, "lincoln-hs") in trusted
    assert not any(did.startswith("did:web:badges.example.edu") for did in trusted)
