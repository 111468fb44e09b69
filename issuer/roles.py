"""Roles and API token scopes: who may do what (pure; the web layer checks them on every endpoint).

A person holds roles per organisation (``Membership``). A browser session acts with all of its person's
roles; an API token acts with its person's roles too, but only within its ``scopes`` (and, when it
names one, only in its organisation). A session opened with a credential one organisation's staff could
know (an invitation link, a password they set) is restricted to that organisation the same way.
``docs/service.md`` has the table of endpoints and roles.
"""

from __future__ import annotations

# uuid and Mapping at run time: the web layer injects Principal by type and litestar reads its annotations.
import uuid  # noqa: TC003
from collections.abc import Mapping  # noqa: TC003
from dataclasses import dataclass, field
from typing import Final, Literal, get_args

__all__ = ["ROLES", "SCOPES", "STAFF_ROLES", "Principal", "Role", "Scope"]

Role = Literal["admin", "teacher", "supervisor", "registrar", "student"]
ROLES: Final[tuple[str, ...]] = get_args(Role)
STAFF_ROLES: Final = frozenset({"admin", "teacher"})

Scope = Literal[
    "submissions:write",  # a student submits and follows evidence
    "reviews:write",  # a teacher or supervisor reads the queue and decides
    "awards:write",  # direct and bulk awards
    "credentials:read",  # the organisation's issued credentials
    "credentials:status",  # revoke, suspend, reinstate
    "record:read",  # a learner's own record, downloads
    "record:transcript",  # a learner asks for a signed CLR transcript of their badges
    "record:delete",  # a learner's request to delete their personal data
    "record:import",  # a learner adds badges earned elsewhere to their record
    "org:admin",  # members, invitations, keys, badge definitions
    "audit:read",  # the audit log
]
SCOPES: Final[tuple[str, ...]] = get_args(Scope)


@dataclass(frozen=True)
class Principal:
    """Who is asking, and with which powers.

    Attributes:
        person_id: the person signed in (or the API token's person).
        display_name: for attestations and the audit log.
        roles: the person's roles in each organisation (by organisation id).
        scopes: an API token's scopes; ``None`` for a browser session (all of the person's roles).
        token_organisation: the one organisation an API token or an org-restricted session is
            limited to, if any (no roles, no learner records, no account deletion beyond it).
        via: ``session``, ``token`` or ``cli`` (the command line, run by the operator).
    """

    person_id: uuid.UUID | None
    display_name: str
    roles: Mapping[uuid.UUID, frozenset[str]] = field(default_factory=dict)
    scopes: frozenset[str] | None = None
    token_organisation: uuid.UUID | None = None
    via: Literal["session", "token", "cli"] = "session"

    def roles_in(self, organisation_id: uuid.UUID) -> frozenset[str]:
        """The roles this principal may use in that organisation (none outside a token's organisation)."""
        if self.token_organisation is not None and self.token_organisation != organisation_id:
            return frozenset()
        return self.roles.get(organisation_id, frozenset())

    def may_act_in(self, organisation_id: uuid.UUID) -> bool:
        """Whether this principal is not restricted away from that organisation (roles aside)."""
        return self.token_organisation is None or self.token_organisation == organisation_id

    def has_scope(self, scope: str | None) -> bool:
        """A session has every scope; a token only those it was given."""
        return scope is None or self.scopes is None or scope in self.scopes

    @property
    def role_label(self) -> str:
        """One word for the audit log: the principal's highest role anywhere."""
        held = set().union(*self.roles.values()) if self.roles else set()
        for role in ("admin", "teacher", "supervisor", "registrar", "student"):
            if role in held:
                return role
        return "operator" if self.via == "cli" else "person"
