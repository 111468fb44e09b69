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
