"""``verify_credential``: every check of an Open Badges 3.0 credential, reported, never stopping early.

Order (OB 3.0 «9.1»): read the input, check each proof over the exact input (and that the key belongs
to the issuer), then model the credential for the business checks: structure, validity window, status.
Low-level functions raise; this module catches only :class:`VerifierError` and returns a report.

Two kinds of credential carry other credentials, and each of those is verified on its own:

- a CLR 2.0 ``ClrCredential`` (1EdTech CLR 2.0 «ClrSubject»): its own proof, schema, validity and
  status, then every credential of ``credentialSubject.verifiableCredential`` as if it came alone
  (:attr:`VerificationReport.inner`); a tampered inner badge is reported for that badge and the CLR's
  ``credentials`` check names it, while the other badges still verify;
- embedded ``EndorsementCredential`` s (OB 3.0 «9.2»: the achievement's, the credential's and the
  issuer profile's ``endorsement``), each verified and reported (:attr:`VerificationReport.endorsements`).
  An endorsement that fails is a warning on the badge: the badge is what its issuer signed, whatever
  a third party said about it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final, Literal
from urllib.parse import unquote, urlsplit

from pydantic import ValidationError

from keys.encoding import PublicKey, jwk_to_public_key, public_key_from_did_key, public_key_to_jwk
from keys.errors import KeysError
from verifier.canonical import MAX_ARRAY_ITEMS
from verifier.credit.facts import facts_from_credential
from verifier.errors import (
    ExpiredError,
    IssuerKeyMismatchError,
    KeyResolutionError,
    MalformedCredentialError,
    NotYetValidError,
    RetrievalError,
    StatusListError,
    StatusRetrievalError,
    VerifierError,
)
from verifier.model import OpenBadgeCredential
from verifier.proofs import data_integrity, vc_jwt
from verifier.proofs.vc_jwt import COMPACT_JWS
from verifier.recipient import check_recipient
from verifier.schema import CLR_SCHEMA, ENDORSEMENT_SCHEMA, validate_against
from verifier.status import MIN_ENTRIES, entry_status, raise_for_status

if TYPE_CHECKING:
    from verifier.resolve import ResolvedKey, Resolver
    from verifier.trust import TrustList

Verdict = Literal["valid", "invalid", "indeterminate"]
Kind = Literal["badge", "clr", "endorsement"]

CLR_TYPE: Final = "ClrCredential"
ENDORSEMENT_TYPE: Final = "EndorsementCredential"
# Nesting followed: a CLR's badges (1) and the endorsements of those badges (2); deeper is not followed.
_MAX_DEPTH: Final = 2


@dataclass(frozen=True)
class VerifyOptions:
    """How strict to be. The defaults are what a registrar wants."""

    #: The proof purpose an issuer's proof must state.
    proof_purpose: str = "assertionMethod"
    #: Check revocation/suspension when the credential has a ``credentialStatus``.
    check_status: bool = True
    #: Bitstring Status List v1.0 minimum; lower it only to read old lists that are too short.
    status_minimum_entries: int = MIN_ENTRIES
    #: Inputs larger than this are refused before parsing.
    max_bytes: int = 2 * 1024 * 1024
    #: Issuers the verifier trusts; an untrusted but valid badge gets a warning, not "invalid".
    trust: TrustList | None = None
    #: The learner's identifier (an e-mail, or a DID) to bind the badge to, OB 3.0 «9.1» step 5.
    recipient: str | None = None
    recipient_type: str = "emailAddress"


@dataclass(frozen=True)
class CheckResult:
    id: str
    passed: bool
    message: str
    code: str | None = None
    indeterminate: bool = False
    #: A failed warning is shown but does not change the verdict (e.g. an issuer not on the trust list).
    warning: bool = False

    def to_json(self) -> dict[str, Any]:
        result: dict[str, Any] = {
            "id": self.id,
            "passed": self.passed,
            "code": self.code,
            "message": self.message,
        }
        if self.warning:
            result["warning"] = True
        return result


@dataclass(frozen=True)
class EndorsementReport:
    """One embedded EndorsementCredential, verified on its own.

    Attributes:
        where: the JSON path it was found at (``credentialSubject.achievement.endorsement[0]``).
        target: the id of the object it is embedded in (what it should endorse), if that has one.
        report: its own :class:`VerificationReport`, with an ``endorsed_subject`` check.
    """

    where: str
    target: str | None
    report: VerificationReport

    @property
    def endorser(self) -> str | None:
        """The endorsing issuer's id."""
        credential = self.report.credential or {}
        issuer = credential.get("issuer")
        issuer = issuer.get("id") if isinstance(issuer, Mapping) else issuer
        return issuer if isinstance(issuer, str) else None

    @property
    def endorser_name(self) -> str | None:
        issuer = (self.report.credential or {}).get("issuer")
        name = issuer.get("name") if isinstance(issuer, Mapping) else None
        return name if isinstance(name, str) else None

    @property
    def comment(self) -> str | None:
        subject = (self.report.credential or {}).get("credentialSubject")
        comment = subject.get("endorsementComment") if isinstance(subject, Mapping) else None
        return comment if isinstance(comment, str) else None

    def to_json(self) -> dict[str, Any]:
        return {
            "where": self.where,
            "endorser": self.endorser,
            "endorserName": self.endorser_name,
            "comment": self.comment,
            "verdict": self.report.verdict,
            "id": (self.report.credential or {}).get("id"),
            "checks": [c.to_json() for c in self.report.checks],
        }


@dataclass(frozen=True)
class VerificationReport:
    """The outcome of every check. ``verdict`` is "invalid" if any check failed for certain,
    "indeterminate" if a check could not be made (a key or status list could not be fetched).

    A CLR's verdict includes its inner credentials through its ``credentials`` check; their own
    reports are in ``inner``. Endorsements count only as a warning (``endorsements`` check).
    """

    checks: tuple[CheckResult, ...]
    credential: Mapping[str, Any] | None = None
    format: Literal["ldp", "jwt"] | None = None
    #: A CLR's credentials (``credentialSubject.verifiableCredential``), each verified on its own.
    inner: tuple[VerificationReport, ...] = ()
    #: The endorsements embedded in the credential, each verified on its own.
    endorsements: tuple[EndorsementReport, ...] = ()

    @property
    def kind(self) -> Kind:
        """``clr``, ``endorsement`` or (anything else) ``badge``."""
        return credential_kind(self.credential)

    def valid_endorsers(self) -> tuple[str, ...]:
        """Issuers of the valid endorsements of this badge's achievement (what credit rules may require)."""
        achievement = _achievement_id(self.credential)
        found: dict[str, None] = {}
        for endorsement in self.endorsements:
            if (
                endorsement.report.verdict == "valid"
                and endorsement.endorser is not None
                and achievement is not None
                and endorsement.target == achievement
            ):
                found.setdefault(endorsement.endorser, None)
        return tuple(found)

    @property
    def verdict(self) -> Verdict:
        failed = [c for c in self.checks if not c.passed and not c.warning]
        if any(not c.indeterminate for c in failed):
            return "invalid"
        return "indeterminate" if failed else "valid"

    def check(self, check_id: str) -> CheckResult | None:
        return next((c for c in self.checks if c.id == check_id), None)

    def failures(self) -> dict[str, str | None]:
        """The failed checks as ``{check id: code}`` (warnings included)."""
        return {c.id: c.code for c in self.checks if not c.passed}

    def summary(self) -> dict[str, Any]:
        """What a person wants to see first: who issued what to whom, when, at which level."""
        return credential_summary(self.credential, self.format)

    def to_json(self) -> dict[str, Any]:
        result: dict[str, Any] = {
            "verdict": self.verdict,
            "checks": [c.to_json() for c in self.checks],
            "credential": self.summary(),
        }
        if self.kind == "clr":
            result["credentials"] = [
                {"index": index} | report.to_json() for index, report in enumerate(self.inner)
            ]
        if self.endorsements:
            result["endorsements"] = [e.to_json() for e in self.endorsements]
        return result


def _types(value: Mapping[str, Any]) -> list[Any]:
    kind = value.get("type")
    return kind if isinstance(kind, list) else [kind]


def credential_kind(credential: Mapping[str, Any] | None) -> Kind:
    """What a credential is, by its ``type``: a CLR, an endorsement, or a badge (anything else)."""
    types = _types(credential) if isinstance(credential, Mapping) else []
    if CLR_TYPE in types:
        return "clr"
    return "endorsement" if ENDORSEMENT_TYPE in types else "badge"


def _achievement_id(credential: Mapping[str, Any] | None) -> str | None:
    subject = credential.get("credentialSubject") if isinstance(credential, Mapping) else None
    achievement = subject.get("achievement") if isinstance(subject, Mapping) else None
    found = achievement.get("id") if isinstance(achievement, Mapping) else None
    return found if isinstance(found, str) else None


@dataclass
class _Run:
    checks: list[CheckResult] = field(default_factory=list)

    def passed(self, check_id: str, message: str) -> None:
        self.checks.append(CheckResult(check_id, True, message))

    def failed(self, check_id: str, error: VerifierError) -> None:
        self.checks.append(CheckResult(check_id, False, str(error), error.code, error.indeterminate))

    def attempt(self, check_id: str, step: Callable[[], str]) -> bool:
        try:
            message = step()
        except VerifierError as err:
            self.failed(check_id, err)
            return False
        self.passed(check_id, message)
        return True


def parse_input(raw: str | bytes | Mapping[str, Any], *, max_bytes: int) -> tuple[dict[str, Any] | str, str]:
    """JSON-LD object or compact VC-JWT, told apart by shape. Returns (value, "ldp" | "jwt")."""
    if isinstance(raw, Mapping):
        return dict(raw), "ldp"
    if len(raw) > max_bytes:
        raise MalformedCredentialError(f"input is {len(raw):,} bytes; the limit is {max_bytes:,}")
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    except UnicodeDecodeError as err:
        raise MalformedCredentialError("input is not UTF-8 text") from err
    text = text.strip()
    if COMPACT_JWS.fullmatch(text):
        return text, "jwt"
    try:
        value = json.loads(text)
    except RecursionError as err:
        raise MalformedCredentialError("JSON is nested too deeply") from err
    except json.JSONDecodeError as err:
        raise MalformedCredentialError(
            f"not JSON and not a compact JWT: {err.msg} at line {err.lineno}"
        ) from err
    if not isinstance(value, dict):
        raise MalformedCredentialError("a credential is a JSON object")
    return value, "ldp"


def _issuer_id(credential: Mapping[str, Any]) -> str:
    issuer = credential.get("issuer")
    if isinstance(issuer, Mapping):
        issuer = issuer.get("id")
    if not isinstance(issuer, str):
        raise MalformedCredentialError("credential has no issuer id")
    return issuer


def _did_of(url: str) -> str:
    return url.split("#", 1)[0]


def _published_under(key_url: str, issuer: str) -> bool:
    """Is an https key document published by an https issuer: same origin, under the issuer's path?"""
    key, owner = urlsplit(key_url), urlsplit(issuer)
    if key.scheme != "https" or owner.scheme != "https" or not owner.hostname:
        return False
    if (key.hostname, key.port or 443) != (owner.hostname, owner.port or 443):
        return False
    # One host may serve many organisations: the key must sit in the issuer's own folder.
    folder = owner.path.rsplit("/", 1)[0] + "/"
    return unquote(key.path).startswith(unquote(folder))


def check_issuer_key(resolved: ResolvedKey, issuer: str, *, purpose: str) -> str:
    """Does the key belong to the issuer, for this purpose? Returns a message or raises.

    A key in a DID or controller document must be controlled by the issuer and listed under the
    purpose (Data Integrity «Verify Proof»). A bare JWK or JWKS at an https URL (OB 3.0 §8.5) states no
    relationships: it counts as the issuer's only for an https issuer, published in the issuer's own
    folder of its own origin. A DID issuer's keys must be in its DID document.
    """
    if resolved.purposes:
        if resolved.controller != issuer:
            raise IssuerKeyMismatchError(
                f"key {resolved.id} is controlled by {resolved.controller}, not by the issuer {issuer}"
            )
        if purpose not in resolved.purposes:
            raise IssuerKeyMismatchError(f"{issuer} does not list key {resolved.id} under {purpose}")
        return f"key is the issuer's ({issuer}, {purpose})"
    if not _published_under(resolved.id, issuer):
        raise IssuerKeyMismatchError(
            f"key {resolved.id} names no verification relationship and is not published under the issuer {issuer}"
        )
    return f"key is published under the issuer's URL ({issuer})"


def _check_ldp_proofs(
    run: _Run, credential: dict[str, Any], resolver: Resolver, options: VerifyOptions
) -> None:
    try:
        proofs = data_integrity.iter_proofs(credential)
    except VerifierError as err:
        run.failed("proof", err)
        return
    if not proofs:
        run.failed("proof", MalformedCredentialError("credential has no proof"))
        return
    # Every proof must hold: a failed one means something in the credential is wrong.
    for index, proof in enumerate(proofs):
        suffix = "" if len(proofs) == 1 else f"[{index}]"
        method = proof.get("verificationMethod")
        if not isinstance(method, str):
            run.failed("proof" + suffix, MalformedCredentialError("proof has no verificationMethod"))
            continue
        try:
            resolved = resolver.resolve_key(method)
        except VerifierError as err:
            run.failed("proof" + suffix, err)
            continue

        def verify_one(
            proof: Mapping[str, Any] = proof, key: Any = resolved.public_key, method: str = method
        ) -> str:
            data_integrity.verify_proof(credential, proof, key, expected_purpose=options.proof_purpose)
            return f"{proof.get('cryptosuite')} signature by {method} is valid"

        run.attempt("proof" + suffix, verify_one)

        def bound(resolved: ResolvedKey = resolved) -> str:
            return check_issuer_key(resolved, _issuer_id(credential), purpose=options.proof_purpose)

        run.attempt("issuer_key" + suffix, bound)


def _jwt_key(header: Mapping[str, Any], resolver: Resolver) -> tuple[PublicKey, ResolvedKey | None]:
    """The key a VC-JWT names: resolved from ``kid``, or the embedded ``jwk`` (then not resolved)."""
    if "kid" in header:
        resolved = resolver.resolve_key(str(header["kid"]))
        return resolved.public_key, resolved
    try:
        return jwk_to_public_key(header["jwk"]), None
    except KeysError as err:
        raise KeyResolutionError(f"jwk header: {err}") from err


def _check_jwt(run: _Run, token: str, resolver: Resolver, purpose: str) -> dict[str, Any] | None:
    try:
        header = vc_jwt.parse_header(token)
        public_key, resolved = _jwt_key(header, resolver)
        credential = vc_jwt.verify_jwt(token, public_key)
    except VerifierError as err:
        run.failed("proof", err)
        return None
    run.passed("proof", f"{header['alg']} JWT signature is valid")

    def bound() -> str:
        issuer = _issuer_id(credential)
        if resolved is not None:
            return check_issuer_key(resolved, issuer, purpose=purpose)
        # An embedded jwk proves nothing about the issuer unless the issuer id is that very key.
        if issuer.startswith("did:key:"):
            try:
                issuer_key = public_key_to_jwk(public_key_from_did_key(issuer))
            except KeysError as err:
                raise IssuerKeyMismatchError(f"issuer {issuer} is not a valid did:key: {err}") from err
            if issuer_key == public_key_to_jwk(public_key):
                return "the embedded key is the issuer's did:key"
        raise IssuerKeyMismatchError(f"the token's embedded jwk is not a key of the issuer {issuer}")

    run.attempt("issuer_key", bound)
    return credential


def _check_status(
    run: _Run, credential: Mapping[str, Any], resolver: Resolver, *, now: datetime, options: VerifyOptions
) -> None:
    entry = credential.get("credentialStatus")
    if entry is None:
        run.passed("status", "credential carries no status entry (it cannot be revoked)")
        return
    entries = entry if isinstance(entry, list) else [entry]

    def check() -> str:
        states = []
        for item in entries:
            if not isinstance(item, Mapping):
                raise StatusListError("credentialStatus entries are objects")
            url = item.get("statusListCredential")
            if not isinstance(url, str):
                raise StatusListError("status entry has no statusListCredential URL")
            try:
                list_credential = resolver.resolve_document(url)
            except RetrievalError as err:
                raise StatusRetrievalError(f"status list {url} could not be fetched: {err}") from err
            if list_credential.get("id", url) != url:
                raise StatusListError(
                    f"the document at {url} is the status list {list_credential.get('id')!r}"
                )
            if _issuer_id(list_credential) != _issuer_id(credential):
                raise StatusListError(f"status list {url} is not issued by the credential's issuer")
            list_report = _verified_status_list(
                url, list_credential, resolver, now=now, purpose=options.proof_purpose
            )
            if list_report.verdict != "valid":
                bad = "; ".join(c.message for c in list_report.checks if not c.passed)
                error: VerifierError = (
                    StatusRetrievalError(f"status list {url} could not be checked: {bad}")
                    if list_report.verdict == "indeterminate"
                    else StatusListError(f"status list {url} failed verification: {bad}")
                )
                raise error
            value = entry_status(item, list_credential, minimum_entries=options.status_minimum_entries)
            raise_for_status(item, value)
            states.append(f"{item.get('statusPurpose')}: not set")
        return "; ".join(states)

    run.attempt("status", check)


def _verified_status_list(
    url: str, list_credential: dict[str, Any], resolver: Resolver, *, now: datetime, purpose: str
) -> VerificationReport:
    """A status list's own verification, done once per list content and time for a resolver's lifetime."""
    digest = hashlib.sha256(json.dumps(list_credential, sort_keys=True).encode()).hexdigest()
    key = ("status-list", url, digest, now, purpose)
    report = resolver.memo.get(key)
    if not isinstance(report, VerificationReport):
        report = verify_credential(
            list_credential,
            resolver=resolver,
            now=now,
            options=VerifyOptions(check_status=False, proof_purpose=purpose),
            structure=False,
        )
        resolver.memo[key] = report
    return report


def _check_structure(run: _Run, credential: Mapping[str, Any]) -> OpenBadgeCredential | None:
    try:
        model = OpenBadgeCredential.model_validate(credential)
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "credential"
        run.failed(
            "structure", MalformedCredentialError(f"{where}: {first['msg']} ({err.error_count()} problem(s))")
        )
        return None
    run.passed("structure", "an Open Badges 3.0 credential")
    return model


def _check_validity(run: _Run, model: OpenBadgeCredential, now: datetime) -> None:
    def window() -> str:
        if now < model.valid_from:
            raise NotYetValidError(f"valid from {model.valid_from.isoformat()}, checked at {now.isoformat()}")
        if model.valid_until is not None and now > model.valid_until:
            raise ExpiredError(f"expired {model.valid_until.isoformat()}, checked at {now.isoformat()}")
        until = f" until {model.valid_until.isoformat()}" if model.valid_until else ""
        return f"valid from {model.valid_from.isoformat()}{until}"

    run.attempt("validity", window)


def verify_credential(
    raw: str | bytes | Mapping[str, Any],
    *,
    resolver: Resolver,
    now: datetime,
    options: VerifyOptions | None = None,
    structure: bool = True,
    _depth: int = 0,
) -> VerificationReport:
    """Verify one credential (JSON-LD with Data Integrity proofs, or a compact VC-JWT): an Open Badges
    3.0 badge, a CLR 2.0 ``ClrCredential`` (and each credential inside it) or an EndorsementCredential.

    Args:
        raw: the credential as text, bytes or a parsed JSON object.
        resolver: how keys, DID documents and status lists are found (offline, mapped or networked).
        now: the moment to check the validity window against.
        options: see :class:`VerifyOptions`.
        structure: check the data model: OB 3.0 for a badge, the 1EdTech JSON Schema for a CLR or an
            endorsement (off for status list credentials).

    Returns:
        A report of every check; never raises :class:`VerifierError`.
    """
    options = options or VerifyOptions()
    run = _Run()
    try:
        value, kind = parse_input(raw, max_bytes=options.max_bytes)
    except VerifierError as err:
        run.failed("format", err)
        return VerificationReport(tuple(run.checks))
    credential: dict[str, Any] | None
    if kind == "jwt":
        credential = _check_jwt(run, str(value), resolver, options.proof_purpose)
    else:
        credential = value if isinstance(value, dict) else None
        if credential is not None:
            _check_ldp_proofs(run, credential, resolver, options)
    if credential is None:
        return VerificationReport(tuple(run.checks), None, "jwt" if kind == "jwt" else "ldp")
    kind_of = credential_kind(credential)
    if not structure:
        _check_validity_raw(run, credential, now)
    elif kind_of == "clr" and _depth > 0:
        run.failed("structure", MalformedCredentialError("a CLR inside another credential is not followed"))
    elif kind_of in ("clr", "endorsement"):
        _check_schema(run, credential, kind_of)
        _check_validity_raw(run, credential, now)
    else:
        model = _check_structure(run, credential)
        if model is not None:
            _check_validity(run, model, now)
    proof_failed = any(not c.passed and c.id.startswith(("proof", "issuer_key")) for c in run.checks)
    if options.check_status and not proof_failed:
        # Only for a credential whose proof holds: a forged one must not make us fetch its URLs.
        _check_status(run, credential, resolver, now=now, options=options)
    if options.recipient is not None:
        _check_recipient(run, credential, options.recipient, options.recipient_type)
    if options.trust is not None:
        decision = options.trust.check_credential(credential)
        run.checks.append(
            CheckResult(
                "trust",
                decision.trusted,
                decision.reason,
                None if decision.trusted else "UNTRUSTED_ISSUER",
                warning=True,
            )
        )
    inner: tuple[VerificationReport, ...] = ()
    endorsements: tuple[EndorsementReport, ...] = ()
    if structure and _depth < _MAX_DEPTH:
        if kind_of == "clr" and _depth == 0:
            inner = _verify_inner(run, credential, resolver, now=now, options=options)
        if not proof_failed:
            endorsements = _verify_endorsements(run, credential, resolver, now=now, options=options)
        elif _embedded_endorsements(credential):
            # Like the status list: what a forged credential names is not fetched.
            run.checks.append(
                CheckResult(
                    "endorsements",
                    False,
                    "not checked: the credential's own proof does not hold",
                    "ENDORSEMENTS_NOT_CHECKED",
                    warning=True,
                )
            )
    return VerificationReport(
        tuple(run.checks), credential, "jwt" if kind == "jwt" else "ldp", inner, endorsements
    )


def _check_schema(run: _Run, credential: Mapping[str, Any], kind: Kind) -> None:
    schema, what = (
        (CLR_SCHEMA, "a CLR 2.0 ClrCredential")
        if kind == "clr"
        else (ENDORSEMENT_SCHEMA, "an Open Badges 3.0 EndorsementCredential")
    )

    def check() -> str:
        # A CLR's badges are verified one by one, each with its own structure check: a badge that
        # strays from the schema is reported for that badge, not as a broken transcript.
        validate_against(schema, credential, checked_elsewhere=("credentialSubject/verifiableCredential",))
        return f"{what} (1EdTech JSON Schema)"

    run.attempt("structure", check)


def _subject_id(credential: Mapping[str, Any] | None) -> str | None:
    subject = credential.get("credentialSubject") if isinstance(credential, Mapping) else None
    found = subject.get("id") if isinstance(subject, Mapping) else None
    return found if isinstance(found, str) else None


def _verify_inner(
    run: _Run, clr: Mapping[str, Any], resolver: Resolver, *, now: datetime, options: VerifyOptions
) -> tuple[VerificationReport, ...]:
    """Verify each credential of a CLR on its own, and sum them up in the CLR's ``credentials`` check."""
    subject = clr.get("credentialSubject")
    items = subject.get("verifiableCredential") if isinstance(subject, Mapping) else None
    items = items if isinstance(items, list) else [] if items is None else [items]
    if len(items) > MAX_ARRAY_ITEMS:
        # Each badge may name documents to fetch: a transcript cannot make the verifier fetch without end
        # (its own proof refuses an array this long too).
        run.failed(
            "credentials",
            MalformedCredentialError(
                f"the CLR holds {len(items)} credentials; at most {MAX_ARRAY_ITEMS} are verified"
            ),
        )
        return ()
    holder = _subject_id(clr)
    reports: list[VerificationReport] = []
    for item in items:
        if not isinstance(item, Mapping):
            error = MalformedCredentialError("a CLR holds credentials as JSON objects")
            reports.append(VerificationReport((CheckResult("format", False, str(error), error.code),)))
            continue
        report = verify_credential(item, resolver=resolver, now=now, options=options, _depth=1)
        inner_subject = _subject_id(item)
        if holder is not None and inner_subject is not None and inner_subject != holder:
            # The CLR says these are its subject's achievements: a badge of someone else is not.
            report = replace(
                report,
                checks=(
                    *report.checks,
                    CheckResult(
                        "clr_subject",
                        False,
                        f"the badge's subject {inner_subject} is not the CLR's subject {holder}",
                        "SUBJECT_MISMATCH",
                    ),
                ),
            )
        reports.append(report)
    failed = [(i, r) for i, r in enumerate(reports) if r.verdict != "valid"]
    if not reports:
        run.failed("credentials", MalformedCredentialError("the CLR holds no credential"))
    elif not failed:
        run.passed("credentials", f"{len(reports)} credential(s) inside, each valid")
    else:
        named = "; ".join(
            f"credential {i + 1} ({(r.credential or {}).get('id', 'no id')}): {r.verdict}" for i, r in failed
        )
        invalid = any(r.verdict == "invalid" for _, r in failed)
        run.checks.append(
            CheckResult(
                "credentials",
                False,
                f"{len(reports) - len(failed)} of {len(reports)} credentials inside are valid; {named}",
                "INNER_CREDENTIAL_INVALID" if invalid else "INNER_CREDENTIAL_INDETERMINATE",
                indeterminate=not invalid,
            )
        )
    return tuple(reports)


def _embedded_endorsements(credential: Mapping[str, Any]) -> list[tuple[str, str | None, Any]]:
    """``(path, id of the endorsed object, endorsement)`` for every embedded endorsement (OB 3.0 «B.1»:
    AchievementCredential, Achievement and Profile carry ``endorsement[]``)."""
    found: list[tuple[str, str | None, Any]] = []
    subject = credential.get("credentialSubject")
    achievement = subject.get("achievement") if isinstance(subject, Mapping) else None
    places = [
        ("endorsement", credential),
        ("credentialSubject.achievement.endorsement", achievement),
        ("issuer.endorsement", credential.get("issuer")),
    ]
    for path, owner in places:
        if not isinstance(owner, Mapping) or "endorsement" not in owner:
            continue
        items = owner["endorsement"]
        target = credential.get("id") if owner is credential else owner.get("id")
        for index, item in enumerate(items if isinstance(items, list) else [items]):
            found.append((f"{path}[{index}]", target if isinstance(target, str) else None, item))
    return found


def _verify_endorsements(
    run: _Run,
    credential: Mapping[str, Any],
    resolver: Resolver,
    *,
    now: datetime,
    options: VerifyOptions,
) -> tuple[EndorsementReport, ...]:
    """Verify each embedded endorsement (OB 3.0 «9.2»); a failed one is a warning on the credential."""
    reports: list[EndorsementReport] = []
    # The endorser is not the badge's issuer: a trust list or recipient is about the badge.
    endorsement_options = replace(options, trust=None, recipient=None)
    for where, target, item in _embedded_endorsements(credential):
        if not isinstance(item, Mapping):
            error = MalformedCredentialError("an embedded endorsement is a JSON object")
            report = VerificationReport((CheckResult("format", False, str(error), error.code),))
        else:
            report = verify_credential(
                item, resolver=resolver, now=now, options=endorsement_options, _depth=_MAX_DEPTH
            )
            if credential_kind(item) != "endorsement":
                error = MalformedCredentialError("not an EndorsementCredential")
                report = replace(
                    report, checks=(*report.checks, CheckResult("type", False, str(error), error.code))
                )
            endorsed = _subject_id(item)
            matches = target is not None and endorsed == target
            report = replace(
                report,
                checks=(
                    *report.checks,
                    CheckResult(
                        "endorsed_subject",
                        matches,
                        f"endorses {endorsed}, the object it is embedded in"
                        if matches
                        else f"endorses {endorsed}, not the object it is embedded in ({target})",
                        None if matches else "ENDORSEMENT_SUBJECT_MISMATCH",
                    ),
                ),
            )
        reports.append(EndorsementReport(where, target, report))
    if reports:
        bad = [r for r in reports if r.report.verdict != "valid"]
        if not bad:
            run.passed("endorsements", f"{len(reports)} endorsement(s), each valid")
        else:
            named = "; ".join(f"{r.where} by {r.endorser or 'unknown'}: {r.report.verdict}" for r in bad)
            run.checks.append(
                CheckResult(
                    "endorsements",
                    False,
                    f"{len(reports) - len(bad)} of {len(reports)} endorsements valid; {named}",
                    "ENDORSEMENT_INVALID",
                    warning=True,
                )
            )
    return tuple(reports)


def _check_recipient(run: _Run, credential: Mapping[str, Any], known: str, identity_type: str) -> None:
    try:
        message = check_recipient(credential, known, identity_type=identity_type)
    except VerifierError as err:
        run.failed("recipient", err)
        return
    if message is None:
        # Nothing comparable (an e-mail against a DID-only subject): unknown, not a mismatch.
        run.checks.append(
            CheckResult(
                "recipient",
                False,
                f"the badge names no {identity_type} recipient to compare with",
                "RECIPIENT_UNKNOWN",
                warning=True,
            )
        )
        return
    run.passed("recipient", message)


def _check_validity_raw(run: _Run, credential: Mapping[str, Any], now: datetime) -> None:
    """The validity window of a non-badge credential (a status list), from its raw dates."""

    def window() -> str:
        for key, old_key, error in (
            ("validFrom", "issuanceDate", NotYetValidError),
            ("validUntil", "expirationDate", ExpiredError),
        ):
            value = credential.get(key, credential.get(old_key))
            if value is None:
                continue
            try:
                moment = datetime.fromisoformat(str(value))
            except ValueError as err:
                raise MalformedCredentialError(f"{key} is not a date-time: {value!r}") from err
            if moment.tzinfo is None:
                raise MalformedCredentialError(f"{key} has no time zone: {value!r}")
            if (error is NotYetValidError and now < moment) or (error is ExpiredError and now > moment):
                raise error(f"{key} {value}, checked at {now.isoformat()}")
        return "within its validity window"

    run.attempt("validity", window)


def credential_summary(credential: Mapping[str, Any] | None, fmt: str | None) -> dict[str, Any]:
    """A short, display-ready description of a credential (never raises)."""
    if not isinstance(credential, Mapping):
        return {}
    kind = credential_kind(credential)
    if kind != "badge":
        return _other_summary(credential, fmt, kind)
    # The same reading of issuer, achievement and level that the credit rules use.
    facts = facts_from_credential(credential, verdict="")
    subject = credential.get("credentialSubject")
    subject = subject if isinstance(subject, Mapping) else {}
    source = subject.get("source")
    return {
        "id": facts.credential_id,
        "format": fmt,
        "issuer": facts.issuer_id,
        "issuerName": facts.issuer_name,
        "achievement": facts.achievement_id,
        "achievementName": facts.achievement_name,
        "achievementVersion": facts.version,
        "level": facts.level,
        "subject": subject.get("id") or ("hashed identifier" if subject.get("identifier") else None),
        "attester": source.get("name") if isinstance(source, Mapping) else None,
        "validFrom": credential.get("validFrom") or credential.get("issuanceDate"),
        "validUntil": credential.get("validUntil") or credential.get("expirationDate"),
    }


def _other_summary(credential: Mapping[str, Any], fmt: str | None, kind: Kind) -> dict[str, Any]:
    """The summary of a CLR or an endorsement: who issued it, about whom, when."""
    issuer = credential.get("issuer")
    profile = issuer if isinstance(issuer, Mapping) else {"id": issuer}
    subject = credential.get("credentialSubject")
    subject = subject if isinstance(subject, Mapping) else {}
    name = credential.get("name")
    summary = {
        "id": credential.get("id"),
        "type": "ClrCredential" if kind == "clr" else "EndorsementCredential",
        "format": fmt,
        "name": name,
        # The badge summary's keys too, so that whatever shows a badge's summary shows this one.
        "achievement": None,
        "achievementName": name,
        "achievementVersion": None,
        "level": None,
        "attester": None,
        "issuer": profile.get("id"),
        "issuerName": profile.get("name"),
        "subject": subject.get("id") or ("hashed identifier" if subject.get("identifier") else None),
        "validFrom": credential.get("validFrom") or credential.get("issuanceDate"),
        "validUntil": credential.get("validUntil") or credential.get("expirationDate"),
    }
    if kind == "clr":
        inner = subject.get("verifiableCredential")
        summary["credentialCount"] = len(inner) if isinstance(inner, list) else int(inner is not None)
    else:
        summary["comment"] = subject.get("endorsementComment")
    return summary
