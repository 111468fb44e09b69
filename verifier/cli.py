"""``badges verify`` and ``badges transfer``: the command-line front of the verifier.

Exit codes (DESIGN.md contract): 0 all valid, 1 any invalid, 3 indeterminate (none invalid), 2 usage.
Inputs are credential files (JSON-LD or compact JWT), presentations, baked PNG/SVG badges, folders of
those, verification bundles (.zip) and ``-`` for standard input.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from verifier.baking import extract_credential
from verifier.bundle import Bundle, BundleInput, bundle_fetcher, is_bundle, read_bundle, write_bundle
from verifier.credit.evaluate import evaluate
from verifier.credit.facts import facts_from_credential
from verifier.credit.rules import load_rules
from verifier.errors import MalformedCredentialError, VerifierError
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
        """The credentials inside: itself, or each credential of a presentation."""
        if isinstance(self.report, PresentationReport):
            return [presented.report for presented in self.report.credentials]
        return [self.report]

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


def collect_inputs(paths: list[str]) -> list[BundleInput]:
    """Files as given; folders expanded to the credential files inside them, in name order."""
    items: list[BundleInput] = []
    for path in paths:
        if path == "-":
            items.append(BundleInput(name="-", data=sys.stdin.buffer.read(MAX_INPUT_BYTES + 1)))
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
            if file.stat().st_size > MAX_INPUT_BYTES:
                items.append(BundleInput(name=str(file), data=b""))  # reported as too large below
                continue
            items.append(BundleInput(name=str(file), data=file.read_bytes()))
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
        report: Report = verify_presentation(
            text, resolver=resolver, now=now, challenge=challenge, domain=domain, options=options
        )
        return Outcome(item.name, "presentation", report)
    return Outcome(item.name, kind, verify_credential(text, resolver=resolver, now=now, options=options))


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
) -> list[Outcome]:
    """Verify every input; bundles are re-checked against their own documents at their own time."""
    now = at or datetime.now(UTC)
    recorder = RecordingFetcher(ChainFetcher(*_network(resolve_map, offline=offline)))
    resolver = Resolver(recorder)
    outcomes: list[Outcome] = []
    checked: list[BundleInput] = []
    for item in collect_inputs(paths):
        if not item.data and item.name != "-":
            outcomes.append(_unreadable(item.name, _too_large(item.name)))
        elif is_bundle(item.data):
            outcomes.extend(
                _verify_bundle(item, resolve_map=resolve_map, offline=offline, at=at, options=options)
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
        write_bundle(
            bundle_out,
            Bundle(
                checked_at=now,
                inputs=tuple(checked),
                documents=dict(recorder.fetched),
                verdicts={o.name: o.report.verdict for o in outcomes if o.name in {i.name for i in checked}},
            ),
        )
    return outcomes


def _too_large(name: str) -> VerifierError:
    return MalformedCredentialError(f"{name} is larger than {MAX_INPUT_BYTES:,} bytes")


def _verify_bundle(
    item: BundleInput, *, resolve_map: Path | None, offline: bool, at: datetime | None, options: VerifyOptions
) -> list[Outcome]:
    try:
        bundle = read_bundle(item.data)
    except VerifierError as err:
        return [_unreadable(item.name, err)]
    # The bundle's own documents first: the same answer as when it was made, without the network.
    resolver = Resolver(ChainFetcher(bundle_fetcher(bundle), *_network(resolve_map, offline=offline)))
    now = at or bundle.checked_at
    return [
        _verify_one(
            BundleInput(name=f"{item.name}!{inner.name}", data=inner.data),
            resolver=resolver,
            now=now,
            options=options,
            challenge=None,
            domain=None,
        )
        for inner in bundle.inputs
    ]


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
        code = f" [dim]{check.code}[/dim]" if check.code else ""
        console.print(f"{indent}{mark} {check.id}: {check.message}{code}", highlight=False, markup=True)


def _print_credential(console: Console, title: str, report: VerificationReport, indent: str = "") -> None:
    colour = _COLOUR[report.verdict]
    console.print(f"{indent}[bold]{title}[/bold]: [{colour}]{report.verdict.upper()}[/{colour}]")
    summary = report.summary()
    if summary.get("achievementName"):
        level = f" at level {summary['level']}" if summary.get("level") else ""
        issuer = summary.get("issuerName") or summary.get("issuer")
        attester = f", attested by {summary['attester']}" if summary.get("attester") else ""
        console.print(
            f"{indent}  {summary['achievementName']}{level}, issued by {issuer}{attester}", highlight=False
        )
    _print_checks(console, report.checks, indent + "  ")


def print_outcome(console: Console, outcome: Outcome) -> None:
    report = outcome.report
    if isinstance(report, PresentationReport):
        colour = _COLOUR[report.verdict]
        console.print(
            f"[bold]{outcome.name}[/bold] (presentation by {report.holder}): "
            f"[{colour}]{report.verdict.upper()}[/{colour}]"
        )
        _print_checks(console, report.checks, "  ")
        for presented in report.credentials:
            _print_credential(console, f"credential {presented.index + 1}", presented.report, indent="  ")
        return
    _print_credential(console, outcome.name, report)


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
TrustOption = Annotated[
    Path | None, typer.Option("--trust", help="Trust list (YAML/JSON): issuers you accept, and for what.")
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
) -> None:
    """Verify Open Badges 3.0 credentials: proof, issuer key, validity dates, revocation, trust, recipient."""
    outcomes = verify_inputs(
        paths,
        resolve_map=resolve,
        offline=offline,
        at=parse_time(at),
        options=_options(trust, recipient),
        challenge=challenge,
        domain=domain,
        bundle_out=bundle,
    )
    console = Console(highlight=False, soft_wrap=True)
    for outcome in outcomes:
        if as_json:
            print(json.dumps(outcome.to_json(), ensure_ascii=False))
        else:
            print_outcome(console, outcome)
    if bundle is not None and not as_json:
        console.print(f"wrote {bundle}: re-run with `badges verify {bundle} --offline`")
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
) -> None:
    """Verify a learner's badges, then apply an institution's credit rules, with the reason for each."""
    try:
        rule_set = load_rules(rules)
    except VerifierError as err:
        raise typer.BadParameter(str(err), param_hint="--rules") from err
    now = parse_time(at) or datetime.now(UTC)
    outcomes = verify_inputs(paths, resolve_map=resolve, offline=offline, at=now, options=_options(trust))
    facts = [
        facts_from_credential(report.credential or {}, verdict=report.verdict)
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
