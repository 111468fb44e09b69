"""``badges verify``: the command-line front of :func:`verifier.verify.verify_credential`.

Exit codes (DESIGN.md contract): 0 all valid, 1 any invalid, 3 indeterminate (none invalid), 2 usage.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from verifier.errors import VerifierError
from verifier.resolve import ChainFetcher, Fetcher, HttpsFetcher, MapFetcher, OfflineFetcher, Resolver
from verifier.verify import VerificationReport, verify_credential

EXIT_VALID, EXIT_INVALID, EXIT_USAGE, EXIT_INDETERMINATE = 0, 1, 2, 3


def build_resolver(resolve_map: Path | None, *, offline: bool) -> Resolver:
    """`--resolve` first, then the network unless `--offline`."""
    fetchers: list[Fetcher] = []
    if resolve_map is not None:
        fetchers.append(MapFetcher.from_file(resolve_map))
    fetchers.append(OfflineFetcher() if offline else HttpsFetcher())
    return Resolver(ChainFetcher(*fetchers))


def parse_time(value: str | None) -> datetime:
    if value is None:
        return datetime.now(UTC)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as err:
        raise typer.BadParameter(f"{value!r} is not an ISO 8601 date-time") from err
    if moment.tzinfo is None:
        raise typer.BadParameter(f"{value!r} needs a time zone, e.g. {value}Z")
    return moment


def _read(path: str) -> bytes:
    if path == "-":
        return sys.stdin.buffer.read()
    file = Path(path)
    if not file.is_file():
        raise typer.BadParameter(f"{path}: no such file", param_hint="PATH")
    return file.read_bytes()


def exit_code(reports: list[VerificationReport]) -> int:
    verdicts = {r.verdict for r in reports}
    if "invalid" in verdicts:
        return EXIT_INVALID
    return EXIT_INDETERMINATE if "indeterminate" in verdicts else EXIT_VALID


def _print_report(console: Console, path: str, report: VerificationReport) -> None:
    colour = {"valid": "green", "invalid": "red", "indeterminate": "yellow"}[report.verdict]
    summary = report.summary()
    console.print(f"[bold]{path}[/bold]: [{colour}]{report.verdict.upper()}[/{colour}]")
    if summary.get("achievementName"):
        level = f" at level {summary['level']}" if summary.get("level") else ""
        console.print(
            f"  {summary['achievementName']}{level}, issued by {summary.get('issuerName') or summary.get('issuer')}"
        )
    for check in report.checks:
        mark = (
            "[green]✓[/green]"
            if check.passed
            else ("[yellow]?[/yellow]" if check.indeterminate else "[red]✗[/red]")
        )
        code = f" [dim]{check.code}[/dim]" if check.code else ""
        console.print(f"  {mark} {check.id}: {check.message}{code}", highlight=False)


def verify_command(
    paths: Annotated[
        list[str], typer.Argument(help="Credential files (JSON-LD or compact JWT); - for stdin.")
    ],
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per input, one per line.")] = False,
    resolve: Annotated[
        Path | None,
        typer.Option("--resolve", help="JSON map of URL -> local file, consulted before any network."),
    ] = None,
    offline: Annotated[bool, typer.Option("--offline", help="Never use the network.")] = False,
    at: Annotated[str | None, typer.Option("--at", help="Check validity at this ISO 8601 time.")] = None,
) -> None:
    """Verify Open Badges 3.0 credentials: proof, issuer key, validity dates, revocation status."""
    now = parse_time(at)
    try:
        resolver = build_resolver(resolve, offline=offline)
    except VerifierError as err:
        raise typer.BadParameter(str(err), param_hint="--resolve") from err
    inputs = [(path, _read(path)) for path in paths]
    console = Console(highlight=False)
    reports = []
    for path, raw in inputs:
        report = verify_credential(raw, resolver=resolver, now=now)
        reports.append(report)
        if as_json:
            print(json.dumps(report.to_json(), ensure_ascii=False))
        else:
            _print_report(console, path, report)
    raise typer.Exit(exit_code(reports))
