"""``create_app(settings) -> Litestar``: the issuer service's HTTP application."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from litestar import Litestar, MediaType, Router, get
from litestar.datastructures import State
from litestar.openapi.config import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme

from issuer.db import upgrade
from issuer.services.catalogue import record_catalogue
from issuer.services.context import build_services, utc_now
from issuer.settings import Settings
from issuer.web.api.admin import InvitationController, OrgAdminController
from issuer.web.api.audit import AuditController
from issuer.web.api.awards import AwardController
from issuer.web.api.badges import BadgeController
from issuer.web.api.credentials import CredentialController
from issuer.web.api.endorsements import EndorsementController
from issuer.web.api.exchanges import exchange
from issuer.web.api.imports import ImportController
from issuer.web.api.learners import LearnerController, MyRecordController
from issuer.web.api.oauth import OAuthController
from issuer.web.api.obapi import ObApiController
from issuer.web.api.oid4vci import OID4VCI_HANDLERS
from issuer.web.api.session import SessionController
from issuer.web.api.submissions import MeSubmissionsController, ReviewQueueController, SubmissionController
from issuer.web.api.transcripts import TranscriptController
from issuer.web.api.wallet_offers import MyWalletOfferController, OrgWalletOfferController
from issuer.web.auth import authorize, public
from issuer.web.deps import dependencies
from issuer.web.errors import exception_handlers, problem
from issuer.web.jobs import resume_award_jobs, stop_award_jobs
from issuer.web.pages import PAGE_HANDLERS
from issuer.web.pages.security import security_headers
from issuer.web.public import PublicController
from issuer.web.status import StatusListController

__all__ = ["ROUTE_HANDLERS", "create_app"]

FORM_OVERHEAD_BYTES = 1024 * 1024


@get(
    "/healthz",
    opt=public(),
    summary="Ready once the database is migrated",
    tags=["service"],
    media_type=MediaType.JSON,
)
async def healthz(state: State) -> Any:
    """200 ``{"status": "ok"}`` once the migrations ran; 503 problem+json before."""
    if not state.get("ready", False):
        return problem(503, code="NOT_READY", title="Not ready", detail="the service is starting")
    return {"status": "ok"}


ROUTE_HANDLERS: list[Any] = [
    healthz,
    PublicController,
    StatusListController,
    SessionController,
    BadgeController,
    CredentialController,
    AwardController,
    SubmissionController,
    ReviewQueueController,
    MeSubmissionsController,
    OrgAdminController,
    InvitationController,
    LearnerController,
    MyRecordController,
    TranscriptController,
    EndorsementController,
    AuditController,
    ImportController,
    OAuthController,
    ObApiController,
    MyWalletOfferController,
    OrgWalletOfferController,
    *OID4VCI_HANDLERS,
    exchange,
    *PAGE_HANDLERS,
]


def create_app(settings: Settings, *, clock: Callable[[], datetime] = utc_now) -> Litestar:
    """Build the application from ``settings`` (nothing is read from the environment here).

    The badge catalogue is loaded first: an invalid definition stops the start with a
    :class:`~issuer.errors.BadgeDefinitionError` naming the file and field. At start-up the database is
    migrated and the catalogue recorded, then ``/healthz`` answers 200.
    """
    services = build_services(settings, clock=clock)

    async def start(app: Litestar) -> None:
        await upgrade(settings.database_url)
        async with services.sessions() as session:
            await record_catalogue(session, services.catalog, now=services.clock())
        await resume_award_jobs(app)  # bulk awards a crash or a stop left unfinished
        app.state.ready = True

    async def stop(app: Litestar) -> None:
        await stop_award_jobs(app)
        await services.engine.dispose()

    return Litestar(
        route_handlers=ROUTE_HANDLERS,
        on_startup=[start],
        on_shutdown=[stop],
        guards=[authorize],
        before_send=[security_headers(hsts=settings.cookie_secure)],
        dependencies=dependencies(),
        state=State(
            {"settings": settings, "services": services, "sessions": services.sessions, "ready": False}
        ),
        exception_handlers=exception_handlers(),
        # The largest body the API takes is one submission's evidence; the form fields around it get
        # 1 MiB. The evidence store checks each file and the total again with clearer messages.
        request_max_body_size=services.evidence.limits.max_submission_bytes + FORM_OVERHEAD_BYTES,
        openapi_config=OpenAPIConfig(
            title="Mastery Badges issuer",
            version="0.1.0",
            path="/schema",
            render_plugins=[JsonRenderPlugin()],
            # The OpenAPI document is public like the rest of the documentation.
            openapi_router=Router(path="/schema", route_handlers=[], opt=public()),
            components=Components(
                security_schemes={
                    "session": SecurityScheme(type="apiKey", name="mb_session", security_scheme_in="cookie"),
                    "token": SecurityScheme(type="http", scheme="bearer", description="API token mbt_…"),
                    "oauth": SecurityScheme(
                        type="http",
                        scheme="bearer",
                        description="OAuth 2.0 access token (Open Badges 3.0 API)",
                    ),
                }
            ),
        ),
        debug=False,
    )
