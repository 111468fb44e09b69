"""Properties of signing and canonicalization (issue #3).

1. Any credential the project signs verifies: eddsa-rdfc-2022, eddsa-jcs-2022, both as a proof set,
   and a VC-JWT when the recipient is a DID.
2. Changing any field of a signed credential breaks its proof, with the error code that kind of
   change must give. eddsa-rdfc-2022 signs the RDF dataset, not the JSON: a change that leaves the
   dataset equal (a duplicate in a set-valued array) must keep verifying, and is checked as such.
3. Canonicalization ignores key order, and RDFC-1.0 is idempotent on its own output.

Signing is real (the session key store of tests/conftest.py) and costs milliseconds, so the example
counts are modest and there is no deadline (the machine is shared and noisy).
"""

from __future__ import annotations

import copy
import hashlib
import json
from dataclasses import dataclass, replace
from functools import cache
from typing import TYPE_CHECKING, Any, Final, Literal

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import event, given, settings
from hypothesis import strategies as st

from issuer.issuance import (
    NOT_XML_CHAR,
    Attester,
    Award,
    EvidenceItem,
    IssuerProfile,
    build_credential,
    sign_data_integrity,
    sign_vc_jwt,
)
from keys.encoding import did_key_from_public_key
from tests.conftest import NOW, SPEC, TestIssuer
from verifier.canonical import canonicalize_nquads, jcs, rdfc_1_0
from verifier.verify import VerificationReport, verify_credential

if TYPE_CHECKING:
    import random
    from collections.abc import Mapping
    from pathlib import Path

    from issuer.definitions import BadgeCatalog, BadgeDefinition
    from keys.signer import Signer
    from verifier.resolve import Resolver

SETTINGS: Final = settings(max_examples=30, deadline=None)
SUITES: Final = ("eddsa-rdfc-2022", "eddsa-jcs-2022")
Suite = Literal["eddsa-rdfc-2022", "eddsa-jcs-2022"]
JsonPath = tuple[str | int, ...]

INVALID_SIGNATURE: Final = frozenset({"INVALID_SIGNATURE"})
CANONICALIZATION_ERROR: Final = frozenset({"CANONICALIZATION_ERROR"})
CONTEXT_NOT_ALLOWED: Final = frozenset({"CONTEXT_NOT_ALLOWED"})
# eddsa-jcs-2022 proofs carry the @context they were made with; a document whose @context does not
# start with it fails before any signature check (VC-DI-EDDSA §3.3.2 step 4.1), as a ProofError.
PROOF_CONTEXT_MISMATCH: Final = frozenset({"PROOF_VERIFICATION_ERROR"})


# --- signing setup ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Signing:
    """One did:web issuer, its resolver and unlocked signers for the whole module."""

    issuer: TestIssuer
    resolver: Resolver
    # Unlocked once: each FileKeyStore.active_signer call decrypts the PKCS#8 file (~120 ms here),
    # which would be most of the run time if paid per signature as TestIssuer.sign_ldp does.
    signers: Mapping[str, Signer]

    def sign(self, credential: dict[str, Any], suite: Suite) -> dict[str, Any]:
        signer = self.signers["EdDSA"]
        return sign_data_integrity(
            credential, signer, verification_method=self.issuer.method(signer), created=NOW, cryptosuite=suite
        )

    def sign_jwt(self, credential: dict[str, Any], algorithm: str) -> str:
        signer = self.signers[algorithm]
        return sign_vc_jwt(credential, signer, kid=self.issuer.method(signer))

    def verify(self, raw: str | dict[str, Any]) -> VerificationReport:
        return verify_credential(raw, resolver=self.resolver, now=NOW)


@pytest.fixture(name="signing", scope="module")
def fx_signing(issuer_store_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Signing:
    # As tests/conftest.py's function-scoped `issuer`, but built once: hypothesis runs many examples
    # per test call and a function-scoped fixture would not be reset between them anyway.
    issuer = TestIssuer.copied_from(issuer_store_dir, tmp_path_factory.mktemp("sign-verify-properties"))
    signers = {algorithm: issuer.signer(algorithm) for algorithm in ("EdDSA", "RS256", "ES256")}
    return Signing(issuer=issuer, resolver=issuer.resolver(), signers=signers)


# --- strategies ------------------------------------------------------------------------------------

# Characters that break naive serializers: control characters pyld's own canonicalizer leaves
# unescaped (../shared/MEASURED.md), JSON and N-Quads syntax, combining marks, ZWJ emoji, astral
# characters, line separators, a BOM.
_AWKWARD: Final = (
    "\b", "\f", "\x7f", "\x00", "\x1b", "\x85", '"', "'", "\\", "\n", "\r", "\r\n", "\t",
    "\u2028", "\u2029", "\ufeff", "\u200d", "é", "e\u0301", "😀", "中文", "ﷺ",
    "\U0001f469\U0001f3fd\u200d\U0001f527", "\U0001d518\U0001d52b\U0001d526",
    "<script>", "&amp;", "_:b0", "<http://x.example/>", ' .\n', '"@en', "^^<x:y>", "\\u0000",
)  # fmt: skip

_texts: Final = st.one_of(
    st.text(max_size=60),
    st.lists(st.one_of(st.sampled_from(_AWKWARD), st.text(max_size=4)), max_size=12).map("".join),
    # Very long strings, cheap for hypothesis to generate and shrink.
    st.builds(
        lambda unit, length: (unit * length)[:length],
        st.text(min_size=1, max_size=3),
        st.integers(min_value=2_000, max_value=20_000),
    ),
)
# What the issuer accepts as free text (XML 1.0 characters: it also goes into SVG badges); the
# awkward characters it refuses are put back into each credential below, as another issuer may send them.
_issuer_texts: Final = _texts.map(lambda text: NOT_XML_CHAR.sub("", text))
_urns: Final = st.uuids().map(lambda value: f"urn:uuid:{value}")
_evidence_urls: Final = st.one_of(
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-._~", min_size=1, max_size=30).map(
        lambda tail: f"https://evidence.example.org/{tail}"
    ),
    # Evidence links are web addresses (OB 3.0 Evidence.id; the issuer refuses anything else).
    st.uuids().map(lambda value: f"http://portfolio.example.edu/items?id={value}&view=full"),
)
_did_keys: Final = st.binary(min_size=32, max_size=32).map(
    lambda seed: did_key_from_public_key(Ed25519PrivateKey.from_private_bytes(seed).public_key())
)


@st.composite
def _awards(draw: st.DrawFn, catalog: BadgeCatalog) -> Award:
    """A decision a teacher could record: any badge, level, recipient, attester and evidence."""
    definition: BadgeDefinition = draw(st.sampled_from(list(catalog)))
    attester = draw(
        st.one_of(
            st.none(),
            st.builds(
                Attester,
                id=_urns,
                name=_issuer_texts,
                role=st.sampled_from(definition.attester_roles),
                organization=st.none() | _issuer_texts,
            ),
        )
    )
    items = draw(
        st.lists(
            st.builds(
                EvidenceItem,
                name=_issuer_texts,
                narrative=st.none() | _issuer_texts,
                url=st.none() | _evidence_urls,
                genre=st.none() | _issuer_texts,
            ),
            max_size=3,
        )
    )
    # Distinct evidence ids: two items with one id are one RDF node, and then dropping one of them
    # may not change the dataset. Items without an id stay free to be identical (ambiguous blank
    # nodes, the hard case of RDFC-1.0).
    evidence = [
        replace(item, url=f"{item.url}#e{index}") if item.url else item for index, item in enumerate(items)
    ]
    return Award(
        definition=definition,
        level=draw(st.integers(min_value=definition.required_level, max_value=4)),
        recipient=draw(st.one_of(st.emails(), _did_keys)),
        attester=attester,
        evidence=tuple(evidence),
        narrative=draw(st.none() | _issuer_texts),
    )


@st.composite
def _credentials(draw: st.DrawFn, catalog: BadgeCatalog, issuer: IssuerProfile) -> dict[str, Any]:
    credential = build_credential(
        draw(_awards(catalog)),
        issuer,
        credential_id=draw(_urns),
        now=NOW,
        salt=draw(st.text(alphabet="0123456789abcdef", min_size=8, max_size=32)),
    )
    # Any text at all, control characters included: signing and canonicalization must cope with what
    # other issuers put in a credential, even what ours refuses to write.
    description = draw(st.none() | _texts)
    if description is not None:
        credential["description"] = description
    return credential


# --- 1. any credential the project signs verifies -------------------------------------------------


@SETTINGS
@given(data=st.data())
def test_sign_verify_any_signed_credential_verifies(
    signing: Signing, catalog: BadgeCatalog, data: st.DataObject
) -> None:
    credential = data.draw(_credentials(catalog, signing.issuer.profile), label="credential")
    ensure_ascii = data.draw(st.booleans(), label="ensure_ascii")
    for suite in SUITES:
        signed = signing.sign(credential, suite)
        # Verified as the stored text, so JSON escaping of the awkward characters is exercised too.
        report = signing.verify(json.dumps(signed, ensure_ascii=ensure_ascii))
        assert report.verdict == "valid", (suite, report.to_json())
        assert report.check("proof") is not None

    # A proof set: the second proof signs the same document (Data Integrity "Proof Sets").
    both = signing.sign(signing.sign(credential, "eddsa-rdfc-2022"), "eddsa-jcs-2022")
    report = signing.verify(both)
    assert report.verdict == "valid", report.to_json()
    assert {c.id for c in report.checks if c.passed} >= {"proof[0]", "proof[1]"}

    subject_id = credential["credentialSubject"].get("id")
    if isinstance(subject_id, str):  # OB 3.0 §8.2: a VC-JWT needs a DID subject for `sub`
        algorithm = data.draw(st.sampled_from(["RS256", "ES256", "EdDSA"]), label="jwt alg")
        report = signing.verify(signing.sign_jwt(credential, algorithm))
        assert report.verdict == "valid", (algorithm, report.to_json())
        assert report.format == "jwt"


# --- 2. changing any field breaks the proof --------------------------------------------------------

ChangeKind = Literal["append", "flip", "increment", "duplicate", "drop"]


@dataclass(frozen=True)
class Change:
    """One edit of a signed credential: a scalar changed, or a list element copied or dropped."""

    path: JsonPath
    kind: ChangeKind
    index: int = 0  # the list element duplicated or dropped
    char: str = "x"  # appended to a string

    def apply(self, document: dict[str, Any]) -> dict[str, Any]:
        changed = copy.deepcopy(document)
        parent: Any = changed
        for step in self.path[:-1]:
            parent = parent[step]
        key = self.path[-1]
        value = parent[key]
        if self.kind == "append":
            parent[key] = value + self.char
        elif self.kind == "flip":
            parent[key] = not value
        elif self.kind == "increment":
            parent[key] = value + 1
        elif self.kind == "duplicate":
            value.append(copy.deepcopy(value[self.index]))
        else:
            del value[self.index]
        return changed


def _get(document: Any, path: JsonPath) -> Any:
    for step in path:
        document = document[step]
    return document


def _targets(value: Any, path: JsonPath = ()) -> list[JsonPath]:
    """Every scalar and every non-empty list of a credential, outside its ``proof``."""
    if isinstance(value, dict):
        return [
            target
            for key, item in value.items()
            if not (path == () and key == "proof")
            for target in _targets(item, (*path, key))
        ]
    if isinstance(value, list):
        nested = [target for index, item in enumerate(value) for target in _targets(item, (*path, index))]
        return ([path] if value else []) + nested
    return [path]


def _scalar_kind(value: object) -> ChangeKind:
    if isinstance(value, bool):
        return "flip"
    if isinstance(value, int | float):
        return "increment"
    return "append"


def _all_changes(document: dict[str, Any], *, char: str) -> list[Change]:
    """Every change :func:`_changes` can draw for this document (list edits at every index)."""
    changes: list[Change] = []
    for path in _targets(document):
        value = _get(document, path)
        if isinstance(value, list):
            changes.extend(
                Change(path, kind, index) for kind in ("duplicate", "drop") for index in range(len(value))
            )
        else:
            changes.append(Change(path, _scalar_kind(value), char=char))
    return changes


# Appended to strings: letters and digits are valid in every IRI (RFC 3987 ucschar), so an edited
# @id, URL or date stays syntactically valid and the change must surface as a signature failure.
_appended_chars: Final = st.characters(categories=("Lu", "Ll", "Lo", "Nd"))


def _spread(paths: list[JsonPath], salt: str) -> list[JsonPath]:
    # hypothesis favours the first element of sampled_from (here always @context): order the paths
    # by a hash of the credential id instead, so the favoured one differs from one credential to the next.
    return sorted(paths, key=lambda path: hashlib.sha256(f"{salt} {path!r}".encode()).digest())


@st.composite
def _changes(draw: st.DrawFn, document: dict[str, Any]) -> Change:
    targets = _spread(_targets(document), str(document["id"]))
    scalars = st.sampled_from([path for path in targets if not isinstance(_get(document, path), list)])
    lists = st.sampled_from([path for path in targets if isinstance(_get(document, path), list)])
    # Two scalar edits for one list edit: fields are what a forger changes first.
    path = draw(st.one_of(scalars, scalars, lists), label="path")
    value = _get(document, path)
    if isinstance(value, list):
        kind: ChangeKind = draw(st.sampled_from(["duplicate", "drop"]), label="list edit")
        return Change(path, kind, draw(st.integers(min_value=0, max_value=len(value) - 1), label="index"))
    return Change(path, _scalar_kind(value), char=draw(_appended_chars, label="char"))


# Terms the pinned contexts define for every node, and the extra terms each type's type-scoped
# context defines (read from the spec copies of the pinned contexts, not from the verifier).
@cache
def _context_terms() -> tuple[frozenset[str], dict[str, frozenset[str]]]:
    top: set[str] = set()
    scoped: dict[str, frozenset[str]] = {}
    for name in ("credentials-v2.jsonld", "ob-v3p0-context-3.0.3.json"):
        context = json.loads((SPEC / "contexts" / name).read_text(encoding="utf-8"))["@context"]
        for term, definition in context.items():
            if isinstance(definition, dict) and isinstance(definition.get("@context"), dict):
                scoped[term] = frozenset(definition["@context"])
            top.add(term)
    return frozenset(top), scoped


def _undefined_terms(node: dict[str, Any], types: list[str]) -> set[str]:
    top, scoped = _context_terms()
    defined = set(top).union(*(scoped.get(t, frozenset()) for t in types))
    return {key for key in node if not key.startswith("@") and key not in defined}


def _creates_no_blank_node(value: Any) -> bool:
    """True if a copy of this array element adds no new RDF node: a literal, an IRI, or a node with
    an ``id`` whose nested objects all have ids too (JSON-LD merges node objects by ``@id``)."""
    if isinstance(value, dict):
        return "id" in value and all(
            _creates_no_blank_node(item)
            for nested in value.values()
            for item in (nested if isinstance(nested, list) else [nested])
            if isinstance(item, dict)
        )
    return True


# OB 3.0.3 terms whose arrays are ordered RDF lists (@container @list); a duplicate there is a change.
_LIST_CONTAINERS: Final = frozenset({"allowedValue"})


def _expected_codes(document: dict[str, Any], change: Change, suite: Suite) -> frozenset[str] | None:
    """The codes the proof check may fail with after ``change``; ``None``: it must still verify."""
    path, kind = change.path, change.kind
    in_context = path[:1] == ("@context",)
    if suite == "eddsa-jcs-2022":
        if not in_context:
            return INVALID_SIGNATURE
        # VC-DI-EDDSA §3.3.2 step 4: the proof's own @context must be a prefix of the document's,
        # and the document is then hashed with the proof's @context. Editing one of the signed
        # entries breaks the prefix; an entry appended after them is, by the spec, not covered.
        if kind == "duplicate":
            return None
        return PROOF_CONTEXT_MISMATCH
    if in_context:
        if kind == "append":
            return CONTEXT_NOT_ALLOWED  # no longer one of the pinned context URLs
        if kind == "drop":
            return CANONICALIZATION_ERROR  # VC or OB terms become undefined (safe mode)
        # A pinned context processed again redefines its protected terms with the same
        # definitions, which JSON-LD 1.1 allows (Create Term Definition): the dataset is the same.
        return None
    if kind == "append" and "type" in path[-2:]:
        # A type name (in a type array, or IdentityObject's plain string) that no context defines
        # is a relative IRI (safe mode).
        return CANONICALIZATION_ERROR
    if kind == "drop" and path[-1] == "type":
        node = _get(document, path[:-1])
        remaining = [t for i, t in enumerate(node["type"]) if i != change.index]
        # Dropping a type also drops its type-scoped context: terms only it defined become undefined.
        return CANONICALIZATION_ERROR if _undefined_terms(node, remaining) else INVALID_SIGNATURE
    if kind == "duplicate" and path[-1] not in _LIST_CONTAINERS:
        # JSON-LD arrays are sets unless @list: a repeated literal, IRI or identified node gives the
        # same triples again, and an RDF dataset is a set of quads. RDFC signs the dataset, so these
        # edits are not changes of the credential and must keep verifying. A copy of an object
        # without an id is a new blank node with its own quads: a change.
        element = _get(document, path)[change.index]
        return None if _creates_no_blank_node(element) else INVALID_SIGNATURE
    return INVALID_SIGNATURE


def _check_change(signing: Signing, signed: dict[str, Any], change: Change, suite: Suite) -> str | None:
    """Verify the changed credential; a description of the problem if the outcome is not the expected one."""
    expected = _expected_codes(signed, change, suite)
    report = signing.verify(change.apply(signed))
    proof = report.check("proof")
    if proof is None:
        return f"{suite} {change}: no proof check in {report.to_json()}"
    if expected is None:
        if not proof.passed:
            return f"{suite} {change}: an RDF-equal change should verify, got {proof.code}: {proof.message}"
        return None
    if report.verdict != "invalid" or proof.passed or proof.code not in expected:
        return f"{suite} {change}: expected {sorted(expected)}, got {proof.code} ({proof.message})"
    return None


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_sign_verify_any_change_breaks_the_proof(
    signing: Signing, catalog: BadgeCatalog, data: st.DataObject
) -> None:
    credential = data.draw(_credentials(catalog, signing.issuer.profile), label="credential")
    suite: Suite = data.draw(st.sampled_from(SUITES), label="suite")
    signed = signing.sign(credential, suite)
    change = data.draw(_changes(signed), label="change")
    expected = _expected_codes(signed, change, suite)
    event(f"{suite} {change.kind}: {'still valid' if expected is None else ', '.join(sorted(expected))}")

    assert _check_change(signing, signed, change, suite) is None


def _sweep_credential(signing: Signing, catalog: BadgeCatalog) -> dict[str, Any]:
    # Every kind of field at least once: a hashed e-mail recipient (a boolean), an attester, evidence
    # with and without an id (node and blank node), alignments, several types per object.
    definition = catalog.get("weld-smaw-3f")
    award = Award(
        definition=definition,
        level=4,
        recipient="learner@example.org",
        attester=Attester(
            id="urn:uuid:5e3c1d2a-0000-4000-8000-000000000001", name="R. Okafor", role="supervisor"
        ),
        evidence=(
            EvidenceItem(name="Coupon photos", url="https://evidence.example.org/e/42", genre="Photograph"),
            EvidenceItem(name="Break test", narrative="Passed.\nNo porosity.", genre="Test result"),
        ),
        narrative="Welded in the 3F and 4F positions.",
    )
    return build_credential(
        award,
        signing.issuer.profile,
        credential_id="urn:uuid:0b5c2d0e-6f1f-4c55-9d1c-2a0f3f9e7a11",
        now=NOW,
        salt="5a1t",
    )


@pytest.mark.parametrize("suite", SUITES)
def test_sign_verify_every_change_of_one_credential_has_its_expected_outcome(
    signing: Signing, catalog: BadgeCatalog, suite: Suite
) -> None:
    # The hypothesis test samples paths; this one walks all of them for one credential, so a path no
    # run happened to draw is still checked on every run.
    signed = signing.sign(_sweep_credential(signing, catalog), suite)
    changes = _all_changes(signed, char="é")

    problems = [problem for change in changes if (problem := _check_change(signing, signed, change, suite))]

    assert problems == []
    kinds = {change.kind for change in changes}
    assert kinds == {"append", "flip", "duplicate", "drop"}  # no numbers in a built credential
    if suite == "eddsa-rdfc-2022":  # both branches of the RDF-equality rule were exercised
        outcomes = {_expected_codes(signed, change, suite) is None for change in changes}
        assert outcomes == {True, False}


@SETTINGS
@given(data=st.data())
def test_sign_verify_rdf_equal_changes_keep_an_rdfc_proof_but_break_a_jcs_proof(
    signing: Signing, catalog: BadgeCatalog, data: st.DataObject
) -> None:
    credential = data.draw(_credentials(catalog, signing.issuer.profile), label="credential")
    rng = data.draw(st.randoms(use_true_random=False), label="order")

    def same_rdf(document: dict[str, Any]) -> dict[str, Any]:
        # Reorder every set-valued array and compact the issuer's one-element type array to a
        # string: JSON-LD reads both forms as the same triples.
        changed: dict[str, Any] = _reordered_arrays(document, rng)
        changed["issuer"]["type"] = changed["issuer"]["type"][0]
        return changed

    rdfc = same_rdf(signing.sign(credential, "eddsa-rdfc-2022"))
    jcs_signed = same_rdf(signing.sign(credential, "eddsa-jcs-2022"))

    assert signing.verify(rdfc).verdict == "valid"
    report = signing.verify(jcs_signed)
    proof = report.check("proof")
    assert proof is not None
    assert (report.verdict, proof.code) == ("invalid", "INVALID_SIGNATURE")


def _reordered_arrays(value: Any, rng: random.Random, key: str | None = None) -> Any:
    if isinstance(value, dict):
        return {k: _reordered_arrays(v, rng, k) for k, v in value.items()}
    if isinstance(value, list):
        items = [_reordered_arrays(item, rng) for item in value]
        # @context order is meaningful, and so are @list arrays and the proof set's order.
        if key not in {"@context", "proof", *_LIST_CONTAINERS}:
            rng.shuffle(items)
        return items
    return value


def test_sign_verify_jcs_ignores_contexts_appended_after_the_signed_ones(
    signing: Signing, catalog: BadgeCatalog
) -> None:
    # VC-DI-EDDSA §3.3.2 step 4 (eddsa-jcs-2022): the document's @context must *start with* the
    # proof's @context, and is then replaced by it before hashing. An appended context is not signed.
    # Here it is a pinned one, repeated; whether an unpinned appended context should be refused is
    # a verifier policy question outside this property.
    signed = signing.sign(_sweep_credential(signing, catalog), "eddsa-jcs-2022")
    appended = copy.deepcopy(signed)
    appended["@context"].append(appended["@context"][1])
    report = signing.verify(appended)
    proof = report.check("proof")
    assert proof is not None
    assert proof.passed, proof.message


# --- 3. canonicalization ignores key order ----------------------------------------------------------


def _shuffled_keys(value: Any, rng: random.Random) -> Any:
    """The same JSON value with the keys of every object in a random order (arrays keep theirs)."""
    if isinstance(value, dict):
        items = list(value.items())
        rng.shuffle(items)
        return {key: _shuffled_keys(item, rng) for key, item in items}
    if isinstance(value, list):
        return [_shuffled_keys(item, rng) for item in value]
    return value


@SETTINGS
@given(data=st.data())
def test_canonical_forms_ignore_key_order(
    signing: Signing, catalog: BadgeCatalog, data: st.DataObject
) -> None:
    credential = data.draw(_credentials(catalog, signing.issuer.profile), label="credential")
    # The signed form too: its proof is a named graph in RDF and a nested array in JCS.
    document = signing.sign(credential, data.draw(st.sampled_from(SUITES), label="suite"))
    shuffled = _shuffled_keys(document, data.draw(st.randoms(use_true_random=False), label="order"))

    assert shuffled == document  # same JSON value; only the key order may differ
    assert rdfc_1_0(shuffled) == rdfc_1_0(document)
    assert jcs(shuffled) == jcs(document)


@SETTINGS
@given(data=st.data())
def test_canonical_rdfc_is_idempotent(signing: Signing, catalog: BadgeCatalog, data: st.DataObject) -> None:
    credential = data.draw(_credentials(catalog, signing.issuer.profile), label="credential")
    document = signing.sign(credential, "eddsa-rdfc-2022")
    canonical = rdfc_1_0(document)

    # Parsing the canonical N-Quads back (every escape of the awkward characters included) and
    # canonicalizing again changes nothing, blank node labels included.
    assert canonicalize_nquads(canonical) == canonical
    # N-Quads ends a line with "\n" only (str.splitlines would also split at U+0085, U+2028...).
    assert canonical.endswith("\n")
    lines = canonical.split("\n")[:-1]
    assert lines == sorted(set(lines))  # a set of quads, in code point order
