"""The issuer service on a real database: a temporary SQLite file, and PostgreSQL when
``ISSUER_TEST_POSTGRES_URL`` names a server (CI sets it; a fresh database per test, dropped after)."""

from __future__ import annotations

import asyncio
import importlib.util
import os
import shutil
import uuid
from dataclasses import dataclass, replace
from functools import partial
from typing import TYPE_CHECKING, Any

import anyio.from_thread
import anyio.to_thread
import asyncpg
import pytest
from litestar.testing import AsyncTestClient

from issuer.organisations import organisation_did
from issuer.settings import Settings
from tests.conftest import BADGE_DEFS, NOW, TEST_PASSPHRASE, require_in_ci
from verifier.errors import RetrievalError
from verifier.resolve import Resolver
from verifier.verify import verify_credential

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterator, Mapping
    from pathlib import Path

    from litestar import Litestar
    from sqlalchemy.ext.asyncio import AsyncSession

    from issuer.db import Organisation
    from issuer.db.models import Credential, Person
    from issuer.services.context import Services
    from verifier.verify import VerificationReport

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


# Each test gets its own database, copied from one migrated at the first use in this process: running
# the 0001..head migrations for every test costs more than the test. The migrations themselves are tested
# from an empty database in test_migrations.py (the `empty_database_url` fixture).
_TEMPLATES: dict[str, str] = {}


async def _admin_execute(server_url: str, statement: str) -> None:
    admin = await asyncpg.connect(server_url)
    try:
        await admin.execute(statement)
    finally:
        await admin.close()


def _on_server(server_url: str, name: str) -> str:
    scheme, _, rest = server_url.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0]}/{name}"


async def _postgres_template(server_url: str) -> str:
    if "postgres" not in _TEMPLATES:
        from issuer.db import upgrade

        name = f"issuer_template_{uuid.uuid4().hex[:12]}"
        await _admin_execute(server_url, f'CREATE DATABASE "{name}"')
        await upgrade(_on_server(server_url, name))  # disposes its engine: no connection left to block copies
        _TEMPLATES["postgres"] = name
    return _TEMPLATES["postgres"]


async def _postgres_database(server_url: str, *, migrated: bool = True) -> AsyncIterator[str]:
    """A fresh database on the server, migrated (copied from the template) or empty; dropped after."""
    name = f"issuer_test_{uuid.uuid4().hex[:12]}"
    template = f' TEMPLATE "{await _postgres_template(server_url)}"' if migrated else ""
    await _admin_execute(server_url, f'CREATE DATABASE "{name}"{template}')
    try:
        yield _on_server(server_url, name)
    finally:
        await _admin_execute(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def _sqlite_template(folder: Path) -> str:
    if "sqlite" not in _TEMPLATES:
        from issuer.db import upgrade

        path = folder / "template.db"
        await upgrade(f"sqlite+aiosqlite:///{path}")
        _TEMPLATES["sqlite"] = str(path)
    return _TEMPLATES["sqlite"]


@pytest.fixture(name="template_folder", scope="session", autouse=True)
def fx_template_folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    yield tmp_path_factory.mktemp("templates")
    server_url = os.environ.get(POSTGRES_ENV, "")
    if "postgres" in _TEMPLATES and server_url:
        asyncio.run(
            _admin_execute(server_url, f'DROP DATABASE IF EXISTS "{_TEMPLATES.pop("postgres")}" WITH (FORCE)')
        )


async def _database(
    kind: str, tmp_path: Path, template_folder: Path, *, migrated: bool
) -> AsyncIterator[str]:
    if kind == "sqlite":
        path = tmp_path / "db" / "badges.db"
        if migrated:
            path.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(await _sqlite_template(template_folder), path)
        yield f"sqlite+aiosqlite:///{path}"
        return
    server_url = os.environ.get(POSTGRES_ENV, "")
    require_in_ci(bool(server_url), f"{POSTGRES_ENV} is not set: no PostgreSQL server to test against")
    async for url in _postgres_database(server_url, migrated=migrated):
        yield url


DATABASES = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(name="database_url", params=DATABASES)
async def fx_database_url(
    request: pytest.FixtureRequest, tmp_path: Path, template_folder: Path
) -> AsyncIterator[str]:
    """A migrated database of its own: SQLite, and PostgreSQL when ISSUER_TEST_POSTGRES_URL is set."""
    async for url in _database(request.param, tmp_path, template_folder, migrated=True):
        yield url


@pytest.fixture(name="empty_database_url", params=DATABASES)
async def fx_empty_database_url(
    request: pytest.FixtureRequest, tmp_path: Path, template_folder: Path
) -> AsyncIterator[str]:
    """An empty database, for the migrations themselves."""
    async for url in _database(request.param, tmp_path, template_folder, migrated=False):
        yield url


@pytest.fixture(name="settings")
def fx_settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        env="dev",
        base_url=BASE_URL,
        data_dir=tmp_path / "data",
        database_url=database_url,
        key_passphrase=TEST_PASSPHRASE,
        defs_dir=BADGE_DEFS,
        cookie_secure=False,  # the test client speaks http to the app
    )


@pytest.fixture(name="app")
def fx_app(settings: Settings) -> Litestar:
    from issuer.web import create_app  # imports SQLAlchemy's asyncio layer: after the greenlet check

    return create_app(settings, clock=lambda: NOW)


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


class AppFetcher:
    """A verifier Fetcher that asks the ASGI app under test: no network. It runs in a worker thread
    (verification is sync) and hands each request back to the test's event loop."""

    def __init__(self, client: AsyncTestClient[Litestar]) -> None:
        self.client = client
        self.fetched: list[str] = []

    def fetch(self, url: str) -> bytes:
        if not url.startswith(BASE_URL + "/"):
            raise RetrievalError(f"{url}: not served by the app under test")
        self.fetched.append(url)
        response = anyio.from_thread.run(self.client.get, url.removeprefix(BASE_URL))
        if response.status_code != 200:
            raise RetrievalError(f"{url}: HTTP {response.status_code}")
        return response.content


async def verify_through(fetcher: AppFetcher, credential: str | Mapping[str, Any]) -> VerificationReport:
    """Verify a credential (JSON-LD or VC-JWT) at NOW, with DID documents and status lists from the app."""
    return await anyio.to_thread.run_sync(
        partial(verify_credential, credential, resolver=Resolver(fetcher), now=NOW)
    )


PASSWORD = "correct horse battery staple"  # test-only
# Each person: (organisation, role, e-mail).
ROLE_PEOPLE = {
    "admin": ("lincoln-hs", "admin", "admin@lincoln.example.edu"),
    "teacher": ("lincoln-hs", "teacher", "teacher@lincoln.example.edu"),
    "supervisor": ("lincoln-hs", "supervisor", "mentor@acme-welding.example.com"),
    "student": ("lincoln-hs", "student", "ana@students.example.edu"),
    "student2": ("lincoln-hs", "student", "ben@students.example.edu"),
    "other_teacher": ("riverside-hs", "teacher", "teacher@riverside.example.edu"),
    "other_admin": ("riverside-hs", "admin", "admin@riverside.example.edu"),
    "other_student": ("riverside-hs", "student", "cy@riverside.example.edu"),
    "registrar": ("riverbend-cc", "registrar", "registrar@riverbend.example.edu"),
}


@dataclass
class World:
    """Three organisations and one person per role, signed in: ``world.headers("teacher")``.

    lincoln-hs (a school) and riverside-hs (another school) share a copy of the test keys; riverbend-cc
    is a college with a registrar. The supervisor may attest weld-smaw-3f and workplace-communication
    for the student (ana), not for student2 (ben).
    """

    client: AsyncTestClient[Litestar]
    services: Services
    organisations: dict[str, Organisation]
    people: dict[str, Person]
    sessions: dict[str, tuple[str, str]]  # name -> (cookie token, CSRF token)

    def headers(self, name: str | None) -> dict[str, str]:
        """Request headers for that person's session (cookie and CSRF token); None: anonymous."""
        if name is None:
            return {}
        cookie, csrf = self.sessions[name]
        return {"Cookie": f"mb_session={cookie}", "X-CSRF-Token": csrf}

    def person_id(self, name: str) -> str:
        return str(self.people[name].id)

    async def issue(
        self,
        student: str | Person,
        *,
        badge: str = "weld-smaw-3f",
        level: int = 3,
        attester: str = "teacher",
        attester_name: str | None = None,
        org: str = "lincoln-hs",
    ) -> Credential:
        """Award ``badge`` to a person of the world (by name) or any Person, through the service core,
        in a session and transaction of its own, committed as the service does."""
        from issuer.services.issuing import commit_award
        from issuer.services.status_lists import count_allocation

        async with self.services.sessions() as session:
            credential, slots = await self.sign(
                session,
                self.people[student] if isinstance(student, str) else student,
                badge=badge,
                level=level,
                attester=attester,
                attester_name=attester_name,
                org=org,
            )
            await count_allocation(session, self.organisations[org], slots)
            await commit_award(session)
            return credential

    async def sign(
        self,
        session: AsyncSession,
        student: Person,
        *,
        badge: str = "weld-smaw-3f",
        level: int = 3,
        attester: str = "teacher",
        attester_name: str | None = None,
        org: str = "lincoln-hs",
    ) -> tuple[Credential, dict[int, int]]:
        """The first half of :meth:`issue`, in the caller's open transaction: the credential, and its
        status slots still to count (:func:`count_allocation`) before the caller commits.

        ``attester_name`` is the name the credential shows (default: the attester's display name)."""
        from issuer.services.catalogue import offered_badge
        from issuer.services.issuing import AttesterInfo, issue_credential

        organisation = self.organisations[org]
        _, version = await offered_badge(
            session, self.services.catalog, badge, organisation_id=organisation.id
        )
        judge = self.people[attester]
        return await issue_credential(
            session,
            self.services,
            organisation=organisation,
            badge=version,
            student=await session.merge(student),
            level=level,
            attester=AttesterInfo(
                person_id=judge.id, name=attester_name or judge.display_name, role=ROLE_PEOPLE[attester][1]
            ),
            actor=None,
            now=NOW,
        )

    async def allow_suspension(self, org: str = "lincoln-hs") -> None:
        """Turn suspension on for ``org``: the badges it issues from now on carry a suspension entry too."""
        from issuer.db import Organisation

        async with self.services.sessions() as session:
            row = await session.get(Organisation, self.organisations[org].id)
            assert row is not None
            row.suspension = True
            await session.commit()
        self.organisations[org].suspension = True

    async def verify(self, text: str) -> VerificationReport:
        """Verify a credential text through the app (see :func:`verify_through`)."""
        return await verify_through(AppFetcher(self.client), text)

    async def verdict(self, text: str) -> str:
        """``valid``, ``invalid`` or ``indeterminate``: :meth:`verify`'s verdict."""
        return (await self.verify(text)).verdict

    async def create_job(self, csv: str, *, enrol: bool = True, filename: str = "awards.csv") -> uuid.UUID:
        """A bulk-award job of Lincoln High uploaded by its teacher (not run yet)."""
        from issuer.roles import Principal
        from issuer.services.awards import create_job

        organisation = self.organisations["lincoln-hs"]
        teacher = Principal(
            person_id=self.people["teacher"].id,
            display_name="Teacher",
            roles={organisation.id: frozenset({"teacher"})},
        )
        async with self.services.sessions() as session:
            job = await create_job(
                session,
                self.services,
                organisation=organisation,
                creator=teacher,
                attester_role="teacher",
                filename=filename,
                data=csv.encode(),
                enrol=enrol,
                now=NOW,
            )
            return job.id


async def build_world(client: AsyncTestClient[Litestar], settings: Settings, issuer_store_dir: Path) -> World:
    # The app's engine belongs to the app's event loop (asyncpg connections cannot cross loops): the
    # test side gets the same services over its own engine.
    from issuer.db import create_engine as new_engine
    from issuer.db import create_organisation, session_factory
    from issuer.db.models import SupervisorGrant
    from issuer.services.people import add_member, open_session_for

    engine = new_engine(settings.database_url)
    services = replace(client.app.state.services, engine=engine, sessions=session_factory(engine))
    organisations: dict[str, Organisation] = {}
    async with services.sessions() as session:
        for slug, name, kind in (
            ("lincoln-hs", "Lincoln High School", "school"),
            ("riverside-hs", "Riverside High School", "school"),
            ("riverbend-cc", "Riverbend Community College", "college"),
        ):
            shutil.copytree(issuer_store_dir, settings.org_keys_dir(slug))
            organisations[slug] = await create_organisation(
                session,
                slug=slug,
                name=name,
                kind=kind,
                did=organisation_did(settings.base_url, slug),
                now=NOW,
            )
        people: dict[str, Person] = {}
        for name, (slug, role, email) in ROLE_PEOPLE.items():
            people[name], _ = await add_member(
                session,
                organisation=organisations[slug],
                email=email,
                display_name=name.replace("_", " ").title(),
                role=role,
                # argon2 costs ~0.2 s a hash here: only the people the sign-in tests use get a password.
                password=PASSWORD if name in ("teacher", "student") else None,
                now=NOW,
                actor=None,
            )
        for badge in ("weld-smaw-3f", "workplace-communication"):
            session.add(
                SupervisorGrant(
                    organisation_id=organisations["lincoln-hs"].id,
                    supervisor_id=people["supervisor"].id,
                    student_id=people["student"].id,
                    badge_slug=badge,
                    granted_by_id=people["teacher"].id,
                    created_at=NOW,
                )
            )
        await session.commit()
        sessions: dict[str, tuple[str, str]] = {}
        for name, person in people.items():
            token, web_session = await open_session_for(session, person=person, now=NOW)
            sessions[name] = (token, web_session.csrf_token)
    return World(client, services, organisations, people, sessions)


@pytest.fixture(name="world")
async def fx_world(
    client: AsyncTestClient[Litestar], settings: Settings, issuer_store_dir: Path
) -> AsyncIterator[World]:
    world = await build_world(client, settings, issuer_store_dir)
    try:
        yield world
    finally:
        await world.services.engine.dispose()
