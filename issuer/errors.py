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
  AuthenticationRequiredError AUTHENTICATION_REQUIRED no valid session or API token, or wrong credentials
  ForbiddenError             FORBIDDEN               signed in, but this role, grant or token scope does not allow it
  NotFoundError              NOT_FOUND               no such submission, credential, person, job... in this organisation
  InvalidStateError          INVALID_STATE           the action does not fit the current state (approving a declined submission)
  InvalidRequestError        INVALID_REQUEST         a well-formed request whose content is wrong (unknown student, bad link)
  InvalidUploadError         INVALID_UPLOAD          an evidence file of a type not accepted, or whose content is not its type
  UploadTooLargeError        UPLOAD_TOO_LARGE        a file, or the files of one submission, over the size limit
  InvalidCsvError            INVALID_CSV             a CSV file that cannot be read at all (encoding, header, size)
  InvitationInvalidError     INVITATION_INVALID      an invitation link that is unknown, used, withdrawn or expired
  ImportRefusedError         IMPORT_REFUSED          a badge to import that does not verify, or is not the learner's
  OAuthError                 OAUTH_ERROR             an OAuth 2.0 request refused (RFC 6749 §5.2 ``error``)
  ClientRegistrationError    INVALID_CLIENT_METADATA a dynamic client registration refused (RFC 7591 §3.2.2)
  ShareLinkGoneError         SHARE_LINK_GONE         a badge share link its learner withdrew, or that expired
  WalletOfferInvalidError    WALLET_OFFER_INVALID    a wallet offer or exchange that is unknown, used or expired
  InvalidPresentationError   INVALID_PRESENTATION    a wallet's DID authentication presentation that does not verify
  WalletProtocolError        WALLET_PROTOCOL_ERROR   an OAuth 2.0 / OpenID4VCI error, answered as that protocol's
                                                     error JSON (``error``: invalid_grant, invalid_proof...)
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


class TranscriptUnavailableError(IssuerError):
    """Transcripts cannot be signed here: the operator has not supplied the CLR 2.0 context (docs/clr.md)."""

    code: ClassVar[str] = "TRANSCRIPT_UNAVAILABLE"


class InvalidAwardError(IssuerError):
    code: ClassVar[str] = "INVALID_AWARD"


class OrganisationNotFoundError(IssuerError):
    code: ClassVar[str] = "ORGANISATION_NOT_FOUND"


class OrganisationExistsError(IssuerError):
    code: ClassVar[str] = "ORGANISATION_EXISTS"


class InvalidOrganisationError(IssuerError):
    code: ClassVar[str] = "INVALID_ORGANISATION"


class AuthenticationRequiredError(IssuerError):
    code: ClassVar[str] = "AUTHENTICATION_REQUIRED"


class ForbiddenError(IssuerError):
    code: ClassVar[str] = "FORBIDDEN"


class NotFoundError(IssuerError):
    code: ClassVar[str] = "NOT_FOUND"


class InvalidStateError(IssuerError):
    code: ClassVar[str] = "INVALID_STATE"


class InvalidRequestError(IssuerError):
    code: ClassVar[str] = "INVALID_REQUEST"


class InvalidUploadError(IssuerError):
    code: ClassVar[str] = "INVALID_UPLOAD"


class UploadTooLargeError(IssuerError):
    code: ClassVar[str] = "UPLOAD_TOO_LARGE"


class InvalidCsvError(IssuerError):
    code: ClassVar[str] = "INVALID_CSV"


class InvitationInvalidError(IssuerError):
    code: ClassVar[str] = "INVITATION_INVALID"


class ImportRefusedError(IssuerError):
    """A badge a learner tried to add did not verify, or names someone else.

    Attributes:
        problems: One line per failed check: ``<check id>: <CODE>: <message>``.
    """

    code: ClassVar[str] = "IMPORT_REFUSED"

    def __init__(self, detail: str, *, problems: Sequence[str] = ()) -> None:
        super().__init__(detail)
        self.problems: tuple[str, ...] = tuple(problems)


class OAuthError(IssuerError):
    """An OAuth 2.0 request refused; ``error`` is the RFC 6749 §5.2 / RFC 7009 code (``invalid_grant`` …).

    https://www.rfc-editor.org/rfc/rfc6749#section-5.2
    """

    code: ClassVar[str] = "OAUTH_ERROR"

    def __init__(self, error: str, detail: str) -> None:
        super().__init__(detail)
        self.error = error


class ClientRegistrationError(IssuerError):
    """A client registration refused; ``error`` is ``invalid_redirect_uri`` or ``invalid_client_metadata``.

    https://www.rfc-editor.org/rfc/rfc7591#section-3.2.2
    """

    code: ClassVar[str] = "INVALID_CLIENT_METADATA"

    def __init__(self, error: str, detail: str) -> None:
        super().__init__(detail)
        self.error = error


class ShareLinkGoneError(IssuerError):
    """A share link that worked once: ``withdrawn`` by its learner, or expired."""

    code: ClassVar[str] = "SHARE_LINK_GONE"

    def __init__(self, detail: str, *, withdrawn: bool) -> None:
        super().__init__(detail)
        self.withdrawn = withdrawn


class WalletOfferInvalidError(IssuerError):
    code: ClassVar[str] = "WALLET_OFFER_INVALID"


class InvalidPresentationError(IssuerError):
    code: ClassVar[str] = "INVALID_PRESENTATION"


class WalletProtocolError(IssuerError):
    """An error of the OAuth 2.0 token endpoint or the OpenID4VCI endpoints, which wallets read as
    ``{"error", "error_description"}`` (RFC 6749 §5.2, OpenID4VCI 1.0 §8.3.1.2), not as problem+json.

    Attributes:
        error: the protocol's error code (``invalid_request``, ``invalid_grant``, ``invalid_token``,
            ``invalid_proof``, ``invalid_nonce``, ``unknown_credential_configuration``,
            ``invalid_credential_request``, ``credential_request_denied``).
    """

    code: ClassVar[str] = "WALLET_PROTOCOL_ERROR"

    def __init__(self, error: str, detail: str) -> None:
        super().__init__(detail)
        self.error = error
