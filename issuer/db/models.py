"""The database tables (SQLModel). Every schema change comes with an alembic revision in migrations/.

Constraint names are spelled out (``uq_…``, ``ck_…``, ``ix_…``) exactly as in migrations/versions, so the
tables and the migrations describe the same schema; ``tests/integration/issuer/test_migrations.py``
compares them.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from issuer.organisations import KINDS
from issuer.roles import ROLES

__all__ = [
    "ApiToken",
    "AuditEvent",
    "AwardJob",
    "AwardJobRow",
    "BadgeVersion",
    "Credential",
    "Endorsement",
    "EvidenceFile",
    "Guardianship",
    "ImportedCredential",
    "Invitation",
    "Membership",
    "OAuthClient",
    "OAuthCode",
    "OAuthToken",
    "Organisation",
    "Person",
    "Review",
    "ShareLink",
    "ShareOpening",
    "StatusList",
    "StatusSlot",
    "Submission",
    "SupervisorGrant",
    "Transcript",
    "UtcDateTime",
    "WalletDelivery",
    "WalletNonce",
    "WalletOfferRow",
    "WebSession",
    "as_utc",
]


def _in(column: str, values: tuple[str, ...], name: str) -> sa.CheckConstraint:
    return sa.CheckConstraint(f"{column} IN ({', '.join(repr(v) for v in values)})", name=name)


class UtcDateTime(sa.types.TypeDecorator[datetime]):
    """A timestamp written in UTC and always read back timezone-aware.

    PostgreSQL keeps the zone (timestamptz); SQLite stores the text without it and hands back a naive
    value. Converting here, once, spares every reader a "was it naive?" check.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        return None if value is None else as_utc(value)

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        return None if value is None else as_utc(value)


def as_utc(moment: datetime) -> datetime:
    """``moment`` in UTC; a naive value is taken to be UTC already (how SQLite and our clock give them)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _when() -> Any:
    return sa.Column(UtcDateTime(), nullable=False)


def _maybe_when() -> Any:
    return sa.Column(UtcDateTime(), nullable=True)


def _ref(table: str, *, nullable: bool = False, ondelete: str | None = None) -> Any:
    return sa.Column(sa.Uuid(), sa.ForeignKey(f"{table}.id", ondelete=ondelete), nullable=nullable)


class Organisation(SQLModel, table=True):
    """A district, school, employer, college or CTE program: an OB 3.0 issuer ``Profile``.

    Its keys live in its own key store (``Settings.org_keys_dir(slug)``), never in the database.
    ``proof_formats`` says what an approval signs: ``ldp`` (Data Integrity), ``jwt`` (VC-JWT, for learners
    with a DID) or ``both``; ``jwt_algorithm`` which key signs the JWT. ``suspension``: new badges carry a
    suspension entry beside the revocation one (a VC 2.0 array, which Open Badges 3.0's schema refuses);
    off by default, so a badge has the one ``credentialStatus`` object OB 3.0 allows.
    """

    __tablename__ = "organisation"
    __table_args__ = (
        sa.UniqueConstraint("slug", name="uq_organisation_slug"),
        sa.UniqueConstraint("did", name="uq_organisation_did"),
        _in("kind", KINDS, "ck_organisation_kind"),
        _in("proof_formats", ("ldp", "jwt", "both"), "ck_organisation_proof_formats"),
        _in("jwt_algorithm", ("RS256", "ES256", "EdDSA"), "ck_organisation_jwt_algorithm"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    slug: str = Field(sa_column=sa.Column(sa.String(63), nullable=False))
    name: str = Field(sa_column=sa.Column(sa.String(200), nullable=False))
    kind: str = Field(sa_column=sa.Column(sa.String(20), nullable=False))
    did: str = Field(sa_column=sa.Column(sa.String(300), nullable=False))
    created_at: datetime = Field(sa_column=_when())
    proof_formats: str = Field(
        default="both", sa_column=sa.Column(sa.String(8), nullable=False, server_default="both")
    )
    jwt_algorithm: str = Field(
        default="RS256", sa_column=sa.Column(sa.String(8), nullable=False, server_default="RS256")
    )
    suspension: bool = Field(
        default=False, sa_column=sa.Column(sa.Boolean(), nullable=False, server_default=sa.false())
    )


class Person(SQLModel, table=True):
    """Someone who signs in: a student, a teacher, a supervisor, an admin, a registrar, a parent.

    ``password_hash`` is argon2id (``issuer.accounts``); an invited supervisor has none and signs in
    through their invitation link. ``did`` is the learner's own DID (from a wallet), when known: a
    credential is then bound to it, and can also be given as a VC-JWT. ``password_org_id`` is the
    organisation whose staff set the password (None: set by the operator): its staff know it, so a
    sign-in with it acts in that organisation only (docs/service.md "Who may do what").
    """

    __tablename__ = "person"
    __table_args__ = (sa.UniqueConstraint("email", name="uq_person_email"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    email: str = Field(sa_column=sa.Column(sa.String(254), nullable=False))
    display_name: str = Field(sa_column=sa.Column(sa.String(200), nullable=False))
    password_hash: str | None = Field(default=None, sa_column=sa.Column(sa.String(200), nullable=True))
    password_org_id: uuid.UUID | None = Field(
        default=None, sa_column=_ref("organisation", nullable=True, ondelete="SET NULL")
    )
    did: str | None = Field(default=None, sa_column=sa.Column(sa.String(500), nullable=True))
    is_minor: bool = Field(default=False, sa_column=sa.Column(sa.Boolean(), nullable=False))
    created_at: datetime = Field(sa_column=_when())


class Membership(SQLModel, table=True):
    """A person's role in an organisation; a person may hold several (a teacher who is also an admin).

    ``invitation_id``: the invitation whose acceptance created it (withdrawing a teacher invitation
    takes that role back).
    """

    __tablename__ = "membership"
    __table_args__ = (
        sa.UniqueConstraint("organisation_id", "person_id", "role", name="uq_membership_role"),
        _in("role", ROLES, "ck_membership_role"),
        sa.Index("ix_membership_person", "person_id"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    organisation_id: uuid.UUID = Field(sa_column=_ref("organisation", ondelete="CASCADE"))
    person_id: uuid.UUID = Field(sa_column=_ref("person", ondelete="CASCADE"))
    role: str = Field(sa_column=sa.Column(sa.String(20), nullable=False))
    invitation_id: uuid.UUID | None = Field(
        default=None, sa_column=_ref("invitation", nullable=True, ondelete="SET NULL")
    )
    created_at: datetime = Field(sa_column=_when())


class Guardianship(SQLModel, table=True):
    """A parent or guardian who may act on a minor student's record, as linked by one organisation's admin.

    The guardian's powers count only through the organisations that linked them (that admin vouches
    for the link only there).
    """

    __tablename__ = "guardianship"
    __table_args__ = (
        sa.UniqueConstraint("organisation_id", "guardian_id", "student_id", name="uq_guardianship"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    organisation_id: uuid.UUID = Field(sa_column=_ref("organisation", ondelete="CASCADE"))
    guardian_id: uuid.UUID = Field(sa_column=_ref("person", ondelete="CASCADE"))
    student_id: uuid.UUID = Field(sa_column=_ref("person", ondelete="CASCADE"))
    created_at: datetime = Field(sa_column=_when())


class SupervisorGrant(SQLModel, table=True):
    """What an external supervisor may attest: this badge, for this student placed with them.

    One row per (supervisor, badge, student): the inviting organisation decides each pair.
    """

    __tablename__ = "supervisor_grant"
    __table_args__ = (
        sa.UniqueConstraint(
            "organisation_id", "supervisor_id", "badge_slug", "student_id", name="uq_supervisor_grant"
        ),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    organisation_id: uuid.UUID = Field(sa_column=_ref("organisation", ondelete="CASCADE"))
    supervisor_id: uuid.UUID = Field(sa_column=_ref("person", ondelete="CASCADE"))
    student_id: uuid.UUID = Field(sa_column=_ref("person", ondelete="CASCADE"))
    badge_slug: str = Field(sa_column=sa.Column(sa.String(100), nullable=False))
    granted_by_id: uuid.UUID | None = Field(
        default=None, sa_column=_ref("person", nullable=True, ondelete="SET NULL")
    )
    invitation_id: uuid.UUID | None = Field(
        default=None, sa_column=_ref("invitation", nullable=True, ondelete="SET NULL")
    )
    created_at: datetime = Field(sa_column=_when())


class Invitation(SQLModel, table=True):
    """A link that lets someone join an organisation in a role (supervisors need nothing else).

    Only the SHA-256 of the link's token is stored. ``badge_slugs`` and ``student_ids`` (JSON lists)
    become :class:`SupervisorGrant` rows when a supervisor accepts.
    """

    __tablename__ = "invitation"
    __table_args__ = (
        sa.UniqueConstraint("token_hash", name="uq_invitation_token_hash"),
        _in("role", ROLES, "ck_invitation_role"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    organisation_id: uuid.UUID = Field(sa_column=_ref("organisation", ondelete="CASCADE"))
    email: str = Field(sa_column=sa.Column(sa.String(254), nullable=False))
    display_name: str = Field(sa_column=sa.Column(sa.String(200), nullable=False))
    role: str = Field(sa_column=sa.Column(sa.String(20), nullable=False))
    token_hash: str = Field(sa_column=sa.Column(sa.String(64), nullable=False))
    badge_slugs: list[str] = Field(default_factory=list, sa_column=sa.Column(sa.JSON(), nullable=False))
    student_ids: list[str] = Field(default_factory=list, sa_column=sa.Column(sa.JSON(), nullable=False))
    invited_by_id: uuid.UUID | None = Field(
        default=None, sa_column=_ref("person", nullable=True, ondelete="SET NULL")
    )
    person_id: uuid.UUID | None = Field(
        default=None, sa_column=_ref("person", nullable=True, ondelete="CASCADE")
    )
    created_at: datetime = Field(sa_column=_when())
    expires_at: datetime = Field(sa_column=_when())
    accepted_at: datetime | None = Field(default=None, sa_column=_maybe_when())
    withdrawn_at: datetime | None = Field(default=None, sa_column=_maybe_when())


class WebSession(SQLModel, table=True):
    """A signed-in browser: the cookie holds a random token, the table only its SHA-256.

    ``csrf_token`` must come back in the ``X-CSRF-Token`` header of every unsafe request made with the cookie.
    ``organisation_id`` restricts the session to one organisation (a sign-in with a credential that
    organisation's staff could know: an invitation link, a password they set).
    """

    __tablename__ = "web_session"
    __table_args__ = (sa.UniqueConstraint("token_hash", name="uq_web_session_token_hash"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    person_id: uuid.UUID = Field(sa_column=_ref("person", ondelete="CASCADE"))
    organisation_id: uuid.UUID | None = Field(
        default=None, sa_column=_ref("organisation", nullable=True, ondelete="CASCADE")
    )
    token_hash: str = Field(sa_column=sa.Column(sa.String(64), nullable=False))
    csrf_token: str = Field(sa_column=sa.Column(sa.String(64), nullable=False))
    created_at: datetime = Field(sa_column=_when())
    expires_at: datetime = Field(sa_column=_when())


class ApiToken(SQLModel, table=True):
    """A scoped token for scripts (``Authorization: Bearer mbt_…``); only its SHA-256 is stored.

    It acts for its person, limited to ``scopes`` (JSON list, see ``issuer.roles.SCOPES``) and, when
    ``organisation_id`` is set, to that one organisation.
    """

    __tablename__ = "api_token"
    __table_args__ = (sa.UniqueConstraint("token_hash", name="uq_api_token_token_hash"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    person_id: uuid.UUID = Field(sa_column=_ref("person", ondelete="CASCADE"))
    organisation_id: uuid.UUID | None = Field(
        default=None, sa_column=_ref("organisation", nullable=True, ondelete="CASCADE")
    )
    name: str = Field(sa_column=sa.Column(sa.String(100), nullable=False))
    token_hash: str = Field(sa_column=sa.Column(sa.String(64), nullable=False))
    scopes: list[str] = Field(default_factory=list, sa_column=sa.Column(sa.JSON(), nullable=False))
    created_at: datetime = Field(sa_column=_when())
    expires_at: datetime | None = Field(default=None, sa_column=_maybe_when())
    revoked_at: datetime | None = Field(default=None, sa_column=_maybe_when())
    last_used_at: datetime | None = Field(default=None, sa_column=_maybe_when())


class BadgeVersion(SQLModel, table=True):
    """Every version of a badge definition the service has seen, kept for ever once used to issue.

    ``definition`` is the validated definition as JSON (what ``parse_definition`` reads back);
    ``content_hash`` is its SHA-256 over JCS, also written into each credential's Achievement.
    ``organisation_id`` is set for a definition an organisation added through the API (only it issues
    it); consortium definitions from ``badge_defs/`` have none.
    """

    __tablename__ = "badge_version"
    __table_args__ = (
        sa.UniqueConstraint("slug", "version", name="uq_badge_version_slug_version"),
        sa.UniqueConstraint("content_hash", name="uq_badge_version_content_hash"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    slug: str = Field(sa_column=sa.Column(sa.String(100), nullable=False))
    version: int = Field(sa_column=sa.Column(sa.Integer(), nullable=False))
    content_hash: str = Field(sa_column=sa.Column(sa.String(80), nullable=False))
    definition: dict[str, Any] = Field(sa_column=sa.Column(sa.JSON(), nullable=False))
    source: str = Field(sa_column=sa.Column(sa.String(300), nullable=False))
    organisation_id: uuid.UUID | None = Field(
        default=None, sa_column=_ref("organisation", nullable=True, ondelete="RESTRICT")
    )
    created_at: datetime = Field(sa_column=_when())


SUBMISSION_STATES = ("submitted", "returned", "approved", "declined", "withdrawn")
DECISIONS = ("approve", "return", "decline")


class Submission(SQLModel, table=True):
    """A student's claim: this badge, at this level, on this evidence; reviewed by a teacher or supervisor."""

    __tablename__ = "submission"
    __table_args__ = (
        _in("state", SUBMISSION_STATES, "ck_submission_state"),
        sa.Index("ix_submission_queue", "organisation_id", "state"),
        sa.Index("ix_submission_student", "student_id"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    organisation_id: uuid.UUID = Field(sa_column=_ref("organisation", ondelete="CASCADE"))
    student_id: uuid.UUID = Field(sa_column=_ref("person", ondelete="CASCADE"))
    badge_version_id: uuid.UUID = Field(sa_column=_ref("badge_version", ondelete="RESTRICT"))
    badge_slug: str = Field(sa_column=sa.Column(sa.String(100), nullable=False))
    claimed_level: int = Field(sa_column=sa.Column(sa.Integer(), nullable=False))
    narrative: str = Field(default="", sa_column=sa.Column(sa.Text(), nullable=False))
    links: list[str] = Field(default_factory=list, sa_column=sa.Column(sa.JSON(), nullable=False))
    # A supervisor the student (or teacher) addressed it to; None: the organisation's teachers.
    supervisor_id: uuid.UUID | None = Field(
        default=None, sa_column=_ref("person", nullable=True, ondelete="SET NULL")
    )
    state: str = Field(default="submitted", sa_column=sa.Column(sa.String(12), nullable=False))
    credential_id: str | None = Field(default=None, sa_column=sa.Column(sa.String(60), nullable=True))
    created_at: datetime = Field(sa_column=_when())
    updated_at: datetime = Field(sa_column=_when())


class Review(SQLModel, table=True):
    """One decision on a submission, with the reviewer's comment: the history the student reads."""

    __tablename__ = "review"
    __table_args__ = (
        _in("decision", DECISIONS, "ck_review_decision"),
        sa.Index("ix_review_submission", "submission_id"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    submission_id: uuid.UUID = Field(sa_column=_ref("submission", ondelete="CASCADE"))
    reviewer_id: uuid.UUID | None = Field(
        default=None, sa_column=_ref("person", nullable=True, ondelete="SET NULL")
    )
    reviewer_name: str = Field(sa_column=sa.Column(sa.String(200), nullable=False))
    reviewer_role: str = Field(sa_column=sa.Column(sa.String(20), nullable=False))
    decision: str = Field(sa_column=sa.Column(sa.String(8), nullable=False))
    level: int | None = Field(default=None, sa_column=sa.Column(sa.Integer(), nullable=True))
    comment: str = Field(default="", sa_column=sa.Column(sa.Text(), nullable=False))
    created_at: datetime = Field(sa_column=_when())


class EvidenceFile(SQLModel, table=True):
    """An uploaded evidence file: the bytes live in the evidence store, the hash here."""

    __tablename__ = "evidence_file"
    __table_args__ = (sa.Index("ix_evidence_file_submission", "submission_id"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    submission_id: uuid.UUID = Field(sa_column=_ref("submission", ondelete="CASCADE"))
    filename: str = Field(sa_column=sa.Column(sa.String(200), nullable=False))
    media_type: str = Field(sa_column=sa.Column(sa.String(100), nullable=False))
    size: int = Field(sa_column=sa.Column(sa.BigInteger(), nullable=False))
    sha256: str = Field(sa_column=sa.Column(sa.String(64), nullable=False))
    storage_key: str = Field(sa_column=sa.Column(sa.String(100), nullable=False))
    created_at: datetime = Field(sa_column=_when())


CREDENTIAL_STATES = ("active", "suspended", "revoked")


class Credential(SQLModel, table=True):
    """An issued badge: the signed texts exactly as handed out, and who, what, when.

    ``award_key`` makes awards idempotent: one active award per organisation, badge version, level and
    learner (a revoked credential releases its key). ``status_reason`` is private: it is never in a
    status list or a credential. ``recipient_id`` and ``recipient`` are cleared when the learner's
    personal data is deleted; the credential texts stay, so the badge in the learner's hands verifies.
    ``suspendable``: the signed badge carries a suspension entry (``Organisation.suspension`` when issued).
    """

    __tablename__ = "credential"
    __table_args__ = (
        sa.UniqueConstraint("organisation_id", "award_key", name="uq_credential_award_key"),
        sa.UniqueConstraint(
            "organisation_id", "list_number", "status_index", name="uq_credential_status_slot"
        ),
        _in("state", CREDENTIAL_STATES, "ck_credential_state"),
        sa.Index("ix_credential_recipient", "recipient_id"),
    )

    id: str = Field(sa_column=sa.Column(sa.String(60), primary_key=True))  # the credential's urn:uuid
    organisation_id: uuid.UUID = Field(sa_column=_ref("organisation", ondelete="RESTRICT"))
    recipient_id: uuid.UUID | None = Field(
        default=None, sa_column=_ref("person", nullable=True, ondelete="SET NULL")
    )
    recipient: str | None = Field(default=None, sa_column=sa.Column(sa.String(500), nullable=True))
    badge_version_id: uuid.UUID = Field(sa_column=_ref("badge_version", ondelete="RESTRICT"))
    badge_slug: str = Field(sa_column=sa.Column(sa.String(100), nullable=False))
    level: int = Field(sa_column=sa.Column(sa.Integer(), nullable=False))
    attester_id: uuid.UUID | None = Field(
        default=None, sa_column=_ref("person", nullable=True, ondelete="SET NULL")
    )
    submission_id: uuid.UUID | None = Field(
        default=None, sa_column=_ref("submission", nullable=True, ondelete="SET NULL")
    )
    award_key: str | None = Field(default=None, sa_column=sa.Column(sa.String(64), nullable=True))
    ldp: str | None = Field(default=None, sa_column=sa.Column(sa.Text(), nullable=True))
    jwt: str | None = Field(default=None, sa_column=sa.Column(sa.Text(), nullable=True))
    list_number: int = Field(sa_column=sa.Column(sa.Integer(), nullable=False))
    status_index: int = Field(sa_column=sa.Column(sa.Integer(), nullable=False))
    state: str = Field(default="active", sa_column=sa.Column(sa.String(10), nullable=False))
    suspendable: bool = Field(
        default=False, sa_column=sa.Column(sa.Boolean(), nullable=False, server_default=sa.false())
    )
    status_reason: str | None = Field(default=None, sa_column=sa.Column(sa.Text(), nullable=True))
    issued_at: datetime = Field(sa_column=_when())
    status_changed_at: datetime | None = Field(default=None, sa_column=_maybe_when())


class Transcript(SQLModel, table=True):
    """A CLR 2.0 transcript a learner asked for: the signed ClrCredential exactly as handed out.

    ``credential_ids`` lists the badges bundled (their signed texts are inside ``ldp``, verbatim). The
    transcript has a status slot like a badge, so its issuer can withdraw it. ``learner_id`` is cleared
    when the learner's account is deleted; the signed text stays.
    """

    __tablename__ = "transcript"
    __table_args__ = (
        sa.UniqueConstraint(
            "organisation_id", "list_number", "status_index", name="uq_transcript_status_slot"
        ),
        sa.Index("ix_transcript_learner", "learner_id"),
    )

    id: str = Field(sa_column=sa.Column(sa.String(60), primary_key=True))  # the ClrCredential's urn:uuid
    organisation_id: uuid.UUID = Field(sa_column=_ref("organisation", ondelete="RESTRICT"))
    learner_id: uuid.UUID | None = Field(
        default=None, sa_column=_ref("person", nullable=True, ondelete="SET NULL")
    )
    name: str = Field(sa_column=sa.Column(sa.String(200), nullable=False))
    credential_ids: list[str] = Field(default_factory=list, sa_column=sa.Column(sa.JSON(), nullable=False))
    ldp: str = Field(sa_column=sa.Column(sa.Text(), nullable=False))
    list_number: int = Field(sa_column=sa.Column(sa.Integer(), nullable=False))
    status_index: int = Field(sa_column=sa.Column(sa.Integer(), nullable=False))
    issued_at: datetime = Field(sa_column=_when())


ENDORSEMENT_STATES = ("active", "withdrawn")


class Endorsement(SQLModel, table=True):
    """An organisation's signed OB 3.0 EndorsementCredential of one badge definition version.

    While ``active`` it is embedded in the ``achievement.endorsement`` of every credential issued under
    that version afterwards. Withdrawing it stops that and sets its revocation bit (its status slot is
    in the endorsing organisation's lists), so the copies already embedded stop verifying as valid.
    ``issuer_organisation_id`` is the organisation whose offered badge the endorser named.
    """

    __tablename__ = "endorsement"
    __table_args__ = (
        sa.UniqueConstraint(
            "organisation_id", "list_number", "status_index", name="uq_endorsement_status_slot"
        ),
        _in("state", ENDORSEMENT_STATES, "ck_endorsement_state"),
        sa.Index("ix_endorsement_badge_version", "badge_version_id"),
    )

    id: str = Field(sa_column=sa.Column(sa.String(60), primary_key=True))  # the credential's urn:uuid
    organisation_id: uuid.UUID = Field(sa_column=_ref("organisation", ondelete="RESTRICT"))
    badge_version_id: uuid.UUID = Field(sa_column=_ref("badge_version", ondelete="RESTRICT"))
    issuer_organisation_id: uuid.UUID = Field(sa_column=_ref("organisation", ondelete="RESTRICT"))
    comment: str = Field(sa_column=sa.Column(sa.Text(), nullable=False))
    ldp: str = Field(sa_column=sa.Column(sa.Text(), nullable=False))
    state: str = Field(default="active", sa_column=sa.Column(sa.String(10), nullable=False))
    list_number: int = Field(sa_column=sa.Column(sa.Integer(), nullable=False))
    status_index: int = Field(sa_column=sa.Column(sa.Integer(), nullable=False))
    created_by_id: uuid.UUID | None = Field(
        default=None, sa_column=_ref("person", nullable=True, ondelete="SET NULL")
    )
    created_at: datetime = Field(sa_column=_when())
    withdrawn_at: datetime | None = Field(default=None, sa_column=_maybe_when())


class ShareLink(SQLModel, table=True):
    """A link a learner made to show one badge to one audience (``/s/<token>``); only its SHA-256 is stored.

    ``expires_at`` None: until the learner withdraws it. ``display_name`` is the name the page shows (the
    learner chooses it); ``show_evidence`` whether the page shows the evidence signed into the badge.
    Deleting the learner deletes their links (and their openings) with them.
    """

    __tablename__ = "share_link"
    __table_args__ = (
        sa.UniqueConstraint("token_hash", name="uq_share_link_token_hash"),
        sa.Index("ix_share_link_person", "person_id"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    person_id: uuid.UUID = Field(sa_column=_ref("person", ondelete="CASCADE"))
    credential_id: str = Field(
        sa_column=sa.Column(sa.String(60), sa.ForeignKey("credential.id", ondelete="CASCADE"), nullable=False)
    )
    token_hash: str = Field(sa_column=sa.Column(sa.String(64), nullable=False))
    audience: str = Field(sa_column=sa.Column(sa.String(200), nullable=False))
    display_name: str = Field(sa_column=sa.Column(sa.String(200), nullable=False))
    show_evidence: bool = Field(default=False, sa_column=sa.Column(sa.Boolean(), nullable=False))
    created_at: datetime = Field(sa_column=_when())
    expires_at: datetime | None = Field(default=None, sa_column=_maybe_when())
    withdrawn_at: datetime | None = Field(default=None, sa_column=_maybe_when())


class ShareOpening(SQLModel, table=True):
    """One view of a share link's page: the time only (no address, no browser: the visitor's privacy)."""

    __tablename__ = "share_opening"
    __table_args__ = (sa.Index("ix_share_opening_link", "share_link_id"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    share_link_id: uuid.UUID = Field(sa_column=_ref("share_link", ondelete="CASCADE"))
    opened_at: datetime = Field(sa_column=_when())


STATUS_PURPOSES = ("revocation", "suspension")


class StatusList(SQLModel, table=True):
    """One Bitstring Status List of an organisation for one purpose (revocation or suspension).

    Lists come in pairs with the same ``number``: a credential's index is the same in both. ``bits`` is the
    raw bitstring; ``credential`` the signed list credential served at its stable URL, re-signed when a
    bit changes. ``allocated`` counts the indexes handed out (a pair is full at half its size, so random
    allocation stays cheap and the herd stays large).
    """

    __tablename__ = "status_list"
    __table_args__ = (
        sa.UniqueConstraint("organisation_id", "purpose", "number", name="uq_status_list_number"),
        _in("purpose", STATUS_PURPOSES, "ck_status_list_purpose"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    organisation_id: uuid.UUID = Field(sa_column=_ref("organisation", ondelete="CASCADE"))
    purpose: str = Field(sa_column=sa.Column(sa.String(12), nullable=False))
    number: int = Field(sa_column=sa.Column(sa.Integer(), nullable=False))
    size: int = Field(sa_column=sa.Column(sa.Integer(), nullable=False))
    allocated: int = Field(default=0, sa_column=sa.Column(sa.Integer(), nullable=False))
    bits: bytes = Field(sa_column=sa.Column(sa.LargeBinary(), nullable=False))
    credential: str = Field(sa_column=sa.Column(sa.Text(), nullable=False))
    updated_at: datetime = Field(sa_column=_when())


class StatusSlot(SQLModel, table=True):
    """An index taken in a list pair: the unique key that makes random allocation safe under concurrency.

    Taken before the credential row exists (and never given back), so two concurrent awards can never
    share an index even when one of them fails later.
    """

    __tablename__ = "status_slot"
    __table_args__ = (
        sa.PrimaryKeyConstraint("organisation_id", "list_number", "status_index", name="pk_status_slot"),
    )

    organisation_id: uuid.UUID = Field(
        sa_column=sa.Column(sa.Uuid(), sa.ForeignKey("organisation.id", ondelete="CASCADE"), nullable=False)
    )
    list_number: int = Field(sa_column=sa.Column(sa.Integer(), nullable=False))
    status_index: int = Field(sa_column=sa.Column(sa.Integer(), nullable=False))


JOB_STATES = ("pending", "running", "done", "failed")
ROW_OUTCOMES = ("issued", "skipped", "rejected", "failed")


class AwardJob(SQLModel, table=True):
    """A bulk award from a CSV file: its progress, resumable after a crash (rows already done are skipped)."""

    __tablename__ = "award_job"
    __table_args__ = (
        _in("state", JOB_STATES, "ck_award_job_state"),
        sa.Index("ix_award_job_org", "organisation_id", "created_at"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    organisation_id: uuid.UUID = Field(sa_column=_ref("organisation", ondelete="CASCADE"))
    created_by_id: uuid.UUID | None = Field(
        default=None, sa_column=_ref("person", nullable=True, ondelete="SET NULL")
    )
    filename: str = Field(sa_column=sa.Column(sa.String(200), nullable=False))
    file_sha256: str = Field(sa_column=sa.Column(sa.String(64), nullable=False))
    csv_text: str = Field(sa_column=sa.Column(sa.Text(), nullable=False))
    state: str = Field(default="pending", sa_column=sa.Column(sa.String(10), nullable=False))
    total: int = Field(default=0, sa_column=sa.Column(sa.Integer(), nullable=False))
    issued: int = Field(default=0, sa_column=sa.Column(sa.Integer(), nullable=False))
    skipped: int = Field(default=0, sa_column=sa.Column(sa.Integer(), nullable=False))
    rejected: int = Field(default=0, sa_column=sa.Column(sa.Integer(), nullable=False))
    failed: int = Field(default=0, sa_column=sa.Column(sa.Integer(), nullable=False))
    message: str = Field(default="", sa_column=sa.Column(sa.Text(), nullable=False))
    # Create unknown students (Person + student membership) rather than reject their rows.
    enrol: bool = Field(
        default=False, sa_column=sa.Column(sa.Boolean(), nullable=False, server_default=sa.false())
    )
    created_at: datetime = Field(sa_column=_when())
    updated_at: datetime = Field(sa_column=_when())


class AwardJobRow(SQLModel, table=True):
    """What became of one row of a bulk award."""

    __tablename__ = "award_job_row"
    __table_args__ = (
        sa.PrimaryKeyConstraint("job_id", "row_number", name="pk_award_job_row"),
        _in("outcome", ROW_OUTCOMES, "ck_award_job_row_outcome"),
    )

    job_id: uuid.UUID = Field(
        sa_column=sa.Column(sa.Uuid(), sa.ForeignKey("award_job.id", ondelete="CASCADE"), nullable=False)
    )
    row_number: int = Field(sa_column=sa.Column(sa.Integer(), nullable=False))
    outcome: str = Field(sa_column=sa.Column(sa.String(10), nullable=False))
    column: str | None = Field(default=None, sa_column=sa.Column(sa.String(40), nullable=True))
    value: str = Field(default="", sa_column=sa.Column(sa.Text(), nullable=False, server_default=""))
    message: str = Field(default="", sa_column=sa.Column(sa.Text(), nullable=False))
    credential_id: str | None = Field(default=None, sa_column=sa.Column(sa.String(60), nullable=True))


class AuditEvent(SQLModel, table=True):
    """Who did what, when: append-only (database triggers refuse UPDATE and DELETE).

    ``actor_id`` is a person's id (or None for the system); ``detail`` never holds secrets or evidence.
    """

    __tablename__ = "audit_event"
    __table_args__ = (
        sa.Index("ix_audit_event_org_at", "organisation_id", "at"),
        sa.Index("ix_audit_event_subject", "subject_id"),
    )

    id: int | None = Field(
        default=None,
        sa_column=sa.Column(
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True
        ),
    )
    organisation_id: uuid.UUID | None = Field(default=None, sa_column=sa.Column(sa.Uuid(), nullable=True))
    actor_id: uuid.UUID | None = Field(default=None, sa_column=sa.Column(sa.Uuid(), nullable=True))
    actor_role: str = Field(sa_column=sa.Column(sa.String(20), nullable=False))
    action: str = Field(sa_column=sa.Column(sa.String(60), nullable=False))
    subject_type: str = Field(sa_column=sa.Column(sa.String(40), nullable=False))
    subject_id: str | None = Field(default=None, sa_column=sa.Column(sa.String(80), nullable=True))
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=sa.Column(sa.JSON(), nullable=False))
    at: datetime = Field(sa_column=_when())


WALLET_OFFER_STATES = ("offered", "token_issued", "delivered", "failed")


class WalletOfferRow(SQLModel, table=True):
    """A one-time offer to put one credential into a wallet: OpenID4VCI (pre-authorized code) or the
    DCC Learner Credential Wallet's VC-API exchange, whichever the wallet uses first.

    Only SHA-256 digests of its secrets are stored: the offer link's token, the pre-authorized code, the
    exchange link's token, the access token, and the transaction code (PIN, hashed with the
    pre-authorized code so a database reader cannot try the million PINs). ``challenge`` is the DID
    authentication challenge of the exchange (not a secret: the wallet must sign it).
    """

    __tablename__ = "wallet_offer"
    __table_args__ = (
        sa.UniqueConstraint("offer_token_hash", name="uq_wallet_offer_offer_token"),
        sa.UniqueConstraint("code_hash", name="uq_wallet_offer_code"),
        sa.UniqueConstraint("exchange_token_hash", name="uq_wallet_offer_exchange_token"),
        sa.UniqueConstraint("access_token_hash", name="uq_wallet_offer_access_token"),
        _in("state", WALLET_OFFER_STATES, "ck_wallet_offer_state"),
        sa.Index("ix_wallet_offer_credential", "credential_id"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    organisation_id: uuid.UUID = Field(sa_column=_ref("organisation", ondelete="CASCADE"))
    credential_id: str = Field(
        sa_column=sa.Column(sa.String(60), sa.ForeignKey("credential.id", ondelete="CASCADE"), nullable=False)
    )
    created_by_id: uuid.UUID | None = Field(
        default=None, sa_column=_ref("person", nullable=True, ondelete="SET NULL")
    )
    offer_token_hash: str = Field(sa_column=sa.Column(sa.String(64), nullable=False))
    code_hash: str = Field(sa_column=sa.Column(sa.String(64), nullable=False))
    tx_code_hash: str | None = Field(default=None, sa_column=sa.Column(sa.String(64), nullable=True))
    tx_code_failures: int = Field(default=0, sa_column=sa.Column(sa.Integer(), nullable=False))
    exchange_token_hash: str = Field(sa_column=sa.Column(sa.String(64), nullable=False))
    challenge: str | None = Field(default=None, sa_column=sa.Column(sa.String(64), nullable=True))
    access_token_hash: str | None = Field(default=None, sa_column=sa.Column(sa.String(64), nullable=True))
    access_token_expires_at: datetime | None = Field(default=None, sa_column=_maybe_when())
    state: str = Field(default="offered", sa_column=sa.Column(sa.String(12), nullable=False))
    created_at: datetime = Field(sa_column=_when())
    expires_at: datetime = Field(sa_column=_when())
    used_at: datetime | None = Field(default=None, sa_column=_maybe_when())


class WalletNonce(SQLModel, table=True):
    """A ``c_nonce`` handed out by an organisation's OpenID4VCI nonce endpoint: fresh for a few minutes,
    good for one proof of possession (``used_at``). Only its SHA-256 is stored."""

    __tablename__ = "wallet_nonce"
    __table_args__ = (
        sa.UniqueConstraint("nonce_hash", name="uq_wallet_nonce_hash"),
        sa.Index("ix_wallet_nonce_expires", "expires_at"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    organisation_id: uuid.UUID = Field(sa_column=_ref("organisation", ondelete="CASCADE"))
    nonce_hash: str = Field(sa_column=sa.Column(sa.String(64), nullable=False))
    created_at: datetime = Field(sa_column=_when())
    expires_at: datetime = Field(sa_column=_when())
    used_at: datetime | None = Field(default=None, sa_column=_maybe_when())


WALLET_PROTOCOLS = ("oid4vci", "vcapi")
WALLET_FORMATS = ("ldp_vc", "jwt_vc_json")


class WalletDelivery(SQLModel, table=True):
    """A copy of a credential bound to a wallet's DID, as handed out (the signed text verbatim).

    The copy has its own id (``delivered_id``) and reuses the original's status entries, so revoking
    the original revokes every copy.
    """

    __tablename__ = "wallet_delivery"
    __table_args__ = (
        sa.UniqueConstraint("offer_id", name="uq_wallet_delivery_offer"),
        _in("protocol", WALLET_PROTOCOLS, "ck_wallet_delivery_protocol"),
        _in("format", WALLET_FORMATS, "ck_wallet_delivery_format"),
        sa.Index("ix_wallet_delivery_credential", "credential_id"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    offer_id: uuid.UUID = Field(sa_column=_ref("wallet_offer", ondelete="CASCADE"))
    credential_id: str = Field(
        sa_column=sa.Column(sa.String(60), sa.ForeignKey("credential.id", ondelete="CASCADE"), nullable=False)
    )
    delivered_id: str = Field(sa_column=sa.Column(sa.String(60), nullable=False))
    holder_did: str = Field(sa_column=sa.Column(sa.String(500), nullable=False))
    protocol: str = Field(sa_column=sa.Column(sa.String(8), nullable=False))
    format: str = Field(sa_column=sa.Column(sa.String(12), nullable=False))
    text: str = Field(sa_column=sa.Column(sa.Text(), nullable=False))
    delivered_at: datetime = Field(sa_column=_when())


class OAuthClient(SQLModel, table=True):
    """An application registered for the Open Badges 3.0 API (RFC 7591 dynamic registration): a backpack.

    ``client_id`` is public; only the SHA-256 of the client secret is stored. ``scopes`` (JSON list) are
    the OB 3.0 scopes it registered for: an authorization asks for some of them at most.
    ``redirect_uris`` (JSON list) are compared exactly. ``details`` keeps the other registered
    metadata (client_uri, logo_uri, tos_uri, policy_uri, software_id, software_version, contacts).
    """

    __tablename__ = "oauth_client"
    __table_args__ = (sa.UniqueConstraint("client_id", name="uq_oauth_client_client_id"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    client_id: str = Field(sa_column=sa.Column(sa.String(64), nullable=False))
    secret_hash: str = Field(sa_column=sa.Column(sa.String(64), nullable=False))
    client_name: str = Field(sa_column=sa.Column(sa.String(200), nullable=False))
    redirect_uris: list[str] = Field(default_factory=list, sa_column=sa.Column(sa.JSON(), nullable=False))
    scopes: list[str] = Field(default_factory=list, sa_column=sa.Column(sa.JSON(), nullable=False))
    details: dict[str, Any] = Field(default_factory=dict, sa_column=sa.Column(sa.JSON(), nullable=False))
    created_at: datetime = Field(sa_column=_when())


class OAuthCode(SQLModel, table=True):
    """An authorization code the learner's consent produced: single-use, short-lived, PKCE-bound.

    Only the code's SHA-256 is stored; ``code_challenge`` is the S256 challenge the client sent.
    ``used_at`` marks it spent: presenting it again revokes the tokens it gave (RFC 6749 §4.1.2).
    """

    __tablename__ = "oauth_code"
    __table_args__ = (sa.UniqueConstraint("code_hash", name="uq_oauth_code_code_hash"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    code_hash: str = Field(sa_column=sa.Column(sa.String(64), nullable=False))
    client_id: uuid.UUID = Field(sa_column=_ref("oauth_client", ondelete="CASCADE"))
    person_id: uuid.UUID = Field(sa_column=_ref("person", ondelete="CASCADE"))
    redirect_uri: str = Field(sa_column=sa.Column(sa.String(2000), nullable=False))
    scopes: list[str] = Field(default_factory=list, sa_column=sa.Column(sa.JSON(), nullable=False))
    code_challenge: str = Field(sa_column=sa.Column(sa.String(128), nullable=False))
    created_at: datetime = Field(sa_column=_when())
    expires_at: datetime = Field(sa_column=_when())
    used_at: datetime | None = Field(default=None, sa_column=_maybe_when())


class OAuthToken(SQLModel, table=True):
    """An access token (and its refresh token) a client holds for one learner, with the scopes granted.

    Only SHA-256 digests are stored. A refresh replaces the row's tokens (the old refresh token stops
    working); ``code_id`` ties the tokens to the code that gave them, so a replayed code revokes them.
    """

    __tablename__ = "oauth_token"
    __table_args__ = (
        sa.UniqueConstraint("access_hash", name="uq_oauth_token_access_hash"),
        sa.UniqueConstraint("refresh_hash", name="uq_oauth_token_refresh_hash"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    client_id: uuid.UUID = Field(sa_column=_ref("oauth_client", ondelete="CASCADE"))
    person_id: uuid.UUID = Field(sa_column=_ref("person", ondelete="CASCADE"))
    code_id: uuid.UUID | None = Field(
        default=None, sa_column=_ref("oauth_code", nullable=True, ondelete="SET NULL")
    )
    access_hash: str = Field(sa_column=sa.Column(sa.String(64), nullable=False))
    refresh_hash: str | None = Field(default=None, sa_column=sa.Column(sa.String(64), nullable=True))
    scopes: list[str] = Field(default_factory=list, sa_column=sa.Column(sa.JSON(), nullable=False))
    created_at: datetime = Field(sa_column=_when())
    expires_at: datetime = Field(sa_column=_when())
    refresh_expires_at: datetime | None = Field(default=None, sa_column=_maybe_when())
    revoked_at: datetime | None = Field(default=None, sa_column=_maybe_when())


IMPORT_FORMATS = ("ldp", "jwt")


class ImportedCredential(SQLModel, table=True):
    """A badge issued elsewhere that a learner added to their record after it verified.

    ``text`` is the credential exactly as received (the JSON-LD text, or the compact VC-JWT; from a
    baked image, the text inside it). One row per learner and credential id: importing the same badge
    again replaces the text. The other columns are read from the verified credential for listings.
    """

    __tablename__ = "imported_credential"
    __table_args__ = (
        sa.UniqueConstraint("person_id", "credential_id", name="uq_imported_credential_person_credential"),
        _in("format", IMPORT_FORMATS, "ck_imported_credential_format"),
        sa.Index("ix_imported_credential_person", "person_id", "issued_at"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    person_id: uuid.UUID = Field(sa_column=_ref("person", ondelete="CASCADE"))
    credential_id: str = Field(sa_column=sa.Column(sa.String(500), nullable=False))
    format: str = Field(sa_column=sa.Column(sa.String(4), nullable=False))
    text: str = Field(sa_column=sa.Column(sa.Text(), nullable=False))
    issuer_id: str = Field(sa_column=sa.Column(sa.String(500), nullable=False))
    issuer_name: str | None = Field(default=None, sa_column=sa.Column(sa.String(500), nullable=True))
    achievement_name: str | None = Field(default=None, sa_column=sa.Column(sa.String(500), nullable=True))
    level: int | None = Field(default=None, sa_column=sa.Column(sa.Integer(), nullable=True))
    source: str = Field(sa_column=sa.Column(sa.String(20), nullable=False))
    issued_at: datetime = Field(sa_column=_when())
    imported_at: datetime = Field(sa_column=_when())
    updated_at: datetime = Field(sa_column=_when())
