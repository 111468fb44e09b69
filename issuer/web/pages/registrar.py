"""The registrar's page: a student's badges (files, baked images, links) run through the institution's
credit rules, the decision shown with its reasons, printed, or downloaded as CSV.

Stateless: the badges come back in the result page (hidden fields) for the CSV download; only an audit
event records that a decision was made (how many badges, what was granted; never badge contents).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from litestar import Controller, Request, Response, get, post

from issuer.bulk_csv import neutralise_cell
from issuer.errors import InvalidRequestError
from issuer.services.audit import record_event
from issuer.services.credit import RulesChoice, decide, fetch_link, organisation_rules, read_credential
from issuer.services.verification import verify_in_service
from issuer.web.auth import org_roles
from issuer.web.deps import Db, Now, Org, Svc, User
from issuer.web.pages.forms import Form, read_form
from issuer.web.pages.render import page, translator
from issuer.web.pages.verification import explain
from issuer.web.pages.verify import InputProblem, decision_view, read_upload

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import datetime
    from decimal import Decimal

    from sqlalchemy.ext.asyncio import AsyncSession

    from issuer.db import Organisation
    from issuer.roles import Principal
    from issuer.services.context import Services
    from verifier.credit.evaluate import CreditDecision
    from verifier.verify import VerificationReport

__all__ = ["RegistrarPages", "decision_csv"]

MAX_BADGES: Final = 30
MAX_STUDENT_CHARS: Final = 200
MAX_PROBLEM_CHARS: Final = 500
CSV_COLUMNS: Final = (
    "student",
    "institution",
    "evaluated_at",
    "section",
    "rule",
    "grants",
    "credits",
    "grade",
    "badge",
    "outcome",
    "reason",
)


@dataclass(frozen=True)
class Checked:
    """One badge given: its name (file name or link), its text, and the verification."""

    name: str
    text: str
    report: VerificationReport
    verdict_words: str


async def _gather(form: Form, services: Services, t: Any) -> tuple[list[tuple[str, str]], list[str]]:
    """(name, credential text) of each badge given, and a message for each that could not be read.

    A result page sends the badges back as ``badge`` fields (with ``badge_name``)."""
    found: list[tuple[str, str]] = list(zip(form.getall("badge_name"), form.getall("badge"), strict=False))
    problems: list[str] = []
    uploads = form.files.get("files", [])
    links = [line.strip() for line in form.get("links", "").splitlines() if line.strip()]
    if len(found) + len(uploads) + len(links) > MAX_BADGES:
        raise InputProblem(t.gettext("Give at most %(count)s badges at once.") % {"count": MAX_BADGES})
    for upload in uploads:
        name = upload.filename or "file"
        try:
            found.append((name, read_credential(await read_upload(upload, t))))
        except InvalidRequestError as err:
            problems.append(f"{name}: {err}")
    for link in links:
        try:
            found.append((link, read_credential(await fetch_link(services, link))))
        except InvalidRequestError as err:
            problems.append(f"{link}: {err}")
    return found, problems


def decision_csv(
    decision: CreditDecision, checked: list[Checked], *, student: str, unreadable: Sequence[str] = ()
) -> str:
    """The decision as CSV, one line per grant, rule, rule-and-badge reason and badge, and one per input
    that could not be read (``unreadable``: the result page's messages, "name: why").

    Every text cell is neutralised against spreadsheet formulas (the student's name and badge contents
    come from outside); UTF-8 with a byte order mark so spreadsheet programs read it as UTF-8.
    """
    out = io.StringIO(newline="")
    out.write("\ufeff")
    writer = csv.writer(out, quoting=csv.QUOTE_ALL)
    head = (student, decision.institution_name, decision.evaluated_at.isoformat())

    def row(*cells: object) -> None:
        writer.writerow([neutralise_cell("" if cell is None else str(cell)) for cell in (*head, *cells)])

    writer.writerow(CSV_COLUMNS)
    for grant in decision.granted:
        what = (
            f"{grant.course_code} {grant.course_title}"
            if grant.course_code is not None
            else f"{grant.cte_competency} level {grant.competency_level}"
        )
        grade = f"{grant.letter_grade} ({grant.grade_policy})" if grant.letter_grade else ""
        row(
            "grant", grant.rule_id, what, _amount(grant.credits), grade, " ".join(grant.badges), "granted", ""
        )
    row("total", "", "", _amount(decision.total_credits), "", "", "", "")
    for rule in decision.rules:
        row("rule", rule.rule_id, rule.grants, "", "", "", rule.outcome, rule.reason)
        for line in rule.badges:
            if line.status != "not-accepted":
                row("rule-badge", rule.rule_id, rule.grants, "", "", line.badge, line.status, line.reason)
    for badge in decision.badges:
        name = badge.achievement_name or badge.achievement_id or ""
        level = "" if badge.level is None else f"level {badge.level}"
        counted = f"counted for {badge.counted_for}" if badge.counted_for else "not counted"
        row("badge", "", f"{name} {level}".strip(), "", "", badge.badge, badge.verdict, counted)
    for item in checked:
        if item.report.credential is None:
            row("unreadable", "", "", "", "", item.name, item.report.verdict, "")
    for problem in unreadable:
        name, _, why = problem.partition(": ")
        row("unreadable", "", "", "", "", name, "unreadable", why)
    return out.getvalue()


def _amount(amount: Decimal | None) -> str:
    """``4`` rather than ``4.0``; ``1.5`` stays."""
    return "" if amount is None else f"{amount.normalize():f}"


class RegistrarPages(Controller):
    path = "/orgs/{slug:str}/registrar"
    include_in_schema = False

    @get("/", opt=org_roles("registrar", "admin", page=True))
    async def form(self, request: Request[Any, Any, Any], services: Svc, organisation: Org) -> Response[str]:
        return await page(request, "registrar/registrar.html", _context(services, organisation))

    @post("/", opt=org_roles("registrar", "admin", page=True))
    async def run(
        self,
        request: Request[Any, Any, Any],
        db: Db,
        services: Svc,
        principal: User,
        organisation: Org,
        now: Now,
    ) -> Response[str]:
        form = await read_form(request)
        context = _context(services, organisation)
        result = await _decide(request, form, db, services, principal, organisation, now, export="page")
        if isinstance(result, InputProblem):
            context.update(error=result.message, student=form.text("student"), links=form.get("links", ""))
            return await page(request, "registrar/registrar.html", context, status=result.status)
        decision, checked, problems = result
        t = translator(request)
        context.update(
            decision=decision_view(decision, t),
            checked=checked,
            problems=problems,
            student=form.text("student")[:MAX_STUDENT_CHARS],
        )
        # A student's badges and name: kept in no cache.
        return await page(request, "registrar/decision.html", context, headers={"Cache-Control": "no-store"})

    @post("/decision.csv", opt=org_roles("registrar", "admin", page=True))
    async def download(
        self,
        request: Request[Any, Any, Any],
        db: Db,
        services: Svc,
        principal: User,
        organisation: Org,
        now: Now,
    ) -> Response[Any]:
        """The same decision again (from the badges the result page sent back), as a CSV file."""
        form = await read_form(request)
        result = await _decide(request, form, db, services, principal, organisation, now, export="csv")
        if isinstance(result, InputProblem):
            context = _context(services, organisation)
            context["error"] = result.message
            return await page(request, "registrar/registrar.html", context, status=result.status)
        decision, checked, _ = result
        # What the result page could not read, sent back with the badges (a file is not sent twice).
        unreadable = [text[:MAX_PROBLEM_CHARS] for text in form.getall("unreadable")[:MAX_BADGES]]
        body = decision_csv(
            decision, checked, student=form.text("student")[:MAX_STUDENT_CHARS], unreadable=unreadable
        )
        filename = f"credit-decision-{organisation.slug}-{now.date().isoformat()}.csv"
        return Response(
            body,
            status_code=200,
            media_type="text/csv; charset=utf-8",
            headers={
                "Content-Disposition": f'attachment; filename="{filename}"',
                "Cache-Control": "no-store",
            },
        )


def _context(services: Services, organisation: Organisation) -> dict[str, Any]:
    return {
        "organisation": organisation,
        "rules": organisation_rules(services.settings, organisation.slug),
        "error": None,
        "student": "",
        "links": "",
        "max_badges": MAX_BADGES,
    }


async def _decide(
    request: Request[Any, Any, Any],
    form: Form,
    db: AsyncSession,
    services: Services,
    principal: Principal,
    organisation: Organisation,
    now: datetime,
    *,
    export: str,
) -> tuple[CreditDecision, list[Checked], list[str]] | InputProblem:
    t = translator(request)
    rules: RulesChoice | None = organisation_rules(services.settings, organisation.slug)
    if rules is None:
        return InputProblem(t.gettext("No credit rules are set up for this organisation yet."), status=409)
    try:
        found, problems = await _gather(form, services, t)
    except InputProblem as problem:
        return problem
    if not found:
        message = t.gettext("Choose the student's badge files or paste their links, one per line.")
        if problems:
            message = t.gettext("None of the badges could be read.") + " " + "; ".join(problems)
        return InputProblem(message)
    checked = []
    for name, text in found:
        report = await verify_in_service(services, text, now=now)
        checked.append(Checked(name, text, report, explain(report, t)[0]))
    decision = decide([item.report for item in checked], rules.rules, now=now)
    # Who decided what, never what the badges say (they are the student's, not the college's records).
    record_event(
        db,
        actor=principal,
        action="registrar.credit_decision",
        subject_type="credit_rules",
        subject_id=rules.key,
        organisation_id=organisation.id,
        detail={
            "badges": len(checked),
            "unreadable": len(problems),
            "granted": len(decision.granted),
            "credits": _amount(decision.total_credits),
            "export": export,
        },
        at=now,
    )
    await db.commit()
    return decision, checked, problems
