"""The public verifier page: anyone pastes, uploads or links a badge and sees each check in plain words,
then, if they like, what an institution's credit rules make of it. Nothing the visitor brings is stored."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final

from litestar import Controller, Request, Response, get, post

from issuer.errors import InvalidRequestError
from issuer.services.credit import (
    RulesChoice,
    decide,
    fetch_link,
    read_credential,
    rules_by_key,
    shipped_rules,
)
from issuer.services.verification import verify_in_service
from issuer.web.auth import public, rate_limit
from issuer.web.deps import Now, Svc
from issuer.web.pages.forms import Form, read_form
from issuer.web.pages.render import page, translator
from issuer.web.pages.verification import explain
from verifier.baking import MAX_IMAGE_BYTES
from verifier.verify import VerifyOptions

if TYPE_CHECKING:
    from litestar.datastructures import UploadFile

    from issuer.services.context import Services
    from verifier.credit.evaluate import CreditDecision
    from verifier.verify import VerificationReport

__all__ = ["MAX_FILE_BYTES", "MAX_PASTE_BYTES", "VerifierPages", "decision_view", "read_upload"]

#: A pasted credential: the verifier's own input limit.
MAX_PASTE_BYTES: Final = VerifyOptions().max_bytes
#: An uploaded file (a baked image is the largest form): the baking reader's limit.
MAX_FILE_BYTES: Final = MAX_IMAGE_BYTES


def N_(message: str) -> str:  # noqa: N802 - gettext's marker: extracted now, translated when shown
    return message


# What a rule did, in words (the evaluator's own reason follows, in English).
OUTCOME_WORDS: Final = {
    "granted": N_("granted"),
    "reduced": N_("granted, reduced by a limit"),
    "refused": N_("not granted"),
    "not-matched": N_("no badge for this rule"),
}


class InputProblem(Exception):  # noqa: N818 - a message for the form, not an error of the service
    """What is wrong with what the visitor gave, already translated, and the HTTP status to answer."""

    def __init__(self, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


async def read_upload(upload: UploadFile, t: Any) -> bytes:
    """An uploaded file's bytes, refusing one over :data:`MAX_FILE_BYTES` without reading it all."""
    data = await upload.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise InputProblem(
            t.gettext("%(name)s is larger than %(limit)s MB.")
            % {"name": upload.filename, "limit": MAX_FILE_BYTES // (1024 * 1024)},
            status=413,
        )
    return data


async def _credential_text(form: Form, services: Services, t: Any) -> str:
    """The one credential the visitor gave: pasted, uploaded or linked."""
    pasted = form.get("credential", "").strip()
    uploads = form.files.get("file", [])
    link = form.text("link")
    given = sum(1 for present in (pasted, uploads, link) if present)
    if given == 0:
        raise InputProblem(t.gettext("Paste a badge, choose a file, or give a link to one."))
    if given > 1:
        raise InputProblem(t.gettext("Give one badge at a time: pasted, a file, or a link."))
    try:
        if pasted:
            if len(pasted.encode("utf-8")) > MAX_PASTE_BYTES:
                raise InputProblem(
                    t.gettext("The pasted text is larger than %(limit)s MB: upload the file instead.")
                    % {"limit": MAX_PASTE_BYTES // (1024 * 1024)},
                    status=413,
                )
            return pasted
        if uploads:
            return read_credential(await read_upload(uploads[0], t))
        return read_credential(await fetch_link(services, link))
    except InvalidRequestError as err:
        raise InputProblem(
            t.gettext("This could not be read as a badge: %(reason)s") % {"reason": err}
        ) from err


@dataclass(frozen=True)
class DecisionView:
    """A credit decision as the pages show it (rules' reasons stay in the evaluator's English)."""

    decision: CreditDecision
    outcome_words: dict[str, str] = field(default_factory=dict)


def decision_view(decision: CreditDecision, t: Any) -> DecisionView:
    return DecisionView(decision, {key: t.gettext(words) for key, words in OUTCOME_WORDS.items()})


async def _verify_and_decide(
    request: Request[Any, Any, Any],
    services: Services,
    text: str,
    rules: RulesChoice | None,
    now: datetime,
) -> tuple[VerificationReport, dict[str, Any]]:
    t = translator(request)
    report = await verify_in_service(services, text, now=now)
    verdict_words, checks = explain(report, t)
    context: dict[str, Any] = {
        "verdict": report.verdict,
        "verdict_words": verdict_words,
        "checks": checks,
        "summary": _readable_dates(report.summary()),
        "decision": None,
        "chosen_rules": rules.key if rules else "",
    }
    if rules is not None:
        context["decision"] = decision_view(decide([report], rules.rules, now=now), t)
        context["institution"] = rules.institution
    return report, context


def _readable_dates(summary: dict[str, Any]) -> dict[str, Any]:
    """validFrom/validUntil as datetimes (shown localized) when they parse; as written otherwise."""
    for key in ("validFrom", "validUntil"):
        value = summary.get(key)
        if isinstance(value, str):
            try:
                moment = datetime.fromisoformat(value)
            except ValueError:
                continue
            if moment.tzinfo is not None:
                summary[key] = moment
    return summary


class VerifierPages(Controller):
    include_in_schema = False

    @get("/verify", opt=public(page=True))
    async def form(self, request: Request[Any, Any, Any], services: Svc) -> Response[str]:
        return await page(request, "public/verify.html", _form_context(services))

    @post("/verify", opt=public(page=True), middleware=[rate_limit("verify_rate", "verify_rate_per_minute")])
    async def verify(self, request: Request[Any, Any, Any], services: Svc, now: Now) -> Response[str]:
        """Verify the badge given; with ``rules``, also the credit decision. The credential comes back
        in the page (a hidden field) so that choosing rules needs no storage."""
        form = await read_form(request)
        t = translator(request)
        context = _form_context(services)
        rules_key = form.text("rules")
        try:
            rules = rules_by_key(services.settings, rules_key) if rules_key else None
        except InvalidRequestError:
            context["error"] = t.gettext("Choose an institution from the list.")
            return await page(request, "public/verify.html", context, status=422)
        try:
            text = await _credential_text(form, services, t)
        except InputProblem as problem:
            context.update(error=problem.message, link=form.text("link"), chosen_rules=rules_key)
            if problem.status != 413:  # an oversized paste is not sent back to the browser
                context["pasted"] = form.get("credential", "")
            return await page(request, "public/verify.html", context, status=problem.status)
        report, result = await _verify_and_decide(request, services, text, rules, now)
        if report.credential is None:  # not a credential at all: say why, next to the form
            reason = next((check.message for check in report.checks if not check.passed), "")
            context.update(
                error=t.gettext("This could not be read as a badge: %(reason)s") % {"reason": reason},
                pasted=form.get("credential", ""),
            )
            return await page(request, "public/verify.html", context, status=422)
        context.update(result, credential=text, checked=True)
        # The page carries the visitor's badge: kept in no cache, as it is kept nowhere on the server.
        return await page(request, "public/verify.html", context, headers={"Cache-Control": "no-store"})


def _form_context(services: Services) -> dict[str, Any]:
    return {
        "rules_choices": shipped_rules(services.settings),
        "chosen_rules": "",
        "error": None,
        "pasted": "",
        "link": "",
        "checked": False,
        "max_paste_mb": MAX_PASTE_BYTES // (1024 * 1024),
        "max_file_mb": MAX_FILE_BYTES // (1024 * 1024),
    }
