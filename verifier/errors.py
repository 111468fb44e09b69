"""Errors raised by :mod:`verifier`. Each has a stable ``code`` used in reports, the CLI and HTTP.

VerifierError
  MalformedCredentialError   MALFORMED_CREDENTIAL   not JSON, not a credential, schema violation
  CanonicalizationError      CANONICALIZATION_ERROR undefined term, relative IRI, unsafe graph
  ContextNotAllowedError     CONTEXT_NOT_ALLOWED    a JSON-LD context that is not pinned
  ContextUnavailableError    CONTEXT_UNAVAILABLE    a pinned context the operator must supply is missing
                                                    or does not match its pin -> verdict "indeterminate"
  ProofError                 PROOF_VERIFICATION_ERROR
    UnsupportedProofError    UNSUPPORTED_PROOF      type/cryptosuite/alg not in the allow-list
    InvalidSignatureError    INVALID_SIGNATURE
    IssuerKeyMismatchError   ISSUER_KEY_MISMATCH    key not controlled by credential.issuer
    ProofPurposeError        INVALID_PROOF_PURPOSE
    KeyResolutionError       KEY_RESOLUTION_ERROR   key document not retrieved -> verdict "indeterminate"
    VerificationMethodError  INVALID_VERIFICATION_METHOD  retrieved, but the key is missing or malformed
    JwtClaimsMismatchError   JWT_CLAIMS_MISMATCH    iss/sub/jti/nbf disagree with the credential
    PresentationError        PRESENTATION_ERROR     a presentation's holder or shape is wrong
      InvalidChallengeError  INVALID_CHALLENGE      proof challenge is not the one the verifier issued
      InvalidDomainError     INVALID_DOMAIN         proof domain is not the verifier's
  ValidityError
    NotYetValidError         NOT_YET_VALID
    ExpiredError             EXPIRED
  StatusError
    RevokedError             REVOKED
    SuspendedError           SUSPENDED
    StatusListError          STATUS_LIST_ERROR      malformed/short list, index out of range, bad list proof
    StatusRetrievalError     STATUS_RETRIEVAL_ERROR -> verdict "indeterminate"
  RetrievalError             RETRIEVAL_ERROR        a document could not be fetched -> "indeterminate"
  RecipientMismatchError     RECIPIENT_MISMATCH     the known identifier is not the credential's recipient
  TrustListError             INVALID_TRUST_LIST     a trust list file that cannot be used
  CreditRulesError           INVALID_CREDIT_RULES   a credit-rules file that cannot be used ("no credit" is a result)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from collections.abc import Sequence


class VerifierError(Exception):
    """Base of every error raised by :mod:`verifier`."""

    code: ClassVar[str] = "VERIFIER_ERROR"
    #: True when the failure means "could not decide" rather than "this is wrong".
    indeterminate: ClassVar[bool] = False


class MalformedCredentialError(VerifierError):
    code: ClassVar[str] = "MALFORMED_CREDENTIAL"


class CanonicalizationError(VerifierError):
    code: ClassVar[str] = "CANONICALIZATION_ERROR"


class ContextNotAllowedError(CanonicalizationError):
    code: ClassVar[str] = "CONTEXT_NOT_ALLOWED"


class ContextUnavailableError(CanonicalizationError):
    """A pinned context that is not shipped (the operator supplies it) is missing or wrong.

    Nothing is wrong with the credential: it could not be checked here.
    """

    code: ClassVar[str] = "CONTEXT_UNAVAILABLE"
    indeterminate: ClassVar[bool] = True

    def __init__(self, message: str, url: str) -> None:
        super().__init__(message)
        self.url = url


class ProofError(VerifierError):
    code: ClassVar[str] = "PROOF_VERIFICATION_ERROR"


class UnsupportedProofError(ProofError):
    code: ClassVar[str] = "UNSUPPORTED_PROOF"


class InvalidSignatureError(ProofError):
    code: ClassVar[str] = "INVALID_SIGNATURE"


class IssuerKeyMismatchError(ProofError):
    code: ClassVar[str] = "ISSUER_KEY_MISMATCH"


class ProofPurposeError(ProofError):
    code: ClassVar[str] = "INVALID_PROOF_PURPOSE"


class KeyResolutionError(ProofError):
    code: ClassVar[str] = "KEY_RESOLUTION_ERROR"
    indeterminate: ClassVar[bool] = True


class ValidityError(VerifierError):
    code: ClassVar[str] = "VALIDITY_ERROR"


class NotYetValidError(ValidityError):
    code: ClassVar[str] = "NOT_YET_VALID"


class ExpiredError(ValidityError):
    code: ClassVar[str] = "EXPIRED"


class StatusError(VerifierError):
    code: ClassVar[str] = "STATUS_ERROR"


class RevokedError(StatusError):
    code: ClassVar[str] = "REVOKED"


class SuspendedError(StatusError):
    code: ClassVar[str] = "SUSPENDED"


class StatusListError(StatusError):
    code: ClassVar[str] = "STATUS_LIST_ERROR"


class StatusRetrievalError(StatusError):
    code: ClassVar[str] = "STATUS_RETRIEVAL_ERROR"
    indeterminate: ClassVar[bool] = True


class RetrievalError(VerifierError):
    """A document (DID document, JWKS, status list) could not be fetched or parsed."""

    code: ClassVar[str] = "RETRIEVAL_ERROR"
    indeterminate: ClassVar[bool] = True


class VerificationMethodError(ProofError):
    """The key document was retrieved, but the verification method is missing, malformed or mismatched."""

    code: ClassVar[str] = "INVALID_VERIFICATION_METHOD"


class JwtClaimsMismatchError(ProofError):
    """A VC-JWT registered claim disagrees with the credential it carries (OB 3.0 §8.2.6)."""

    code: ClassVar[str] = "JWT_CLAIMS_MISMATCH"


class PresentationError(ProofError):
    """A Verifiable Presentation whose holder, proof or shape is wrong (VC DM 2.0 §4.13)."""

    code: ClassVar[str] = "PRESENTATION_ERROR"


class InvalidChallengeError(PresentationError):
    """The presentation proof's ``challenge`` is missing or not the one the verifier asked for."""

    code: ClassVar[str] = "INVALID_CHALLENGE"


class InvalidDomainError(PresentationError):
    """The presentation proof's ``domain`` is missing or not the verifier's."""

    code: ClassVar[str] = "INVALID_DOMAIN"


class RecipientMismatchError(VerifierError):
    """The identifier the verifier knows (an e-mail, a DID) is not the credential's recipient (OB 3.0 «9.1» step 5)."""

    code: ClassVar[str] = "RECIPIENT_MISMATCH"


class TrustListError(VerifierError):
    """A trust list file that cannot be read or does not follow the trust list format."""

    code: ClassVar[str] = "INVALID_TRUST_LIST"


class CreditRulesError(VerifierError):
    """A credit-rules file cannot be read or is not valid. Not being eligible for credit is a result, not this.

    Attributes:
        problems: One line per problem, each naming the file, the field path and what is wrong.
    """

    code: ClassVar[str] = "INVALID_CREDIT_RULES"

    def __init__(self, message: str, *, problems: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.problems: tuple[str, ...] = tuple(problems)
