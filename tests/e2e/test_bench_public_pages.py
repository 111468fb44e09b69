"""The public-pages benchmark runs end to end with a tiny load (its figures are printed, never asserted)."""

from __future__ import annotations

import re

from bench import public_pages


def test_public_pages_bench_measures_the_verifier_the_badge_page_and_extra_pages() -> None:
    report = public_pages.run(clients=2, requests=6, extra_urls=["/sign-in"])
    lines = report.splitlines()
    assert lines[0].startswith("public pages: 2 concurrent clients")
    names = [line[:34].strip() for line in lines[1:]]
    assert names == [
        "POST /verify (valid badge)",
        "GET /verify",
        "GET /s/<token> (badge page)",
        "GET /sign-in",
    ]
    assert "FAILED" not in report, report
    assert all(re.search(r"/s +p50 +[0-9.]+ ms +p95 +[0-9.]+ ms$", line) for line in lines[1:]), report
