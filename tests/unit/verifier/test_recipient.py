"""Recipient binding (OB 3.0 «9.1» step 5): hashed and plaintext identifiers, subject ids."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

import pytest

from issuer.issuance import Award, build_credential
from tests.conftest import NOW, TestIssuer
from verifier.errors import MalformedCredentialError, RecipientMismatchError
from verifier.recipient import check_recipient, identity_hash_matches

if TYPE_CHECKING:
    from issuer.definitions import BadgeCatalog

# The IdentityHash example of OB 3.0 «B.7»: SHA-256("a@example.com" + "Kosher").
SPEC_HASH = "sha256$b5809d8a92f8858436d7e6b87c12ebc0ae1eac4baecc2c0b913aee2c922ef399"


def _credential(*identifiers: dict[str, Any], subject_id: str | None = None) -> dict[str, Any]:
    subject: dict[str, Any] = {"type": ["AchievementSubject"], "achievement": {"id": "urn:example:a"}}
    if identifiers:
        subject["identifier"] = list(identifiers)
    if subject_id is not None:
        subject["id"] = subject_id
    return {"type": ["VerifiableCredential", "OpenBadgeCredential"], "credentialSubject": subject}


def _identity(
    identity_hash: str, *, hashed: bool = True, salt: str | None = "Kosher", kind: str = "emailAddress"
) -> dict[str, Any]:
    identity: dict[str, Any] = {
        "type": "IdentityObject",
        "hashed": hashed,
        "identityHash": identity_hash,
        "identityType": kind,
    }
    if salt is not None:
        identity["salt"] = salt
    return identity


def test_check_recipient_matches_the_spec_example() -> None:
    message = check_recipient(_credential(_identity(SPEC_HASH)), "a@example.com")
    assert message == "the emailAddress matches the credential's hashed recipient identifier, salted"


def test_check_recipient_email_is_trimmed_and_lower_cased() -> None:
    assert check_recipient(_credential(_identity(SPEC_HASH)), "  A@Example.COM \n") is not None


def test_check_recipient_hex_case_does_not_matter() -> None:
    upper = "sha256$" + SPEC_HASH.removeprefix("sha256$").upper()
    assert check_recipient(_credential(_identity(upper)), "a@example.com") is not None


def test_check_recipient_md5_hash() -> None:
    digest = hashlib.md5(b"a@example.comKosher", usedforsecurity=False).hexdigest()
    assert check_recipient(_credential(_identity(f"md5${digest}")), "a@example.com") is not None


def test_check_recipient_unsalted_hash() -> None:
    digest = hashlib.sha256(b"a@example.com").hexdigest()
    message = check_recipient(_credential(_identity(f"sha256${digest}", salt=None)), "a@example.com")
    assert message == "the emailAddress matches the credential's hashed recipient identifier"


def test_check_recipient_mismatch_raises_without_revealing_the_identifier() -> None:
    with pytest.raises(RecipientMismatchError) as caught:
        check_recipient(_credential(_identity(SPEC_HASH)), "someone.else@example.com")
    assert caught.value.code == "RECIPIENT_MISMATCH"
    assert "someone.else" not in str(caught.value)
    assert "1 recipient identifier(s) compared" in str(caught.value)


def test_check_recipient_plaintext_identifier() -> None:
    credential = _credential(_identity("S-20931", hashed=False, salt=None, kind="sisSourcedId"))
    assert check_recipient(credential, "S-20931", identity_type="sisSourcedId") == (
        "the sisSourcedId matches the credential's plaintext recipient identifier"
    )
    with pytest.raises(RecipientMismatchError):
        check_recipient(credential, "S-20932", identity_type="sisSourcedId")


def test_check_recipient_plaintext_email_ignores_case() -> None:
    credential = _credential(_identity("A@Example.com", hashed=False, salt=None))
    assert check_recipient(credential, "a@example.com") is not None


def test_check_recipient_only_compares_identifiers_of_the_given_type() -> None:
    credential = _credential(
        _identity(SPEC_HASH), _identity("S-1", hashed=False, salt=None, kind="sisSourcedId")
    )
    assert check_recipient(credential, "S-1", identity_type="sisSourcedId") is not None
    # The e-mail identifier exists but is not compared with a student number: nothing to compare.
    assert check_recipient(_credential(_identity(SPEC_HASH)), "S-1", identity_type="sisSourcedId") is None


def test_check_recipient_subject_did() -> None:
    did = "did:key:z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi"
    credential = _credential(subject_id=did)
    assert (
        check_recipient(credential, did) == "the recipient is the credential subject (credentialSubject.id)"
    )
    with pytest.raises(RecipientMismatchError):
        check_recipient(credential, "did:key:z6MknNQD1WHLGGraFi6zcbGevuAgkVfdyCdtZnQTGWVVvR5Q")
    # An e-mail address cannot be compared with a DID subject: binding is unknown, not refuted.
    assert check_recipient(credential, "a@example.com") is None


def test_check_recipient_second_identifier_can_match() -> None:
    other = _identity("sha256$" + "0" * 64)
    assert check_recipient(_credential(other, _identity(SPEC_HASH)), "a@example.com") is not None


def test_check_recipient_malformed_hash_is_malformed() -> None:
    with pytest.raises(MalformedCredentialError, match="'sha256\\$<hex>' or 'md5\\$<hex>'"):
        check_recipient(_credential(_identity("sha1$" + "0" * 40)), "a@example.com")
    with pytest.raises(MalformedCredentialError, match="64 hex digits"):
        check_recipient(_credential(_identity("sha256$abc")), "a@example.com")


def test_check_recipient_malformed_entry_is_skipped_when_another_is_compared() -> None:
    credential = _credential(_identity("sha1$00"), _identity(SPEC_HASH))
    with pytest.raises(RecipientMismatchError, match="1 malformed identifier"):
        check_recipient(credential, "b@example.com")


def test_check_recipient_without_subject_is_malformed() -> None:
    with pytest.raises(MalformedCredentialError, match="no credentialSubject"):
        check_recipient({"type": ["VerifiableCredential"]}, "a@example.com")


def test_check_recipient_empty_known_value_is_refused() -> None:
    with pytest.raises(RecipientMismatchError, match="no recipient identifier"):
        check_recipient(_credential(_identity(SPEC_HASH)), "   ")


def test_identity_hash_matches_needs_the_salt() -> None:
    assert identity_hash_matches(SPEC_HASH, candidate="a@example.com", salt="Kosher")
    assert not identity_hash_matches(SPEC_HASH, candidate="a@example.com", salt="")


def test_check_recipient_of_an_issued_badge(catalog: BadgeCatalog, issuer: TestIssuer) -> None:
    award = Award(definition=catalog.get("math-7rp-proportional"), level=3, recipient="Learner@Example.org")
    credential = build_credential(
        award,
        issuer.profile,
        credential_id="urn:uuid:5e2f0c4e-3333-4a4a-9b9b-0123456789ab",
        now=NOW,
        salt="pepper",
    )
    assert check_recipient(credential, "learner@example.org") is not None
    with pytest.raises(RecipientMismatchError):
        check_recipient(credential, "learner@example.com")
