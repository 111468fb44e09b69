"""``create_app(settings) -> Litestar``: the issuer service's HTTP application."""

from __future__ import annotations

from typing import Any

from litestar import Litestar, MediaType, get
from litestar.datastructures import State
from litestar.openapi.config import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin

from issuer.db import create_engine, session_factory, upgrade
from issuer.settings import Settings
from issuer.web.errors import exception_handlers, problem
from issuer.web.public import PublicController

__all__ = ["create_app"]


@get("/healthz", summary="Ready once the database is migrated", tags=["service"], media_type=MediaType.JSON)
async def healthz(state: State) -> Any:
    """200 ``{"status": "ok"}`` once the migrations ran; 503 problem+json before."""
    if not state.get("ready", False):
        return problem(503, code="NOT_READY", title="Not ready", detail="the service is starting")
    return {"status": "ok"}


def create_app(settings: Settings) -> Litestar:
    """Build the application from ``settings`` (nothing is read from the environment here).

    At start-up the database is migrated to the latest revision, then ``/healthz`` answers 200.
    """
    engine = create_engine(settings.database_url)

    async def start(app: Litestar) -> None:
        await upgrade(settings.database_url)
        app.state.ready = True

    async def stop(app: Litestar) -> None:
        await engine.dispose()

    return Litestar(
        route_handlers=[healthz, PublicController],
        on_startup=[start],
        on_shutdown=[stop],
        state=State({"settings": settings, "sessions": session_factory(engine), "ready": False}),
        exception_handlers=exception_handlers(),
        openapi_config=OpenAPIConfig(
            title="Mastery Badges issuer",
            version="0.1.0",
            path="/schema",
            render_plugins=[JsonRenderPlugin()],
        ),
        debug=False,
    )
