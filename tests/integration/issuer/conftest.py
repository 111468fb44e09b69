"""The issuer service on a real database: a temporary SQLite file, and PostgreSQL when
``ISSUER_TEST_POSTGRES_URL`` names a server (CI sets it; a fresh database per test, dropped after)."""

from __future__ import annotations

import importlib.util
import os
import shutil
import uuid
from typing import TYPE_CHECKING

import asyncpg
import pytest
from litestar.testing import AsyncTestClient

from issuer.organisations import organisation_did
from issuer.settings import Settings
from tests.conftest import NOW, TEST_PASSPHRASE, require_in_ci

if TYPE_CHECKING:
    from collections.abc import AsyncIterator
    from pathlib import Path

    from litestar import Litestar

    from issuer.db import Organisation

POSTGRES_ENV = "ISSUER_TEST_POSTGRES_URL"
BASE_URL = "https://badges.example.edu"

pytestmark = pytest.mark.anyio


@pytest.fixture(name="anyio_backend")
def fx_anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(name="async_sqlalchemy", autouse=True)
def fx_async_sqlalchemy() -> None:
    # SQLAlchemy 2.1 runs its asyncio layer on greenlet, which it no longer installs by itself; the
    # modules here import issuer.db / issuer.web only inside fixtures and tests, after this check.
    require_in_ci(
        importlib.util.find_spec("greenlet") is not None,
        "greenlet is not installed (SQLAlchemy's asyncio extension needs it)",
    )


async def _postgres_database(server_url: str) -> AsyncIterator[str]:
    name = f"issuer_test_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(server_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    scheme, _, rest = server_url.partition("://")
    authority = rest.split("/", 1)[0]
    try:
        yield f"{scheme}://{authority}/{name}"
    finally:
        admin = await asyncpg.connect(server_url)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


@pytest.fixture(name="database_url", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def fx_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'db' / 'badges.db'}"
        return
    server_url = os.environ.get(POSTGRES_ENV, "")
    require_in_ci(bool(server_url), f"{POSTGRES_ENV} is not set: no PostgreSQL server to test against")
    async for url in _postgres_database(server_url):
        yield url


@pytest.fixture(name="settings")
def fx_settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        env="dev",
        base_url=BASE_URL,
        data_dir=tmp_path / "data",
        database_url=database_url,
        key_passphrase=TEST_PASSPHRASE,
    )


@pytest.fixture(name="app")
def fx_app(settings: Settings) -> Litestar:
    from issuer.web import create_app  # imports SQLAlchemy's asyncio layer: after the greenlet check

    return create_app(settings)


@pytest.fixture(name="client")
async def fx_client(app: Litestar) -> AsyncIterator[AsyncTestClient[Litestar]]:
    async with AsyncTestClient(app=app, base_url=BASE_URL) as client:
        yield client


@pytest.fixture(name="organisation")
async def fx_organisation(settings: Settings, issuer_store_dir: Path) -> Organisation:
    """Lincoln High School, with a copy of the session's real keys (EdDSA, RS256, ES256) as its store."""
    from issuer.db import create_engine, create_organisation, session_factory, upgrade

    slug = "lincoln-hs"
    shutil.copytree(issuer_store_dir, settings.org_keys_dir(slug))
    await upgrade(settings.database_url)
    engine = create_engine(settings.database_url)
    try:
        async with session_factory(engine)() as session:
            return await create_organisation(
                session,
                slug=slug,
                name="Lincoln High School",
                kind="school",
                did=organisation_did(settings.base_url, slug),
                now=NOW,
            )
    finally:
        await engine.dispose()
