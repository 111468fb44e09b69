"""A verification report in plain words: one line per check, what it means for the person reading."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from verifier.verify import VerificationReport

__all__ = ["ExplainedCheck", "explain"]


def N_(message: str) -> str:  # noqa: N802 - gettext's marker: extracted now, translated when shown
    return message


# What each check means, when it passed and when it did not (the verifier's own message follows).
_WORDS: Final = {
    "format": (N_("The file is a credential we can read."), N_("This is not a credential we can read.")),
    "proof": (
        N_("The issuer's digital signature is intact: nothing was changed since it was signed."),
        N_("The digital signature does not match: the badge was changed or was not signed by its issuer."),
    ),
    "issuer_key": (
        N_("The signing key belongs to the issuer named in the badge."),
        N_("The signing key could not be tied to the issuer named in the badge."),
    ),
    "structure": (
        N_("The badge has every part an Open Badge 3.0 must have."),
        N_("The badge is missing parts an Open Badge 3.0 must have."),
    ),
    "validity": (
        N_("The badge is within its validity dates."),
        N_("The badge is outside its validity dates (not yet valid, or expired)."),
    ),
    "status": (
        N_("The issuer has not revoked or suspended the badge."),
        N_("The issuer revoked or suspended the badge, or its status could not be checked."),
    ),
    "recipient": (
        N_("The badge was issued to this person."),
        N_("The badge was not issued to the person named."),
    ),
    "trust": (
        N_("The issuer is on the list of trusted issuers."),
        N_("The issuer is not on the list of trusted issuers."),
    ),
    "credentials": (
        N_("Every badge inside the transcript was verified on its own."),
        N_("A badge inside the transcript is not valid or could not be checked (see details)."),
    ),
    "clr_subject": (
        N_("The badge belongs to the transcript's learner."),
        N_("The badge belongs to someone other than the transcript's learner."),
    ),
    "endorsements": (
        N_("Every endorsement of this badge was verified: its endorser signed it and still stands by it."),
        N_(
            "An endorsement of this badge could not be verified (see details); the badge itself is not affected."
        ),
    ),
    "endorsed_subject": (
        N_("The endorsement is about this badge."),
        N_("The endorsement is about something else than this badge."),
    ),
    "type": (
        N_("The credential is of the kind expected here."),
        N_("The credential is not of the kind expected here."),
    ),
    "holder": (
        N_("The person presenting the badges signed the presentation."),
        N_("The presentation was not signed by the person it names."),
    ),
    "challenge": (
        N_("The presentation answers this request (its challenge)."),
        N_("The presentation was made for another request (its challenge does not match)."),
    ),
    "domain": (
        N_("The presentation was made for this site."),
        N_("The presentation was made for another site."),
    ),
    "bundle": (
        N_("The issuer's documents came from a verification bundle."),
        N_("The issuer's documents came from a verification bundle, not from the issuer: not a full check."),
    ),
    "holder_binding": (
        N_("The badges presented belong to the person presenting them."),
        N_("A badge presented belongs to someone other than the person presenting it."),
    ),
}
# A check that could not be made says so, not that something is wrong (e.g. a transcript's signature
# while this service lacks the CLR context: docs/clr.md).
_COULD_NOT_CHECK: Final = {
    "proof": N_(
        "The digital signature could not be checked here (see details); nothing says it was changed."
    ),
}
_VERDICTS: Final = {
    "valid": N_("Verified"),
    "invalid": N_("Not valid"),
    "indeterminate": N_("Could not be fully checked"),
}


@dataclass(frozen=True)
class ExplainedCheck:
    id: str
    passed: bool
    warning: bool
    words: str  # translated
    detail: str  # the verifier's message (English), for the curious and for support


def explain(report: VerificationReport, translations: Any) -> tuple[str, list[ExplainedCheck]]:
    """The translated verdict and one explained line per check."""
    lines = []
    for check in report.checks:
        base = check.id.split("[", 1)[0].split(".", 1)[0]
        passed_words, failed_words = _WORDS.get(base, (check.id, check.id))
        words = passed_words if check.passed else failed_words
        if not check.passed and check.indeterminate and base in _COULD_NOT_CHECK:
            words = _COULD_NOT_CHECK[base]
        lines.append(
            ExplainedCheck(check.id, check.passed, check.warning, translations.gettext(words), check.message)
        )
    return translations.gettext(_VERDICTS[report.verdict]), lines
