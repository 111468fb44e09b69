"""``badges demo``: the service on SQLite with demo organisations, people, badges and submissions.

Everything lives in one folder (``--data-dir``, default ``./demo-data``): the database, the key stores
and the evidence files. The first run fills it; later runs reuse it. The demo key passphrase is
generated on the first run and kept in ``<data-dir>/demo-passphrase`` (mode 0600): acceptable for a
demo on one's own machine, never for a real service, where ``BADGES_KEY_PASSPHRASE`` must be set.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Final

from sqlmodel import func, select

from issuer.db import create_organisation, upgrade
from issuer.db.models import Organisation, Review, Submission, SupervisorGrant
from issuer.organisations import organisation_did
from issuer.services.catalogue import offered_badge, record_catalogue
from issuer.services.context import Services, build_services
from issuer.services.issuing import AttesterInfo, issue_credential
from issuer.services.people import add_member
from issuer.services.status_lists import count_allocation
from issuer.settings import Settings

if TYPE_CHECKING:
    from pathlib import Path

    from sqlalchemy.ext.asyncio import AsyncSession

    from issuer.db.models import Person

__all__ = ["DEMO_PASSWORD", "DemoLogin", "demo_settings", "seed_demo"]

DEMO_PASSWORD: Final = "demo-password-2026"  # noqa: S105 - printed on start; demo accounts only
EXAMPLE_DID_PREFIX: Final = "did:web:badges.example.edu:orgs:"  # the shipped example rules' issuers
_ORGANISATIONS: Final = (
    ("lincoln-hs", "Lincoln High School", "school"),
    ("acme-welding", "Acme Welding Co. (internships)", "employer"),
    ("riverbend-cc", "Riverbend Community College", "college"),
)
# (key, organisation, role, e-mail, display name, minor)
_PEOPLE: Final = (
    ("admin", "lincoln-hs", "admin", "admin@lincoln.demo", "Dana Admin", False),
    ("teacher", "lincoln-hs", "teacher", "teacher@lincoln.demo", "Tom Teacher", False),
    (
        "supervisor",
        "lincoln-hs",
        "supervisor",
        "mentor@acme-welding.demo",
        "Rosa Okafor (Acme Welding)",
        False,
    ),
    ("ana", "lincoln-hs", "student", "ana@students.lincoln.demo", "Ana Student", False),
    ("ben", "lincoln-hs", "student", "ben@students.lincoln.demo", "Ben Student", True),
    ("employer_admin", "acme-welding", "admin", "admin@acme-welding.demo", "Acme Admin", False),
    ("registrar", "riverbend-cc", "registrar", "registrar@riverbend.demo", "Riley Registrar", False),
)


@dataclass(frozen=True)
class DemoLogin:
    role: str
    organisation: str
    email: str


def demo_settings(data_dir: Path, *, host: str, port: int) -> Settings:
    """Settings for the demo: SQLite and keys in ``data_dir``, the base URL where it listens."""
    data_dir.mkdir(parents=True, exist_ok=True)
    passphrase_file = data_dir / "demo-passphrase"
    if not passphrase_file.exists():
        passphrase_file.touch(mode=0o600)
        passphrase_file.write_text(secrets.token_urlsafe(24), encoding="utf-8")
    # "localhost", not an IP address: did:web allows no IP addresses, and with a host name the demo's
    # badges carry DIDs its own verifier pages can resolve (from its own data).
    loopback = ("0.0.0.0", "::", "127.0.0.1", "::1")  # noqa: S104 - a comparison, not a bind
    shown_host = "localhost" if host in loopback else host
    base_url = f"http://{shown_host}:{port}"
    settings = Settings(
        env="dev",
        base_url=base_url,
        data_dir=data_dir,
        key_passphrase=passphrase_file.read_text(encoding="utf-8").strip(),
        cookie_secure=False,  # the demo is served over plain http on this machine
        credit_rules={"riverbend-cc": "riverbend-community-college"},
        credit_rules_dir=data_dir / "credit_rules",
    )
    _write_demo_rules(settings)
    return settings


def _write_demo_rules(settings: Settings) -> None:
    """The example credit rules, trusting the demo's own schools.

    The shipped rules name the example service's DIDs (``did:web:badges.example.edu:orgs:<slug>``); the
    demo's organisations have DIDs under the demo's own address, so without this no demo badge would
    earn credit. Written at every start: the address (its port) may change.
    """
    folder = settings.credit_rules_dir or settings.data_dir / "credit_rules"
    folder.mkdir(parents=True, exist_ok=True)
    for path in sorted((settings.defs_dir / "credit_rules").glob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        for slug, _, _ in _ORGANISATIONS:
            text = text.replace(f"{EXAMPLE_DID_PREFIX}{slug}", organisation_did(settings.base_url, slug))
        (folder / path.name).write_text(text, encoding="utf-8")


async def seed_demo(settings: Settings) -> list[DemoLogin]:
    """Migrate, then (on an empty database) create the demo world; returns the logins to print."""
    await upgrade(settings.database_url)
    services = build_services(settings)
    try:
        async with services.sessions() as session:
            await record_catalogue(session, services.catalog, now=services.clock())
            existing = (await session.execute(select(func.count()).select_from(Organisation))).scalar_one()
            if not existing:
                await _fill(session, services)
    finally:
        await services.engine.dispose()
    return [DemoLogin(role, org, email) for _, org, role, email, _, _ in _PEOPLE]


async def _fill(session: AsyncSession, services: Services) -> None:
    now = services.clock()
    organisations: dict[str, Organisation] = {}
    for slug, name, kind in _ORGANISATIONS:
        store = services.keyring.store(slug)
        for algorithm in ("EdDSA", "RS256"):
            store.generate(algorithm, now=now)
        organisations[slug] = await create_organisation(
            session,
            slug=slug,
            name=name,
            kind=kind,
            did=organisation_did(services.settings.base_url, slug),
            now=now,
        )
    people: dict[str, Person] = {}
    for key, slug, role, email, display_name, minor in _PEOPLE:
        people[key], _ = await add_member(
            session,
            organisation=organisations[slug],
            email=email,
            display_name=display_name,
            role=role,
            password=DEMO_PASSWORD,
            is_minor=minor,
            now=now,
            actor=None,
        )
    lincoln = organisations["lincoln-hs"]
    for badge in ("weld-smaw-3f", "weld-smaw-4f", "workplace-communication"):
        session.add(
            SupervisorGrant(
                organisation_id=lincoln.id,
                supervisor_id=people["supervisor"].id,
                student_id=people["ana"].id,
                badge_slug=badge,
                granted_by_id=people["teacher"].id,
                created_at=now,
            )
        )
    await session.commit()
    teacher = AttesterInfo(
        person_id=people["teacher"].id, name=people["teacher"].display_name, role="teacher"
    )
    mentor = AttesterInfo(
        person_id=people["supervisor"].id,
        name=people["supervisor"].display_name,
        role="supervisor",
        organization="Acme Welding Co.",
    )
    # One submission in each state, so every screen has something to show.
    plans = (
        (
            "ana",
            "math-7rp-proportional",
            3,
            "submitted",
            None,
            "My ratio tables for the recipe project, with the graph.",
        ),
        (
            "ana",
            "weld-smaw-3f",
            3,
            "approved",
            mentor,
            "Three vertical fillet welds, bend-tested at the shop.",
        ),
        ("ben", "math-7rp-proportional", 3, "returned", None, "I solved the unit-rate problems."),
        ("ben", "weld-smaw-4f", 4, "declined", None, "Overhead welds (photos attached next week)."),
    )
    for student_key, badge, level, state, attester, narrative in plans:
        student = people[student_key]
        _, version = await offered_badge(session, services.catalog, badge, organisation_id=lincoln.id)
        submission = Submission(
            organisation_id=lincoln.id,
            student_id=student.id,
            badge_version_id=version.id,
            badge_slug=badge,
            claimed_level=level,
            narrative=narrative,
            links=["https://example.org/portfolio/" + student_key],
            state=state,
            created_at=now - timedelta(days=3),
            updated_at=now,
        )
        session.add(submission)
        await session.flush()
        reviewer = attester or teacher
        if state == "approved":
            credential, slots = await issue_credential(
                session,
                services,
                organisation=lincoln,
                badge=version,
                student=student,
                level=level,
                attester=reviewer,
                actor=None,
                now=now,
                narrative=narrative,
                submission_id=submission.id,
            )
            submission.credential_id = credential.id
            await count_allocation(session, lincoln, slots)
        if state != "submitted":
            session.add(
                Review(
                    submission_id=submission.id,
                    reviewer_id=reviewer.person_id,
                    reviewer_name=reviewer.name,
                    reviewer_role=reviewer.role,
                    decision={"approved": "approve", "returned": "return", "declined": "decline"}[state],
                    level=level if state == "approved" else None,
                    comment={
                        "approved": "Clean welds, passed the bend test.",
                        "returned": "Good start: add the graph of the proportional relationship.",
                        "declined": "Level 4 needs overhead welds observed in person.",
                    }[state],
                    created_at=now,
                )
            )
        await session.commit()
    # A direct award: the teacher certifies a badge without a submission.
    _, version = await offered_badge(
        session, services.catalog, "math-7rp-proportional", organisation_id=lincoln.id
    )
    _, slots = await issue_credential(
        session,
        services,
        organisation=lincoln,
        badge=version,
        student=people["ana"],
        level=4,
        attester=teacher,
        actor=None,
        now=now,
    )
    await count_allocation(session, lincoln, slots)
    await session.commit()
