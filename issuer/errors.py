"""Errors raised by the pure parts of :mod:`issuer`. No HTTP knowledge here: ``issuer/web/errors.py`` maps
each ``code`` to a status.

IssuerError
  BadgeDefinitionError     BADGE_DEFINITION_INVALID  invalid badge_defs/: refuse to start
  BadgeNotFoundError       BADGE_NOT_FOUND           no badge with that slug
  NotEligibleError         NOT_ELIGIBLE              the evidence does not meet the badge's criteria
  AlreadyIssuedError       ALREADY_ISSUED            this learner already holds this badge version
  SigningUnavailableError  SIGNING_UNAVAILABLE       no usable signing key right now
  InvalidAwardError        INVALID_AWARD             level outside 1..4 or below the required level,
                                                     attester role not allowed for the badge
  OrganisationNotFoundError  ORGANISATION_NOT_FOUND  no organisation with that slug
  OrganisationExistsError    ORGANISATION_EXISTS     the slug is taken already
  InvalidOrganisationError   INVALID_ORGANISATION    a malformed slug, an empty name or an unknown kind
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from collections.abc import Sequence


class IssuerError(Exception):
    """Base of every error raised by :mod:`issuer`.

    Attributes:
        detail: A human-readable explanation, safe to show to the person who caused the error.
    """

    code: ClassVar[str] = "ISSUER_ERROR"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class BadgeDefinitionError(IssuerError):
    """One or more badge definition files (or the publication lock) are invalid.

    Attributes:
        problems: One line per problem, each naming the file, the field path and what is wrong.
    """

    code: ClassVar[str] = "BADGE_DEFINITION_INVALID"

    def __init__(self, detail: str, *, problems: Sequence[str] = ()) -> None:
        super().__init__(detail)
        self.problems: tuple[str, ...] = tuple(problems)


class BadgeNotFoundError(IssuerError):
    code: ClassVar[str] = "BADGE_NOT_FOUND"


class NotEligibleError(IssuerError):
    code: ClassVar[str] = "NOT_ELIGIBLE"


class AlreadyIssuedError(IssuerError):
    code: ClassVar[str] = "ALREADY_ISSUED"


class SigningUnavailableError(IssuerError):
    code: ClassVar[str] = "SIGNING_UNAVAILABLE"


class InvalidAwardError(IssuerError):
    code: ClassVar[str] = "INVALID_AWARD"


class OrganisationNotFoundError(IssuerError):
    code: ClassVar[str] = "ORGANISATION_NOT_FOUND"


class OrganisationExistsError(IssuerError):
    code: ClassVar[str] = "ORGANISATION_EXISTS"


class InvalidOrganisationError(IssuerError):
    code: ClassVar[str] = "INVALID_ORGANISATION"
