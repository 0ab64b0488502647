"""report.html in a real headless Chromium: loads offline without console errors, one Gantt row per worker.

Drives Debian's ``chromium`` through playwright (``executable_path``; playwright cannot download browsers
here). ``.ci/run`` installs the browser; the test is skipped, saying why, only where none can be found.
A screenshot is saved under ``$SHIFTMIX_TEST_ARTIFACTS`` (default ``test-artifacts/``) for people to look at.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from api.examples import example_problem
from optimizer import plan
from optimizer.domain import SolveParams
from scenarios.report import replan_report

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
ARTIFACTS = Path(os.environ.get("SHIFTMIX_TEST_ARTIFACTS", Path(__file__).resolve().parents[2] / "test-artifacts"))


def _chromium() -> str:
    found = next((p for p in CHROMIUM_CANDIDATES if Path(p).exists()), None) or shutil.which("chromium")
    if found is None:
        pytest.skip("no Chromium browser on this machine (apt-get install chromium; .ci/run does)")
    return found


def test_report_opens_offline_with_one_gantt_row_per_worker(tmp_path: Path) -> None:
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install playwright)")
    browser_path = _chromium()
    problem = example_problem()
    solved = plan(problem, SolveParams(time_limit_s=5, num_workers=1, random_seed=1))
    workers = sorted({s.worker_id for s in solved.shifts})
    assert any(s.kind == "gig" for s in solved.shifts)
    assert any(s.breaks for s in solved.shifts)
    page_path = tmp_path / "report.html"
    page_path.write_text(replan_report(problem, solved, None, "browser test"), encoding="utf-8")

    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=browser_path, args=["--no-sandbox"])
        try:
            context = browser.new_context(viewport={"width": 1300, "height": 900})
            requests: list[str] = []
            context.on("request", lambda r: requests.append(r.url))
            page = context.new_page()
            errors: list[str] = []
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(page_path.as_uri())
            page.wait_for_selector("#gantt .main-svg")
            page.wait_for_selector("#coverage-chart .main-svg")
            page.wait_for_selector("#cost-chart .main-svg")

            rows = page.evaluate(
                "() => [...new Set(document.getElementById('gantt').data"
                ".filter(t => t.meta && t.meta.role === 'shift').flatMap(t => t.y))].sort()"
            )
            assert rows == workers
            ticks = page.locator("#gantt .ytick text").all_text_contents()
            assert sorted(ticks) == workers
            colours = page.evaluate(
                "() => Object.fromEntries(document.getElementById('gantt').data"
                ".filter(t => t.meta && t.meta.role === 'shift').map(t => [t.name, t.marker.color]))"
            )
            gig_colour = colours.pop("GIG gig")
            assert colours
            assert gig_colour not in colours.values()  # FTE and gig in distinct colours
            assert page.locator("#gantt .legendtext", has_text="break").count() == 1

            page.select_option("#filter-contract", "gig")
            page.wait_for_function("() => document.getElementById('gantt').getAttribute('data-rows') !== null")
            gig_ticks = page.locator("#gantt .ytick text").all_text_contents()
            assert sorted(gig_ticks) == sorted(w for w in workers if w.startswith("gig"))
            page.select_option("#filter-contract", "all")

            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            shot = ARTIFACTS / "report.png"
            page.screenshot(path=str(shot), full_page=True)
            assert shot.stat().st_size > 10_000
            assert errors == []
            assert all(url.startswith("file://") for url in requests), requests
        finally:
            browser.close()
