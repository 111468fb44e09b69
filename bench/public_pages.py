"""Requests per second and p95 latency of public pages under concurrent clients, on loopback against a real
uvicorn server (``badges demo`` in a subprocess, with its own data folder and demo badges).

Measured by default: ``POST /verify`` with a valid demo badge (the whole verification: proof, issuer key
from the service's own data, status list), ``GET /verify``, and the public badge page of a share link the
learner makes first (``GET /s/<token>``: the badge checked live, an opening logged). More pages: ``BENCH_PAGE_URLS`` (paths or
URLs separated by spaces, e.g. a share link ``/s/<token>``) or ``run(extra_urls=...)``; each is fetched
with GET. ``BENCH_CLIENTS`` clients (default 16) send requests back to back, ``BENCH_REQUESTS`` (default
400) per measured page in all. Every answer must be 200 (and "Verified" for the verification), or the
figure is reported as failed instead of a rate.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

import httpx

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence

REPO = Path(__file__).resolve().parents[1]
DEMO_PASSWORD = "demo-password-2026"  # noqa: S105 - the demo's published password
LEARNER = "ana@students.lincoln.demo"
START_SECONDS = 120
VERIFIED = 'id="verdict">Verified<'  # the page's verdict, checked on every answer


@dataclass(frozen=True)
class Measured:
    name: str
    requests: int
    clients: int
    per_second: float
    p50_ms: float
    p95_ms: float
    failures: int

    def line(self) -> str:
        if self.failures:
            return f"{self.name:<34} FAILED: {self.failures} of {self.requests} answers were not right"
        return (
            f"{self.name:<34}{self.per_second:>10,.0f}/s   p50 {self.p50_ms:>7.1f} ms   "
            f"p95 {self.p95_ms:>7.1f} ms"
        )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass(frozen=True)
class _Server:
    base_url: str
    process: subprocess.Popen[bytes]
    log: BinaryIO


def _start(data_dir: Path) -> _Server:
    port = _free_port()
    env = {
        **os.environ,
        "ISSUER_VERIFY_RATE_PER_MINUTE": "100000",  # the limiter would otherwise be what is measured
        "ISSUER_LOGIN_RATE_PER_MINUTE": "1000",
    }
    log = (data_dir / "server.log").open("wb")
    process = subprocess.Popen(  # noqa: S603 - our own CLI, fixed arguments
        [
            sys.executable,
            "-m",
            "issuer.cli",
            "demo",
            "--port",
            str(port),
            "--data-dir",
            str(data_dir / "demo"),
        ],
        cwd=REPO,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base_url = f"http://localhost:{port}"
    deadline = time.monotonic() + START_SECONDS
    while True:
        try:
            if httpx.get(f"{base_url}/healthz", timeout=2).status_code == 200:
                return _Server(base_url, process, log)
        except httpx.HTTPError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            log.close()
            raise RuntimeError("the demo service did not start:\n" + (data_dir / "server.log").read_text())
        time.sleep(0.3)


def _stop(server: _Server) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.process.kill()
    server.log.close()


def _demo_badge(base_url: str) -> tuple[str, str]:
    """A valid demo badge (JSON-LD), downloaded by its learner through the record API, and the path of a
    share link of it the learner makes on the badge's page (the public badge page to measure)."""
    with httpx.Client(base_url=base_url, timeout=30) as client:
        signed_in = client.post("/api/session", json={"email": LEARNER, "password": DEMO_PASSWORD})
        signed_in.raise_for_status()
        listed = client.get("/api/me/credentials")
        listed.raise_for_status()
        entry = next(e for e in listed.json() if e["badge"] == "weld-smaw-3f" and "json" in e["downloads"])
        answer = client.get(entry["downloads"]["json"])
        answer.raise_for_status()
        shared = client.post(
            f"/me/badges/{entry['id']}/share",
            data={
                "audience": "bench",
                "display_name": "Ana S.",
                "until": "withdrawn",
                "csrf_token": signed_in.json()["csrfToken"],
            },
        )
        shared.raise_for_status()
        token = re.search(r'id="share-url"[^>]*value="[^"]*/s/([^"]+)"', shared.text)
        if token is None:
            raise RuntimeError("the share page showed no link")
        return answer.text, f"/s/{token.group(1)}"


async def _measure(
    name: str,
    client: httpx.AsyncClient,
    make: Iterator[httpx.Request],
    *,
    requests: int,
    clients: int,
    expect: str | None,
) -> Measured:
    latencies: list[float] = []
    failures = 0
    remaining = requests

    async def worker() -> None:
        nonlocal remaining, failures
        while remaining > 0:
            remaining -= 1
            request = next(make)
            start = time.perf_counter()
            answer = await client.send(request)
            latencies.append(time.perf_counter() - start)
            if answer.status_code != 200 or (expect is not None and expect not in answer.text):
                failures += 1

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(clients)))
    elapsed = time.perf_counter() - started
    latencies.sort()
    cuts = statistics.quantiles(latencies, n=20) if len(latencies) >= 2 else latencies * 19
    return Measured(
        name,
        len(latencies),
        clients,
        len(latencies) / elapsed,
        statistics.median(latencies) * 1000,
        cuts[18] * 1000,
        failures,
    )


def _repeat(build: Callable[[], httpx.Request]) -> Iterator[httpx.Request]:
    while True:
        yield build()


async def _run_all(
    base_url: str, badge: str, share_path: str, extra_urls: Sequence[str], *, clients: int, requests: int
) -> list[Measured]:
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=60) as client:
        # One warm-up of each (contexts load, the first status list is read) before measuring.
        await client.post("/verify", data={"credential": badge})
        results = [
            await _measure(
                "POST /verify (valid badge)",
                client,
                _repeat(lambda: client.build_request("POST", "/verify", data={"credential": badge})),
                requests=requests,
                clients=clients,
                expect=VERIFIED,
            )
        ]
        pages = [("GET /verify", "/verify", None), ("GET /s/<token> (badge page)", share_path, VERIFIED)]
        pages += [(f"GET {url}", url, None) for url in extra_urls]
        for name, url, expect in pages:
            await client.get(url)
            results.append(
                await _measure(
                    name,
                    client,
                    _repeat(lambda url=url: client.build_request("GET", url)),  # type: ignore[misc]
                    requests=requests,
                    clients=clients,
                    expect=expect,
                )
            )
    return results


def run(*, clients: int | None = None, requests: int | None = None, extra_urls: Sequence[str] = ()) -> str:
    """Start the demo, measure, stop it; the figures as printable lines."""
    clients = clients or int(os.environ.get("BENCH_CLIENTS", "16"))
    requests = requests or int(os.environ.get("BENCH_REQUESTS", "400"))
    urls = [*extra_urls, *os.environ.get("BENCH_PAGE_URLS", "").split()]
    data_dir = Path(tempfile.mkdtemp(prefix="bench-pages-"))
    try:
        server = _start(data_dir)
        try:
            badge, share_path = _demo_badge(server.base_url)
            results = asyncio.run(
                _run_all(server.base_url, badge, share_path, urls, clients=clients, requests=requests)
            )
        finally:
            _stop(server)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
    head = (
        f"public pages: {clients} concurrent clients on loopback, one uvicorn worker (badges demo, SQLite), "
        f"{requests} requests each"
    )
    return "\n".join([head, *(result.line() for result in results)])


if __name__ == "__main__":
    print(run())
