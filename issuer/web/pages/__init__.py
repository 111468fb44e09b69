"""The pages people use (server-rendered HTML, progressive enhancement, no build chain).

Templates are in ``issuer/web/templates``, the stylesheet and script in ``issuer/web/static``, the
catalogues in ``issuer/locale``. Each module holds the pages of one kind of user.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

from litestar.static_files import create_static_files_router

from issuer.web.auth import public
from issuer.web.pages.account import AccountPages
from issuer.web.pages.awards import AwardPages, CredentialPages
from issuer.web.pages.badge_page import BadgePages
from issuer.web.pages.imports import ImportPages
from issuer.web.pages.invitations import InvitationPages
from issuer.web.pages.learner import LearnerPages
from issuer.web.pages.org_admin import OrgAdminPages
from issuer.web.pages.registrar import RegistrarPages
from issuer.web.pages.review import ReviewPages
from issuer.web.pages.verify import VerifierPages

__all__ = ["PAGE_HANDLERS", "STATIC_DIR"]

STATIC_DIR: Final = Path(__file__).resolve().parent.parent / "static"

PAGE_HANDLERS: list[Any] = [
    AccountPages,
    ReviewPages,
    AwardPages,
    CredentialPages,
    InvitationPages,
    VerifierPages,
    RegistrarPages,
    OrgAdminPages,
    LearnerPages,
    ImportPages,
    BadgePages,
    create_static_files_router(
        path="/static",
        directories=[STATIC_DIR],
        opt=public(),
        cache_control=None,
        include_in_schema=False,
    ),
]
