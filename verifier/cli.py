"""``badges verify`` and ``badges transfer``: the command-line front of the verifier.

Exit codes (DESIGN.md contract): 0 all valid, 1 any invalid, 3 indeterminate (none invalid), 2 usage.
Inputs are credential files (JSON-LD or compact JWT), presentations, baked PNG/SVG badges, folders of
those, verification bundles (.zip) and ``-`` for standard input.
"""

from __future__ import annotations

import dataclasses
import json
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from verifier.baking import extract_credential
from verifier.bundle import Bundle, BundleInput, bundle_fetcher, is_bundle, read_bundle, write_bundle
from verifier.credit.evaluate import evaluate
from verifier.credit.facts import facts_from_credential
from verifier.credit.rules import load_rules
from verifier.document_loader import contexts_folder
from verifier.errors import InvalidChallengeError, MalformedCredentialError, VerifierError
from verifier.presentation import PresentationReport, verify_presentation
from verifier.resolve import (
    ChainFetcher,
    Fetcher,
    HttpsFetcher,
    MapFetcher,
    OfflineFetcher,
    RecordingFetcher,
    Resolver,
)
from verifier.trust import load_trust_list
from verifier.verify import CheckResult, VerificationReport, VerifyOptions, verify_credential

EXIT_VALID, EXIT_INVALID, EXIT_USAGE, EXIT_INDETERMINATE = 0, 1, 2, 3
INPUT_SUFFIXES = frozenset({".json", ".jsonld", ".jwt", ".jws", ".png", ".svg", ".zip"})
MAX_INPUT_BYTES = (
    64 * 1024 * 1024
)  # a bundle may be this large; a credential is capped lower by VerifyOptions

Report = VerificationReport | PresentationReport


@dataclass(frozen=True)
class Outcome:
    """One input and what verification found."""

    name: str
    kind: str  # json, jwt, png, svg, presentation, or "unreadable"
    report: Report

    def credential_reports(self) -> list[VerificationReport]:
        """The badges inside: itself, each credential of a presentation, or each badge of a CLR (each
        verified on its own, so it counts as if it had been given alone)."""
        if isinstance(self.report, PresentationReport):
            reports = [presented.report for presented in self.report.credentials]
        else:
            reports = [self.report]
        return [inner for report in reports for inner in (report.inner if report.kind == "clr" else [report])]

    def to_json(self) -> dict[str, Any]:
        return {"input": self.name, "kind": self.kind, **self.report.to_json()}


def parse_time(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as err:
        raise typer.BadParameter(f"{value!r} is not an ISO 8601 date-time", param_hint="--at") from err
    if moment.tzinfo is None:
        raise typer.BadParameter(f"{value!r} needs a time zone, e.g. {value}Z", param_hint="--at")
    return moment


def collect_inputs(paths: list[str]) -> list[BundleInput | str]:
    """Files as given; folders expanded to the credential files inside them, in name order.

    A file too large to read comes back as its name only, and is reported as too large.
    """
    items: list[BundleInput | str] = []
    for path in paths:
        if path == "-":
            data = sys.stdin.buffer.read(MAX_INPUT_BYTES + 1)
            items.append("-" if len(data) > MAX_INPUT_BYTES else BundleInput(name="-", data=data))
            continue
        target = Path(path)
        if target.is_dir():
            files = sorted(f for f in target.rglob("*") if f.is_file() and f.suffix.lower() in INPUT_SUFFIXES)
            if not files:
                raise typer.BadParameter(f"{path}: no credential files in this folder", param_hint="PATH")
        elif target.is_file():
            files = [target]
        else:
            raise typer.BadParameter(f"{path}: no such file or folder", param_hint="PATH")
        for file in files:
            try:
                if file.stat().st_size > MAX_INPUT_BYTES:
                    items.append(str(file))
                    continue
                items.append(BundleInput(name=str(file), data=file.read_bytes()))
            except OSError as err:
                raise typer.BadParameter(
                    f"{file}: cannot read it ({err.strerror})", param_hint="PATH"
                ) from err
    return items


def _network(resolve_map: Path | None, *, offline: bool) -> list[Fetcher]:
    """`--resolve` first, then the network unless `--offline`."""
    fetchers: list[Fetcher] = []
    if resolve_map is not None:
        try:
            fetchers.append(MapFetcher.from_file(resolve_map))
        except VerifierError as err:
            raise typer.BadParameter(str(err), param_hint="--resolve") from err
    fetchers.append(OfflineFetcher() if offline else HttpsFetcher())
    return fetchers


def _unreadable(name: str, error: VerifierError) -> Outcome:
    return Outcome(
        name, "unreadable", VerificationReport((CheckResult("format", False, str(error), error.code),))
    )


def _with_checks(outcome: Outcome, *checks: CheckResult) -> Outcome:
    report = dataclasses.replace(outcome.report, checks=(*outcome.report.checks, *checks))
    return dataclasses.replace(outcome, report=report)


def _verify_one(
    item: BundleInput,
    *,
    resolver: Resolver,
    now: datetime,
    options: VerifyOptions,
    challenge: str | None,
    domain: str | None,
) -> Outcome:
    try:
        text, kind = extract_credential(item.data)
    except VerifierError as err:
        return _unreadable(item.name, err)
    if kind != "jwt" and _is_presentation(text):
        report = verify_presentation(
            text, resolver=resolver, now=now, challenge=challenge, domain=domain, options=options
        )
        return Outcome(item.name, "presentation", report)
    outcome = Outcome(item.name, kind, verify_credential(text, resolver=resolver, now=now, options=options))
    if challenge is not None or domain is not None:
        # A challenge shows the presenter is live; a bare credential can be replayed by anyone.
        refused = InvalidChallengeError(
            "a credential on its own answers no challenge: ask for a presentation"
        )
        outcome = _with_checks(outcome, CheckResult("challenge", False, str(refused), refused.code))
    return outcome


def _is_presentation(text: str) -> bool:
    try:
        value = json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        return False
    kinds = value.get("type") if isinstance(value, dict) else None
    return "VerifiablePresentation" in (kinds if isinstance(kinds, list) else [kinds])


def verify_inputs(
    paths: list[str],
    *,
    resolve_map: Path | None,
    offline: bool,
    at: datetime | None,
    options: VerifyOptions,
    challenge: str | None = None,
    domain: str | None = None,
    bundle_out: Path | None = None,
    trust_bundles: bool = False,
) -> list[Outcome]:
    """Verify every input; bundles are re-checked against the documents they recorded."""
    now = at or datetime.now(UTC)
    recorder = RecordingFetcher(ChainFetcher(*_network(resolve_map, offline=offline)))
    resolver = Resolver(recorder)
    outcomes: list[Outcome] = []
    checked: list[BundleInput] = []
    for item in collect_inputs(paths):
        if isinstance(item, str):
            outcomes.append(
                _unreadable(
                    item, MalformedCredentialError(f"{item} is larger than {MAX_INPUT_BYTES:,} bytes")
                )
            )
        elif is_bundle(item.data):
            outcomes.extend(
                _verify_bundle(
                    item,
                    resolve_map=resolve_map,
                    offline=offline,
                    at=at,
                    options=options,
                    trusted=trust_bundles,
                )
            )
        else:
            outcomes.append(
                _verify_one(
                    item, resolver=resolver, now=now, options=options, challenge=challenge, domain=domain
                )
            )
            if all(done.name != item.name for done in checked):  # a path given twice is bundled once
                checked.append(item)
    if bundle_out is not None:
        names = {item.name for item in checked}
        bundle = Bundle(
            checked_at=now,
            inputs=tuple(checked),
            documents=dict(recorder.fetched),
            verdicts={o.name: o.report.verdict for o in outcomes if o.name in names},
        )
        try:
            write_bundle(bundle_out, bundle)
        except OSError as err:
            raise typer.BadParameter(
                f"{bundle_out}: cannot write it ({err.strerror})", param_hint="--bundle"
            ) from err
    return outcomes


def _verify_bundle(
    item: BundleInput,
    *,
    resolve_map: Path | None,
    offline: bool,
    at: datetime | None,
    options: VerifyOptions,
    trusted: bool,
) -> list[Outcome]:
    """Re-check a bundle against the documents it recorded, without the network.

    Nothing in a bundle is signed by the issuer: whoever made it could have put in a DID document of
    their own. So unless the user vouches for it (``--trust-bundle``, for a bundle they made), each
    result carries an indeterminate "bundle" check and runs at the current time, not the recorded one.
    """
    try:
        bundle = read_bundle(item.data)
    except VerifierError as err:
        return [_unreadable(item.name, err)]
    resolver = Resolver(ChainFetcher(bundle_fetcher(bundle), *_network(resolve_map, offline=offline)))
    now = at or (bundle.checked_at if trusted else datetime.now(UTC))
    outcomes = []
    for inner in bundle.inputs:
        outcome = _verify_one(
            BundleInput(name=f"{item.name}!{inner.name}", data=inner.data),
            resolver=resolver,
            now=now,
            options=options,
            challenge=None,
            domain=None,
        )
        if not trusted:
            outcome = _with_checks(
                outcome,
                CheckResult(
                    "bundle",
                    False,
                    f"checked against documents recorded in {item.name} on {bundle.checked_at.isoformat()}, "
                    "not fetched from the issuer; --trust-bundle only for a bundle you made yourself",
                    "UNTRUSTED_BUNDLE",
                    indeterminate=True,
                ),
            )
        outcomes.append(outcome)
    return outcomes


def exit_code(outcomes: list[Outcome]) -> int:
    verdicts = {o.report.verdict for o in outcomes}
    if "invalid" in verdicts:
        return EXIT_INVALID
    return EXIT_INDETERMINATE if "indeterminate" in verdicts else EXIT_VALID


_COLOUR = {"valid": "green", "invalid": "red", "indeterminate": "yellow"}


def _print_checks(console: Console, checks: tuple[CheckResult, ...], indent: str) -> None:
    for check in checks:
        if check.passed:
            mark = "[green]✓[/green]"
        elif check.warning or check.indeterminate:
            mark = "[yellow]![/yellow]" if check.warning else "[yellow]?[/yellow]"
        else:
            mark = "[red]✗[/red]"
        code = f" [dim]{escape(check.code)}[/dim]" if check.code else ""
        # Messages quote the credential: its text must never be read as markup.
        console.print(f"{indent}{mark} {escape(check.id)}: {escape(check.message)}{code}")


def _print_credential(console: Console, title: str, report: VerificationReport, indent: str = "") -> None:
    colour = _COLOUR[report.verdict]
    console.print(f"{indent}[bold]{escape(title)}[/bold]: [{colour}]{report.verdict.upper()}[/{colour}]")
    summary = report.summary()
    issuer = summary.get("issuerName") or summary.get("issuer")
    if report.kind == "clr":
        count = summary.get("credentialCount")
        console.print(
            escape(
                f"{indent}  CLR transcript {summary.get('name')!r} of {count} credential(s), issued by {issuer}"
            )
        )
    elif summary.get("achievementName"):
        level = f" at level {summary['level']}" if summary.get("level") else ""
        attester = f", attested by {summary['attester']}" if summary.get("attester") else ""
        console.print(escape(f"{indent}  {summary['achievementName']}{level}, issued by {issuer}{attester}"))
    _print_checks(console, report.checks, indent + "  ")
    for endorsement in report.endorsements:
        shade = _COLOUR[endorsement.report.verdict]
        who = endorsement.endorser_name or endorsement.endorser or "an unknown endorser"
        console.print(
            f"{indent}  endorsed by {escape(who)} ({escape(str(endorsement.endorser))}): "
            f"[{shade}]{endorsement.report.verdict.upper()}[/{shade}]"
        )
        if endorsement.comment:
            console.print(escape(f"{indent}    “{endorsement.comment}”"))
        _print_checks(console, tuple(c for c in endorsement.report.checks if not c.passed), indent + "    ")
    for index, inner in enumerate(report.inner):
        _print_credential(console, f"credential {index + 1}", inner, indent=indent + "  ")


def print_outcome(console: Console, outcome: Outcome) -> None:
    report = outcome.report
    if isinstance(report, PresentationReport):
        colour = _COLOUR[report.verdict]
        console.print(
            f"[bold]{escape(outcome.name)}[/bold] (presentation by {escape(str(report.holder))}): "
            f"[{colour}]{report.verdict.upper()}[/{colour}]"
        )
        _print_checks(console, report.checks, "  ")
        for presented in report.credentials:
            _print_credential(console, f"credential {presented.index + 1}", presented.report, indent="  ")
        return
    _print_credential(console, outcome.name, report)


def console() -> Console:
    """Terminal output: no emoji codes (a did:key has ':key:' in it), no re-wrapping of long ids."""
    return Console(highlight=False, soft_wrap=True, emoji=False)


PathsArgument = Annotated[
    list[str],
    typer.Argument(help="Credentials, presentations, baked PNG/SVG, folders, bundles (.zip); - for stdin."),
]
ResolveOption = Annotated[
    Path | None,
    typer.Option("--resolve", help="JSON map of URL -> local file, consulted before any network."),
]
OfflineOption = Annotated[bool, typer.Option("--offline", help="Never use the network.")]
AtOption = Annotated[
    str | None, typer.Option("--at", help="Check validity at this ISO 8601 time (default: now).")
]
TrustBundleOption = Annotated[
    bool,
    typer.Option("--trust-bundle", help="Believe the documents inside bundle inputs (bundles you made)."),
]
TrustOption = Annotated[
    Path | None, typer.Option("--trust", help="Trust list (YAML/JSON): issuers you accept, and for what.")
]
ContextsOption = Annotated[
    Path | None,
    typer.Option(
        "--contexts",
        exists=True,
        file_okay=False,
        help="Folder of JSON-LD contexts not shipped (the CLR 2.0 context; docs/clr.md). Default: $BADGES_CONTEXTS_DIR.",
    ),
]


def _options(trust: Path | None, recipient: str | None = None) -> VerifyOptions:
    if trust is None:
        return VerifyOptions(recipient=recipient)
    try:
        return VerifyOptions(trust=load_trust_list(trust), recipient=recipient)
    except VerifierError as err:
        raise typer.BadParameter(str(err), param_hint="--trust") from err


def verify_command(
    paths: PathsArgument,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per input, one per line.")] = False,
    resolve: ResolveOption = None,
    offline: OfflineOption = False,
    at: AtOption = None,
    trust: TrustOption = None,
    recipient: Annotated[
        str | None,
        typer.Option("--recipient", help="The learner's e-mail or DID: is the badge really theirs?"),
    ] = None,
    challenge: Annotated[
        str | None, typer.Option("--challenge", help="Expected presentation challenge.")
    ] = None,
    domain: Annotated[str | None, typer.Option("--domain", help="Expected presentation domain.")] = None,
    bundle: Annotated[
        Path | None,
        typer.Option("--bundle", help="Also write a bundle (.zip) to re-run this check offline later."),
    ] = None,
    trust_bundle: TrustBundleOption = False,
    contexts: ContextsOption = None,
) -> None:
    """Verify Open Badges 3.0 credentials: proof, issuer key, validity dates, revocation, trust, recipient."""
    with contexts_folder(contexts):
        outcomes = verify_inputs(
            paths,
            resolve_map=resolve,
            offline=offline,
            at=parse_time(at),
            options=_options(trust, recipient),
            challenge=challenge,
            domain=domain,
            bundle_out=bundle,
            trust_bundles=trust_bundle,
        )
    out = console()
    for outcome in outcomes:
        if as_json:
            print(json.dumps(outcome.to_json(), ensure_ascii=False))
        else:
            print_outcome(out, outcome)
    if bundle is not None and not as_json:
        out.print(escape(f"wrote {bundle}: re-run it with `badges verify {bundle} --offline --trust-bundle`"))
    raise typer.Exit(exit_code(outcomes))


def transfer_command(
    paths: PathsArgument,
    rules: Annotated[Path, typer.Option("--rules", help="The institution's credit rules (YAML).")],
    as_json: Annotated[bool, typer.Option("--json", help="The decision as JSON.")] = False,
    resolve: ResolveOption = None,
    offline: OfflineOption = False,
    at: AtOption = None,
    trust: TrustOption = None,
    all_lines: Annotated[
        bool, typer.Option("--all", help="Show every badge x rule line, not only the deciding ones.")
    ] = False,
    trust_bundle: TrustBundleOption = False,
    contexts: ContextsOption = None,
) -> None:
    """Verify a learner's badges, then apply an institution's credit rules, with the reason for each."""
    try:
        rule_set = load_rules(rules)
    except VerifierError as err:
        raise typer.BadParameter(str(err), param_hint="--rules") from err
    now = parse_time(at) or datetime.now(UTC)
    with contexts_folder(contexts):
        outcomes = verify_inputs(
            paths,
            resolve_map=resolve,
            offline=offline,
            at=now,
            options=_options(trust),
            trust_bundles=trust_bundle,
        )
    facts = [
        facts_from_credential(
            report.credential or {}, verdict=report.verdict, endorsers=report.valid_endorsers()
        )
        for outcome in outcomes
        for report in outcome.credential_reports()
    ]
    decision = evaluate(facts, rule_set, now=now)
    if as_json:
        print(
            json.dumps(
                {"decision": decision.to_json(), "verification": [o.to_json() for o in outcomes]},
                ensure_ascii=False,
            )
        )
    else:
        print(decision.render_text(all_lines=all_lines))
    raise typer.Exit(EXIT_VALID)
