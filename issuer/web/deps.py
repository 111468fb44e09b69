"""Dependencies the handlers ask for by name: ``services``, ``db``, ``principal``, ``organisation``, ``roles``, ``now``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

from litestar import Request
from litestar.di import NamedDependency, Provide
from sqlalchemy.ext.asyncio import AsyncSession

from issuer.db import Organisation
from issuer.roles import Principal
from issuer.services.context import Services

__all__ = ["Db", "HeldRoles", "Now", "Org", "Svc", "User", "dependencies"]

# What a handler writes to receive a dependency by its name (litestar 3 drops inferred dependencies).
Db = NamedDependency[AsyncSession]
Svc = NamedDependency[Services]
User = NamedDependency[Principal]
Org = NamedDependency[Organisation]
HeldRoles = NamedDependency[frozenset[str]]
Now = NamedDependency[datetime]


def _services(request: Request[Any, Any, Any]) -> Services:
    services: Services = request.app.state.services
    return services


async def _db(services: Svc) -> AsyncIterator[AsyncSession]:
    async with services.sessions() as session:
        yield session


def _principal(request: Request[Any, Any, Any]) -> Principal:
    principal: Principal = request.state.principal  # set by issuer.web.auth.authorize
    return principal


def _organisation(request: Request[Any, Any, Any]) -> Organisation:
    organisation: Organisation = request.state.organisation  # set by authorize for org_roles routes
    return organisation


def _roles(request: Request[Any, Any, Any]) -> frozenset[str]:
    roles: frozenset[str] = request.state.roles
    return roles


def _now(services: Svc) -> datetime:
    return services.clock()


def dependencies() -> dict[str, Provide]:
    """The app-wide providers."""
    return {
        "services": Provide(_services, sync_to_thread=False),
        "db": Provide(_db),
        "principal": Provide(_principal, sync_to_thread=False),
        "organisation": Provide(_organisation, sync_to_thread=False),
        "roles": Provide(_roles, sync_to_thread=False),
        "now": Provide(_now, sync_to_thread=False),
    }
