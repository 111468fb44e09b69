"""``verify_presentation``: a Verifiable Presentation, its holder proof, and every credential inside it.

https://www.w3.org/TR/vc-data-model-2.0/#verifiable-presentations (VC DM 2.0 §4.13) and
https://www.w3.org/TR/vc-data-integrity/#verify-proof (proofPurpose ``authentication``, challenge, domain)

The holder is the controller of the key that signed the presentation: a did:key or did:web DID whose
document lists the key under ``authentication``. A credential whose ``credentialSubject.id`` is that DID
is *bound to the presenter*: whoever holds the subject's key chose to show it, here and now (when the
verifier issued the challenge). Like :func:`verifier.verify.verify_credential`, every check is run and
reported; only :class:`VerifierError` is caught.

Proof suites: ``DataIntegrityProof`` (eddsa-rdfc-2022, eddsa-jcs-2022) and, because the DCC Learner
Credential Wallet signs presentations with it, the legacy ``Ed25519Signature2020``: the same hashing as
eddsa-rdfc-2022 (SHA-256 of the canonical proof options, then of the canonical document) under another
proof type, so it costs one function.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from verifier.errors import (
    InvalidChallengeError,
    InvalidDomainError,
    InvalidSignatureError,
    MalformedCredentialError,
    PresentationError,
    ProofPurposeError,
    RecipientMismatchError,
    UnsupportedProofError,
    VerificationMethodError,
    VerifierError,
)
from verifier.proofs import data_integrity
from verifier.verify import (
    CheckResult,
    Verdict,
    VerificationReport,
    VerifyOptions,
    parse_input,
    verify_credential,
)

if TYPE_CHECKING:
    from datetime import datetime

    from verifier.resolve import ResolvedKey, Resolver

ED25519_SIGNATURE_2020: Final = "Ed25519Signature2020"
HOLDER_PURPOSE: Final = "authentication"
_HOLDER_DID_METHODS: Final = ("did:key:", "did:web:")
# Media types of an EnvelopedVerifiableCredential's data: URL that carry a compact JWS.
_ENVELOPED_JWT_TYPES: Final = ("application/vc+jwt", "application/vc+ld+json+jwt", "application/jwt")
_SHOWN: Final = 80  # challenge / domain values are echoed in messages up to this length


def _verdict(checks: list[CheckResult] | tuple[CheckResult, ...]) -> Verdict:
    # The same rule as VerificationReport.verdict: a failed warning does not change the verdict.
    failed = [check for check in checks if not check.passed and not check.warning]
    if any(not check.indeterminate for check in failed):
        return "invalid"
    return "indeterminate" if failed else "valid"


@dataclass(frozen=True)
class PresentedCredential:
    """One credential of a presentation: its own report, and whether the presenter is its subject.

    Attributes:
        index: position in ``verifiableCredential``.
        report: the credential's :class:`VerificationReport` (with a ``holder_binding`` check when
            bound, or when binding was required and is missing).
        bound_to_holder: the subject is the DID that signed the presentation, and that proof is valid.
        binding: a sentence saying so, or why not.
    """

    index: int
    report: VerificationReport
    bound_to_holder: bool
    binding: str

    def to_json(self) -> dict[str, Any]:
        return {"index": self.index, "boundToHolder": self.bound_to_holder, "binding": self.binding} | (
            self.report.to_json()
        )


@dataclass(frozen=True)
class PresentationReport:
    """Presentation-level checks (format, proof, holder, challenge, domain) and a report per credential.

    ``verdict`` follows :class:`VerificationReport` over all of them: "invalid" if any check failed for
    certain, "indeterminate" if some could not be made, otherwise "valid".
    """

    checks: tuple[CheckResult, ...]
    credentials: tuple[PresentedCredential, ...] = ()
    holder: str | None = None

    @property
    def verdict(self) -> Verdict:
        every = list(self.checks)
        for presented in self.credentials:
            every.extend(presented.report.checks)
        return _verdict(every)

    def check(self, check_id: str) -> CheckResult | None:
        return next((c for c in self.checks if c.id == check_id), None)

    def to_json(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict,
            "holder": self.holder,
            "checks": [c.to_json() for c in self.checks],
            "credentials": [c.to_json() for c in self.credentials],
        }


def _failed(check_id: str, error: VerifierError) -> CheckResult:
    return CheckResult(check_id, False, str(error), error.code, error.indeterminate)


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= _SHOWN else text[: _SHOWN - 1] + "…'"


def _types(value: Mapping[str, Any]) -> list[Any]:
    kind = value.get("type")
    return kind if isinstance(kind, list) else [kind]


def _entries(value: object) -> list[object]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def verify_ed25519_signature_2020(
    secured_document: Mapping[str, Any],
    proof: Mapping[str, Any],
    public_key: Ed25519PublicKey,
    *,
    expected_purpose: str,
) -> None:
    """Verify a legacy ``Ed25519Signature2020`` proof (the suite the DCC wallet signs presentations with).

    https://w3c-ccg.github.io/di-eddsa-2020/ (create/verify proof). The verify data is
    SHA-256(RDFC-1.0(proof options with the document's ``@context``, no ``proofValue``)) ‖
    SHA-256(RDFC-1.0(document without ``proof``)), signed with Ed25519, as for eddsa-rdfc-2022;
    the document's context must define the suite's terms (``…/suites/ed25519-2020/v1``).

    Args:
        secured_document: the document with its ``proof``.
        proof: the proof to check.
        public_key: the key resolved from ``proof["verificationMethod"]``.
        expected_purpose: the proof purpose required.

    Raises:
        UnsupportedProofError: not an Ed25519Signature2020 proof.
        MalformedCredentialError: ``verificationMethod``, ``proofPurpose`` or ``proofValue`` missing.
        ProofPurposeError: another proof purpose.
        InvalidSignatureError: a malformed ``proofValue`` or a signature that does not verify.
        CanonicalizationError: the document or proof options cannot be canonicalized.
    """
    if proof.get("type") != ED25519_SIGNATURE_2020:
        raise UnsupportedProofError(f"not an {ED25519_SIGNATURE_2020} proof: {proof.get('type')!r}")
    for member in ("verificationMethod", "proofPurpose", "proofValue"):
        if not proof.get(member):
            raise MalformedCredentialError(f"proof has no {member}")
    if proof["proofPurpose"] != expected_purpose:
        raise ProofPurposeError(
            f"proof purpose {proof['proofPurpose']!r} is not the expected {expected_purpose!r}"
        )
    signature = data_integrity.decode_proof_value(proof["proofValue"])
    document = {key: value for key, value in secured_document.items() if key != "proof"}
    options = {"@context": document.get("@context")} | {
        key: value for key, value in proof.items() if key not in ("proofValue", "jws", "signatureValue")
    }
    # The suite canonicalizes with RDFC-1.0 (URDNA2015), exactly as eddsa-rdfc-2022 does.
    suite = "eddsa-rdfc-2022"
    data = data_integrity.hashing(
        data_integrity.transformation(document, cryptosuite=suite),
        canonical_proof_config=data_integrity.transformation(options, cryptosuite=suite),
    )
    try:
        public_key.verify(signature, data)
    except InvalidSignature as err:
        raise InvalidSignatureError("Ed25519 signature does not verify") from err


def _parse_presentation(raw: str | bytes | Mapping[str, Any], options: VerifyOptions) -> dict[str, Any]:
    value, kind = parse_input(raw, max_bytes=options.max_bytes)
    if kind == "jwt" or not isinstance(value, dict):
        raise MalformedCredentialError(
            "a JWT presentation (VP-JWT) is not supported; send a JSON-LD presentation"
        )
    if "VerifiablePresentation" not in _types(value):
        raise MalformedCredentialError("not a presentation: its type does not include VerifiablePresentation")
    return value


def _rdf_canonicalized(proof: Mapping[str, Any]) -> bool:
    return proof.get("type") == ED25519_SIGNATURE_2020 or proof.get("cryptosuite") == "eddsa-rdfc-2022"


def _verify_holder_proof(
    presentation: dict[str, Any], proof: Mapping[str, Any], resolved: ResolvedKey
) -> str:
    key = resolved.public_key
    if not isinstance(key, Ed25519PublicKey):
        raise UnsupportedProofError(f"the holder key {resolved.id} is not an Ed25519 key")
    if _rdf_canonicalized(proof) and any(
        isinstance(c, str) for c in _entries(presentation.get("verifiableCredential"))
    ):
        # RDF canonicalization drops a bare JWT string (a relative IRI): the signature would not cover it.
        raise PresentationError(
            "a compact JWT in verifiableCredential is not covered by an RDF-canonicalized proof; "
            "wrap it in an EnvelopedVerifiableCredential (data:application/vc+jwt,…)"
        )
    if proof.get("type") == ED25519_SIGNATURE_2020:
        verify_ed25519_signature_2020(presentation, proof, key, expected_purpose=HOLDER_PURPOSE)
        return f"{ED25519_SIGNATURE_2020} signature by {resolved.id} is valid"
    if proof.get("type") == data_integrity.PROOF_TYPE:
        data_integrity.verify_proof(presentation, proof, key, expected_purpose=HOLDER_PURPOSE)
        return f"{proof.get('cryptosuite')} signature by {resolved.id} is valid"
    raise UnsupportedProofError(
        f"unsupported presentation proof type {proof.get('type')!r} "
        f"(allowed: {data_integrity.PROOF_TYPE}, {ED25519_SIGNATURE_2020})"
    )


def _check_holder(presentation: Mapping[str, Any], resolved: ResolvedKey) -> str:
    holder = resolved.controller
    if not holder.startswith(_HOLDER_DID_METHODS):
        raise PresentationError(f"the presentation key {resolved.id} is not a did:key or did:web key")
    if HOLDER_PURPOSE not in resolved.purposes:
        raise VerificationMethodError(f"{holder} does not list key {resolved.id} under {HOLDER_PURPOSE}")
    stated = presentation.get("holder")
    stated_id = stated.get("id") if isinstance(stated, Mapping) else stated
    if stated is not None and stated_id != holder:
        raise PresentationError(
            f"the presentation names holder {_shown(stated_id)} but was signed by {holder}"
        )
    return f"presented by {holder}"


def _check_challenge(proof: Mapping[str, Any], expected: str | None) -> str:
    if expected is None:
        return "no challenge was required (a replayed presentation would not be noticed)"
    got = proof.get("challenge")
    if got is None:
        raise InvalidChallengeError("the presentation proof has no challenge; one was required")
    if got != expected:
        raise InvalidChallengeError(f"proof challenge {_shown(got)} is not the expected {_shown(expected)}")
    return "challenge matches"


def _check_domain(proof: Mapping[str, Any], expected: str | None) -> str:
    if expected is None:
        return "no domain was required"
    got = proof.get("domain")
    if got is None:
        raise InvalidDomainError("the presentation proof has no domain; one was required")
    if expected not in (got if isinstance(got, list) else [got]):
        raise InvalidDomainError(f"proof domain {_shown(got)} is not the expected {_shown(expected)}")
    return "domain matches"


def _unwrap(item: object) -> str | dict[str, Any]:
    """The credential to verify: an object, a compact JWT, or the JWT of an EnvelopedVerifiableCredential."""
    if isinstance(item, str):
        return item
    if not isinstance(item, Mapping):
        raise MalformedCredentialError(
            f"a verifiableCredential entry is a {type(item).__name__}, not a credential"
        )
    if "EnvelopedVerifiableCredential" not in _types(item):
        return dict(item)
    url = item.get("id")
    header, comma, data = url.partition(",") if isinstance(url, str) else ("", "", "")
    media_type = header.removeprefix("data:")
    if not (comma and header.startswith("data:") and media_type in _ENVELOPED_JWT_TYPES):
        raise MalformedCredentialError(
            f"enveloped credential: expected a data:{_ENVELOPED_JWT_TYPES[0]},<JWT> URL, got {_shown(header)}"
        )
    return data


def _subject_ids(credential: Mapping[str, Any] | None) -> list[str]:
    if credential is None:
        return []
    subjects = _entries(credential.get("credentialSubject"))
    return [s["id"] for s in subjects if isinstance(s, Mapping) and isinstance(s.get("id"), str)]


def _presented(
    index: int, report: VerificationReport, holder: str | None, *, require_holder_binding: bool
) -> PresentedCredential:
    subjects = _subject_ids(report.credential)
    if holder is not None and holder in subjects:
        binding = f"bound to the presenter: the subject {holder} signed the presentation"
        check = CheckResult("holder_binding", True, binding)
        return PresentedCredential(index, _with_check(report, check), True, binding)
    if holder is None:
        binding = "not bound: the presenter could not be established"
    elif subjects:
        binding = f"not bound: the subject {subjects[0]} is not the presenter {holder}"
    else:
        binding = f"not bound: the credential names no subject id to compare with the presenter {holder}"
    if require_holder_binding:
        report = _with_check(report, _failed("holder_binding", RecipientMismatchError(binding)))
    else:
        # Shown, so a reader sees that possession of the presentation proves nothing about the learner.
        report = _with_check(
            report, CheckResult("holder_binding", False, binding, "NOT_HOLDER_BOUND", warning=True)
        )
    return PresentedCredential(index, report, False, binding)


def _with_check(report: VerificationReport, check: CheckResult) -> VerificationReport:
    return dataclasses.replace(report, checks=(*report.checks, check))


def verify_presentation(
    raw: str | bytes | Mapping[str, Any],
    *,
    resolver: Resolver,
    now: datetime,
    challenge: str | None,
    domain: str | None,
    options: VerifyOptions | None = None,
    require_holder_binding: bool = False,
) -> PresentationReport:
    """Verify a JSON-LD Verifiable Presentation and each credential in it.

    https://www.w3.org/TR/vc-data-model-2.0/#verifiable-presentations and
    https://www.w3.org/TR/vc-data-integrity/#verify-proof

    Args:
        raw: the presentation as text, bytes or a parsed JSON object.
        resolver: how the holder's and the issuers' keys and status lists are found.
        now: the moment to check each credential's validity window against.
        challenge: the challenge the verifier issued; the proof must carry it (None: not checked).
        domain: the verifier's domain; the proof must name it (None: not checked).
        options: applied to each credential (see :class:`VerifyOptions`); its ``max_bytes`` also caps
            the presentation.
        require_holder_binding: make a credential whose subject is not the presenter fail with
            ``RECIPIENT_MISMATCH`` (by default it is only reported as not bound).

    Returns:
        A :class:`PresentationReport`; never raises :class:`VerifierError`.
    """
    options = options or VerifyOptions()
    checks: list[CheckResult] = []
    try:
        presentation = _parse_presentation(raw, options)
        proofs = data_integrity.iter_proofs(presentation)
        if not proofs:
            raise PresentationError("the presentation has no proof, so nothing shows who presents it")
        if len(proofs) > 1:
            raise PresentationError(f"a presentation carries one holder proof; this one has {len(proofs)}")
        proof = proofs[0]
        method = proof.get("verificationMethod")
        if not isinstance(method, str):
            raise MalformedCredentialError("the presentation proof has no verificationMethod")
    except VerifierError as err:
        return PresentationReport((_failed("format", err),))
    checks.append(CheckResult("format", True, "a Verifiable Presentation with one proof"))

    holder: str | None = None
    resolved: ResolvedKey | None = None
    try:
        resolved = resolver.resolve_key(method)
        checks.append(CheckResult("proof", True, _verify_holder_proof(presentation, proof, resolved)))
        proof_valid = True
    except VerifierError as err:
        checks.append(_failed("proof", err))
        proof_valid = False
    if resolved is not None:
        try:
            checks.append(CheckResult("holder", True, _check_holder(presentation, resolved)))
            holder = resolved.controller if proof_valid else None
        except VerifierError as err:
            checks.append(_failed("holder", err))
    for check_id, step, expected in (
        ("challenge", _check_challenge, challenge),
        ("domain", _check_domain, domain),
    ):
        try:
            checks.append(CheckResult(check_id, True, step(proof, expected)))
        except VerifierError as err:
            checks.append(_failed(check_id, err))

    presented: list[PresentedCredential] = []
    for index, item in enumerate(_entries(presentation.get("verifiableCredential"))):
        try:
            credential = _unwrap(item)
        except VerifierError as err:
            report = VerificationReport((_failed("format", err),))
        else:
            report = verify_credential(credential, resolver=resolver, now=now, options=options)
        presented.append(_presented(index, report, holder, require_holder_binding=require_holder_binding))
    return PresentationReport(tuple(checks), tuple(presented), holder)
