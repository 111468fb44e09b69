"""Which service refusals a form shows beside the form (the person can fix what they typed), and with
which status; any other error (not allowed, not found, keys unavailable) goes to the error page."""

from __future__ import annotations

from typing import Final

from issuer.errors import (
    AlreadyIssuedError,
    BadgeNotFoundError,
    InvalidAwardError,
    InvalidCsvError,
    InvalidRequestError,
    InvalidStateError,
    IssuerError,
    NotEligibleError,
)

__all__ = ["form_status"]

# The same statuses as the API's problem+json (issuer/web/errors.py), except an unknown badge: on a form
# it is a choice to correct (422), not a missing page.
_FORM_STATUS: Final[tuple[tuple[type[IssuerError], int], ...]] = (
    (InvalidRequestError, 422),
    (InvalidAwardError, 422),
    (NotEligibleError, 422),
    (BadgeNotFoundError, 422),
    (InvalidCsvError, 422),
    (AlreadyIssuedError, 409),
    (InvalidStateError, 409),
)


def form_status(error: IssuerError) -> int | None:
    """The status to show ``error`` with beside its form, or None when it belongs on the error page."""
    return next((status for kind, status in _FORM_STATUS if isinstance(error, kind)), None)
