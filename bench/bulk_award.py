"""Bulk award from a CSV end to end, as badges per second, on SQLite and on PostgreSQL.

The service's own job code (issuer.services.awards.run_job) over a real database: each row is looked up,
signed in both formats (eddsa-rdfc-2022 and VC-JWT RS256: every learner has a did:key), stored, and
given a random status index. Set-up (organisation, keys, students with DIDs, the job row) is not timed.
``BENCH_BULK_N`` (default 10,000) sets the number of rows; PostgreSQL runs when
``ISSUER_TEST_POSTGRES_URL`` names a server.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric import ed25519

from keys.encoding import did_key_from_public_key
from keys.store import FileKeyStore

REPO = Path(__file__).resolve().parents[1]
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
PASSPHRASE = "bench-only passphrase"  # noqa: S105 - throwaway keys in a temporary folder
POSTGRES_ENV = "ISSUER_TEST_POSTGRES_URL"


def _did() -> str:
    return did_key_from_public_key(ed25519.Ed25519PrivateKey.generate().public_key())


async def _bench(database_url: str, data_dir: Path, n: int) -> tuple[float, str]:
    from issuer.db import create_organisation, upgrade
    from issuer.db.models import Membership, Person
    from issuer.organisations import organisation_did
    from issuer.roles import Principal
    from issuer.services.awards import create_job, run_job
    from issuer.services.catalogue import record_catalogue
    from issuer.services.context import build_services
    from issuer.settings import Settings

    data_dir.mkdir(parents=True, exist_ok=True)
    settings = Settings(
        base_url="https://badges.example.edu",
        data_dir=data_dir,
        database_url=database_url,
        key_passphrase=PASSPHRASE,
        defs_dir=REPO / "badge_defs",
    )
    store = FileKeyStore(settings.org_keys_dir("lincoln-hs"), PASSPHRASE)
    for algorithm in ("EdDSA", "RS256"):
        store.generate(algorithm, now=NOW)
    await upgrade(database_url)
    services = build_services(settings, clock=lambda: NOW)
    try:
        async with services.sessions() as session:
            await record_catalogue(session, services.catalog, now=NOW)
            organisation = await create_organisation(
                session,
                slug="lincoln-hs",
                name="Lincoln High School",
                kind="school",
                did=organisation_did(settings.base_url, "lincoln-hs"),
                now=NOW,
            )
            teacher = Person(email="teacher@lincoln.example.edu", display_name="Teacher", created_at=NOW)
            students = [
                Person(
                    email=f"s{i:05d}@students.example.edu",
                    display_name=f"Student {i}",
                    did=_did(),
                    created_at=NOW,
                )
                for i in range(n)
            ]
            session.add_all([teacher, *students])
            await session.flush()  # people first: the memberships refer to them
            session.add(
                Membership(
                    organisation_id=organisation.id, person_id=teacher.id, role="teacher", created_at=NOW
                )
            )
            session.add_all(
                [
                    Membership(
                        organisation_id=organisation.id, person_id=p.id, role="student", created_at=NOW
                    )
                    for p in students
                ]
            )
            lines = ["student,badge,level", *(f"{p.email},weld-smaw-3f,3" for p in students)]
            await session.commit()
            job = await create_job(
                session,
                services,
                organisation=organisation,
                creator=Principal(
                    person_id=teacher.id,
                    display_name="Teacher",
                    roles={organisation.id: frozenset({"teacher"})},
                ),
                attester_role="teacher",
                filename="bench.csv",
                data=("\n".join(lines) + "\n").encode(),
                enrol=False,
                now=NOW,
            )
        start = time.perf_counter()
        result = await run_job(services, job.id)
        elapsed = time.perf_counter() - start
    finally:
        await services.engine.dispose()
    if (result.state, result.issued) != ("done", n):
        return 0.0, f"job ended {result.state} with {result.issued} issued: {result.message}"
    return n / elapsed, f"{n:,} badges in {elapsed:,.1f} s"


async def _postgres(server_url: str, n: int, data_dir: Path) -> tuple[float, str]:
    import asyncpg

    name = f"bench_bulk_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(server_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    scheme, _, rest = server_url.partition("://")
    try:
        return await _bench(f"{scheme}://{rest.split('/', 1)[0]}/{name}", data_dir, n)
    finally:
        admin = await asyncpg.connect(server_url)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


def run(n: int | None = None) -> str:
    """The printed lines: badges per second on each database."""
    n = n or int(os.environ.get("BENCH_BULK_N", "10000"))
    lines = [f"bulk award from a CSV, end to end (sign ldp + VC-JWT RS256, store, status index), {n:,} rows:"]
    try:
        import issuer.services.awards  # noqa: F401 - the issuer extra
    except ImportError:
        return lines[0] + " not run (the issuer extra is not installed)"
    folder = Path(tempfile.mkdtemp(prefix="bench-bulk-"))
    try:
        rate, detail = asyncio.run(
            _bench(f"sqlite+aiosqlite:///{folder / 'sqlite' / 'b.db'}", folder / "sqlite", n)
        )
        lines.append(f"  SQLite      {rate:>8,.1f} badges/s  ({detail})")
        server = os.environ.get(POSTGRES_ENV, "")
        if server:
            rate, detail = asyncio.run(_postgres(server, n, folder / "pg"))
            lines.append(f"  PostgreSQL  {rate:>8,.1f} badges/s  ({detail})")
        else:
            lines.append(f"  PostgreSQL  skipped: {POSTGRES_ENV} is not set")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return "\n".join(lines)


if __name__ == "__main__":
    print(run())
