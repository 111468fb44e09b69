"""verify_presentation: holder proof, challenge, domain, each credential, binding to the presenter."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519

from issuer.issuance import Award, build_credential
from keys.encoding import base58btc_encode, did_key_from_public_key, public_key_from_did_key
from keys.signer import Ed25519Signer, Signer
from tests.conftest import NOW, TestIssuer
from verifier.errors import InvalidSignatureError, ProofPurposeError
from verifier.presentation import PresentationReport, verify_ed25519_signature_2020, verify_presentation
from verifier.proofs import data_integrity
from verifier.resolve import OfflineFetcher, Resolver

if TYPE_CHECKING:
    from issuer.definitions import BadgeCatalog

SPEC = Path(__file__).resolve().parents[3].parent / "shared" / "spec"
DCC_STATUS_LIST = SPEC / "examples" / "dcc" / "bitstring-status-list-credential-e5WK8CbZ1GjycuPombrj.json"
VC_V2 = "https://www.w3.org/ns/credentials/v2"
ED25519_2020_CONTEXT = "https://w3id.org/security/suites/ed25519-2020/v1"
CHALLENGE = "c0ffee-4f1d-9b2a"
DOMAIN = "registrar.example.edu"


class Holder:
    """A learner's wallet: an Ed25519 key and its did:key."""

    def __init__(self) -> None:
        self.signer: Signer = Ed25519Signer(ed25519.Ed25519PrivateKey.generate(), key_id="wallet")
        self.did = did_key_from_public_key(self.signer.public_key())
        self.method = f"{self.did}#{self.did.removeprefix('did:key:')}"


@pytest.fixture(name="holder")
def fx_holder() -> Holder:
    return Holder()


def _badge(catalog: BadgeCatalog, issuer: TestIssuer, recipient: str) -> dict[str, Any]:
    award = Award(definition=catalog.get("math-7rp-proportional"), level=3, recipient=recipient)
    return build_credential(
        award,
        issuer.profile,
        credential_id="urn:uuid:1a2b3c4d-5555-4a4a-9b9b-0123456789ab",
        now=NOW,
        salt="s4lt",
    )


def _presentation(
    *credentials: Any, holder: str | None = None, context: list[str] | None = None
) -> dict[str, Any]:
    presentation: dict[str, Any] = {
        "@context": context or [VC_V2],
        "type": ["VerifiablePresentation"],
        "verifiableCredential": list(credentials),
    }
    if holder is not None:
        presentation["holder"] = holder
    return presentation


def _sign(
    presentation: dict[str, Any],
    signer: Signer,
    method: str,
    *,
    challenge: str | None = CHALLENGE,
    domain: str | None = DOMAIN,
    purpose: str = "authentication",
    cryptosuite: str = "eddsa-rdfc-2022",
) -> dict[str, Any]:
    options: dict[str, Any] = {
        "type": "DataIntegrityProof",
        "cryptosuite": cryptosuite,
        "created": "2026-11-23T12:00:00Z",
        "verificationMethod": method,
        "proofPurpose": purpose,
    }
    if challenge is not None:
        options["challenge"] = challenge
    if domain is not None:
        options["domain"] = domain
    return data_integrity.add_proof(
        presentation, options, signer.sign(data_integrity.signing_input(presentation, options))
    )


def _verify(
    presentation: Any,
    issuer: TestIssuer,
    *,
    challenge: str | None = CHALLENGE,
    domain: str | None = DOMAIN,
    **kwargs: Any,
) -> PresentationReport:
    return verify_presentation(
        presentation, resolver=issuer.resolver(), now=NOW, challenge=challenge, domain=domain, **kwargs
    )


def _failures(report: PresentationReport) -> dict[str, str | None]:
    return {c.id: c.code for c in report.checks if not c.passed}


def _credential_failures(report: PresentationReport, index: int = 0) -> dict[str, str | None]:
    """Failed checks of one presented credential; the holder-binding warning is asserted on its own."""
    return {c.id: c.code for c in report.credentials[index].report.checks if not c.passed and not c.warning}


def test_verify_presentation_valid_and_bound_to_the_presenter(
    catalog: BadgeCatalog, issuer: TestIssuer, holder: Holder
) -> None:
    badge = issuer.sign_ldp(_badge(catalog, issuer, holder.did))
    signed = _sign(_presentation(badge, holder=holder.did), holder.signer, holder.method)
    report = _verify(json.dumps(signed), issuer)
    assert report.verdict == "valid", report.to_json()
    assert report.holder == holder.did
    assert [c.id for c in report.checks] == ["format", "proof", "holder", "challenge", "domain"]
    presented = report.credentials[0]
    assert presented.bound_to_holder
    assert presented.binding == f"bound to the presenter: the subject {holder.did} signed the presentation"
    assert presented.report.check("holder_binding") is not None
    assert report.to_json()["credentials"][0]["boundToHolder"] is True


def test_verify_presentation_wrong_challenge(
    catalog: BadgeCatalog, issuer: TestIssuer, holder: Holder
) -> None:
    badge = issuer.sign_ldp(_badge(catalog, issuer, holder.did))
    signed = _sign(_presentation(badge), holder.signer, holder.method, challenge="an-old-challenge")
    report = _verify(signed, issuer)
    assert report.verdict == "invalid"
    assert _failures(report) == {"challenge": "INVALID_CHALLENGE"}


def test_verify_presentation_missing_challenge_when_one_is_required(
    catalog: BadgeCatalog, issuer: TestIssuer, holder: Holder
) -> None:
    signed = _sign(_presentation(), holder.signer, holder.method, challenge=None)
    assert _failures(_verify(signed, issuer)) == {"challenge": "INVALID_CHALLENGE"}
    # Not asked for: reported as passed, with the replay caveat.
    report = _verify(signed, issuer, challenge=None)
    assert report.verdict == "valid"
    challenge_check = report.check("challenge")
    assert challenge_check is not None
    assert "replayed" in challenge_check.message


def test_verify_presentation_wrong_domain(catalog: BadgeCatalog, issuer: TestIssuer, holder: Holder) -> None:
    signed = _sign(_presentation(), holder.signer, holder.method, domain="evil.example")
    report = _verify(signed, issuer)
    assert _failures(report) == {"domain": "INVALID_DOMAIN"}
    assert "'evil.example' is not the expected 'registrar.example.edu'" in str(report.to_json())


def test_verify_presentation_challenge_changed_after_signing_breaks_the_proof(
    issuer: TestIssuer, holder: Holder
) -> None:
    signed = _sign(_presentation(), holder.signer, holder.method, challenge="old")
    signed["proof"][0]["challenge"] = CHALLENGE
    assert _failures(_verify(signed, issuer)) == {"proof": "INVALID_SIGNATURE"}


def test_verify_presentation_tampered_credential_signed_by_the_holder(
    catalog: BadgeCatalog, issuer: TestIssuer, holder: Holder
) -> None:
    badge = issuer.sign_ldp(_badge(catalog, issuer, holder.did))
    badge["credentialSubject"]["result"][0]["achievedLevel"] = badge["credentialSubject"]["result"][0][
        "achievedLevel"
    ].replace("level-3", "level-4")
    signed = _sign(_presentation(badge), holder.signer, holder.method)
    report = _verify(signed, issuer)
    assert _failures(report) == {}  # the holder did sign this presentation
    assert _credential_failures(report) == {"proof": "INVALID_SIGNATURE"}
    assert report.verdict == "invalid"


def test_verify_presentation_tampered_after_presenting(
    catalog: BadgeCatalog, issuer: TestIssuer, holder: Holder
) -> None:
    badge = issuer.sign_ldp(_badge(catalog, issuer, holder.did))
    signed = _sign(_presentation(badge), holder.signer, holder.method)
    signed["verifiableCredential"][0]["name"] = "Calculus"
    report = _verify(signed, issuer)
    assert _failures(report) == {"proof": "INVALID_SIGNATURE"}
    assert _credential_failures(report) == {"proof": "INVALID_SIGNATURE"}
    assert not report.credentials[0].bound_to_holder  # a broken holder proof binds nothing


def test_verify_presentation_holder_not_subject(
    catalog: BadgeCatalog, issuer: TestIssuer, holder: Holder
) -> None:
    someone_else = Holder().did
    for_email = issuer.sign_ldp(_badge(catalog, issuer, "learner@example.org"))
    for_other = issuer.sign_ldp(_badge(catalog, issuer, someone_else))
    signed = _sign(_presentation(for_email, for_other), holder.signer, holder.method)
    report = _verify(signed, issuer)
    assert report.verdict == "valid"  # genuine badges, only not bound
    assert [c.bound_to_holder for c in report.credentials] == [False, False]
    assert report.credentials[0].binding.startswith("not bound: the credential names no subject id")
    assert (
        report.credentials[1].binding
        == f"not bound: the subject {someone_else} is not the presenter {holder.did}"
    )
    required = _verify(signed, issuer, require_holder_binding=True)
    assert required.verdict == "invalid"
    assert [_credential_failures(required, i) for i in (0, 1)] == [
        {"holder_binding": "RECIPIENT_MISMATCH"}
    ] * 2


def test_verify_presentation_holder_property_must_be_the_signer(
    catalog: BadgeCatalog, issuer: TestIssuer, holder: Holder
) -> None:
    badge = issuer.sign_ldp(_badge(catalog, issuer, holder.did))
    signed = _sign(_presentation(badge, holder=Holder().did), holder.signer, holder.method)
    report = _verify(signed, issuer)
    assert _failures(report) == {"holder": "PRESENTATION_ERROR"}
    assert report.holder is None
    assert not report.credentials[0].bound_to_holder


def test_verify_presentation_needs_the_authentication_purpose(issuer: TestIssuer, holder: Holder) -> None:
    signed = _sign(_presentation(), holder.signer, holder.method, purpose="assertionMethod")
    assert _failures(_verify(signed, issuer)) == {"proof": "INVALID_PROOF_PURPOSE"}


def test_verify_presentation_with_an_enveloped_jwt(
    catalog: BadgeCatalog, issuer: TestIssuer, holder: Holder
) -> None:
    token = issuer.sign_jwt(_badge(catalog, issuer, holder.did), "RS256")
    enveloped = {
        "@context": VC_V2,
        "id": f"data:application/vc+jwt,{token}",
        "type": "EnvelopedVerifiableCredential",
    }
    report = _verify(_sign(_presentation(enveloped), holder.signer, holder.method), issuer)
    assert report.verdict == "valid", report.to_json()
    assert report.credentials[0].report.format == "jwt"
    assert report.credentials[0].bound_to_holder


def test_verify_presentation_with_a_bare_jwt_under_jcs(
    catalog: BadgeCatalog, issuer: TestIssuer, holder: Holder
) -> None:
    token = issuer.sign_jwt(_badge(catalog, issuer, holder.did), "ES256")
    signed = _sign(_presentation(token), holder.signer, holder.method, cryptosuite="eddsa-jcs-2022")
    report = _verify(signed, issuer)
    assert report.verdict == "valid", report.to_json()
    assert report.credentials[0].bound_to_holder


def test_verify_presentation_refuses_a_bare_jwt_under_rdfc(
    catalog: BadgeCatalog, issuer: TestIssuer, holder: Holder
) -> None:
    # RDF canonicalization would drop the string, leaving it outside what the holder signed.
    token = issuer.sign_jwt(_badge(catalog, issuer, holder.did), "RS256")
    report = _verify(_sign(_presentation(token), holder.signer, holder.method), issuer)
    assert _failures(report) == {"proof": "PRESENTATION_ERROR"}
    assert "EnvelopedVerifiableCredential" in str(report.to_json())


def test_verify_presentation_bad_envelope_and_entry(issuer: TestIssuer, holder: Holder) -> None:
    envelope = {"@context": VC_V2, "id": "data:text/plain,hello", "type": "EnvelopedVerifiableCredential"}
    signed = _sign(_presentation(envelope, 42), holder.signer, holder.method, cryptosuite="eddsa-jcs-2022")
    report = _verify(signed, issuer)
    assert _failures(report) == {}
    assert [_credential_failures(report, i) for i in (0, 1)] == [{"format": "MALFORMED_CREDENTIAL"}] * 2
    assert "data:text/plain" in report.credentials[0].report.checks[0].message
    assert "a verifiableCredential entry is a int" in report.credentials[1].report.checks[0].message


def test_verify_presentation_did_web_holder(catalog: BadgeCatalog, issuer: TestIssuer) -> None:
    # An organisation presenting (its DID document lists its keys under authentication).
    signer = issuer.signer("EdDSA")
    signed = _sign(_presentation(holder=issuer.did), signer, issuer.method(signer))
    report = _verify(signed, issuer)
    assert report.verdict == "valid", report.to_json()
    assert report.holder == issuer.did


def test_verify_presentation_unresolvable_holder_is_indeterminate(issuer: TestIssuer) -> None:
    signer = issuer.signer("EdDSA")
    signed = _sign(_presentation(), signer, issuer.method(signer))
    report = verify_presentation(
        signed, resolver=Resolver(OfflineFetcher()), now=NOW, challenge=CHALLENGE, domain=DOMAIN
    )
    assert report.verdict == "indeterminate"
    assert _failures(report) == {"proof": "KEY_RESOLUTION_ERROR"}


@pytest.mark.parametrize(
    ("raw", "code", "message"),
    [
        (b"not json", "MALFORMED_CREDENTIAL", "not JSON"),
        (b"eyJhbGciOiJFZERTQSJ9.eyJ2cCI6e319.c2ln", "MALFORMED_CREDENTIAL", "VP-JWT"),
        (
            json.dumps({"type": ["VerifiableCredential"]}).encode(),
            "MALFORMED_CREDENTIAL",
            "not a presentation",
        ),
        (json.dumps(_presentation()).encode(), "PRESENTATION_ERROR", "no proof"),
    ],
)
def test_verify_presentation_malformed_inputs(
    issuer: TestIssuer, raw: bytes, code: str, message: str
) -> None:
    report = _verify(raw, issuer)
    assert report.verdict == "invalid"
    assert _failures(report) == {"format": code}
    assert message in report.checks[0].message


def test_verify_presentation_two_proofs_are_refused(issuer: TestIssuer, holder: Holder) -> None:
    once = _sign(_presentation(), holder.signer, holder.method)
    twice = _sign(once, holder.signer, holder.method)
    assert _failures(_verify(twice, issuer)) == {"format": "PRESENTATION_ERROR"}


# --------------------------------------------------------------------------------------------------
# Ed25519Signature2020 (the DCC wallet's presentation suite)
# --------------------------------------------------------------------------------------------------


def test_verify_ed25519_signature_2020_dcc_vector() -> None:
    document = json.loads(DCC_STATUS_LIST.read_text(encoding="utf-8"))
    proof = document["proof"]
    key = public_key_from_did_key(proof["verificationMethod"])
    assert isinstance(key, ed25519.Ed25519PublicKey)
    verify_ed25519_signature_2020(document, proof, key, expected_purpose="assertionMethod")
    with pytest.raises(ProofPurposeError):
        verify_ed25519_signature_2020(document, proof, key, expected_purpose="authentication")
    tampered = copy.deepcopy(document)
    tampered["credentialSubject"]["statusPurpose"] = "suspension"
    with pytest.raises(InvalidSignatureError):
        verify_ed25519_signature_2020(tampered, proof, key, expected_purpose="assertionMethod")


def _sign_2020(presentation: dict[str, Any], holder: Holder, *, challenge: str) -> dict[str, Any]:
    """Sign as the DCC wallet does: Ed25519Signature2020 over the eddsa-rdfc-2022 hash data."""
    proof = {
        "type": "Ed25519Signature2020",
        "created": "2026-11-23T12:00:00Z",
        "verificationMethod": holder.method,
        "proofPurpose": "authentication",
        "challenge": challenge,
    }
    document = {key: value for key, value in presentation.items() if key != "proof"}
    config = {"@context": document["@context"], **proof}
    data = data_integrity.hashing(
        data_integrity.transformation(document, cryptosuite="eddsa-rdfc-2022"),
        canonical_proof_config=data_integrity.transformation(config, cryptosuite="eddsa-rdfc-2022"),
    )
    return presentation | {"proof": proof | {"proofValue": "z" + base58btc_encode(holder.signer.sign(data))}}


def test_verify_presentation_ed25519_signature_2020(
    catalog: BadgeCatalog, issuer: TestIssuer, holder: Holder
) -> None:
    badge = issuer.sign_ldp(_badge(catalog, issuer, holder.did))
    presentation = _presentation(badge, holder=holder.did, context=[VC_V2, ED25519_2020_CONTEXT])
    signed = _sign_2020(presentation, holder, challenge=CHALLENGE)
    report = _verify(signed, issuer, domain=None)
    assert report.verdict == "valid", report.to_json()
    proof_check = report.check("proof")
    assert proof_check is not None
    assert proof_check.message.startswith("Ed25519Signature2020 signature")
    assert report.credentials[0].bound_to_holder
    assert _failures(_verify(signed, issuer, challenge="another", domain=None)) == {
        "challenge": "INVALID_CHALLENGE"
    }


def test_verify_presentation_unknown_proof_type(issuer: TestIssuer, holder: Holder) -> None:
    signed = _sign(_presentation(), holder.signer, holder.method)
    signed["proof"][0]["type"] = "JsonWebSignature2020"
    assert _failures(_verify(signed, issuer)) == {"proof": "UNSUPPORTED_PROOF"}


def test_verify_presentation_ed25519_signature_2020_needs_its_context(
    issuer: TestIssuer, holder: Holder
) -> None:
    signed = _sign_2020(_presentation(context=[VC_V2, ED25519_2020_CONTEXT]), holder, challenge=CHALLENGE)
    signed["@context"] = [VC_V2]  # the suite's terms are then undefined: refused, not guessed
    assert _failures(_verify(signed, issuer, domain=None)) == {"proof": "CANONICALIZATION_ERROR"}


def test_verify_presentation_unbound_badge_is_a_visible_warning(
    catalog: BadgeCatalog, issuer: TestIssuer, holder: Holder
) -> None:
    # Someone else's genuine badge in a stranger's presentation: shown as not bound, verdict unchanged.
    badge = issuer.sign_ldp(
        _badge(catalog, issuer, "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK")
    )
    report = _verify(_sign(_presentation(badge), holder.signer, holder.method), issuer)
    check = report.credentials[0].report.check("holder_binding")
    assert check is not None
    assert (check.passed, check.warning, check.code) == (False, True, "NOT_HOLDER_BOUND")
    assert report.verdict == "valid"
