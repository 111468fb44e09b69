"""``badges serve``: run the application under uvicorn."""

from __future__ import annotations

import uvicorn

from issuer.db import upgrade
from issuer.services.catalogue import record_catalogue
from issuer.services.context import build_services
from issuer.settings import Settings
from issuer.web.app import create_app

__all__ = ["prepare", "serve"]


async def prepare(settings: Settings) -> None:
    """Check the badge definitions, migrate the database and record the catalogue (what start-up does).

    Raises:
        BadgeDefinitionError: a definition is invalid, or changed under a version already in use.
    """
    services = build_services(settings)
    try:
        await upgrade(settings.database_url)
        async with services.sessions() as session:
            await record_catalogue(session, services.catalog, now=services.clock())
    finally:
        await services.engine.dispose()


def serve(settings: Settings, *, host: str, port: int) -> None:
    """Run the service until interrupted (uvicorn handles the signals)."""
    # proxy_headers: behind a TLS-terminating proxy the public URL is https (did:web needs it).
    # No access log: share links, invitation links and wallet offers carry bearer tokens in their paths,
    # and the share page promises learners that only the time of an opening is kept.
    uvicorn.run(create_app(settings), host=host, port=port, proxy_headers=True, access_log=False)
