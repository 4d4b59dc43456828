"""Where people wait in the web app: the time from a click to the answer on the screen, in a
real browser (Debian's Chromium, headless, driven by Playwright) against a real server.

    .venv/bin/python -m benchmarks.bench_browser [--rounds 12] [--json]

A temporary data directory gets the demo users and records (``sales-expert demo``), then
``streamlit run ui/server.py`` serves it on a free port of 127.0.0.1 (with recording on, as in
use). A manager signs in and, ``--rounds`` times each:

- **consult**: "Get the credit decision" on the credit page (an example loaded), until the
  decision is on the screen (recorded in the audit trail, as in use; the first one after
  signing in is reported on its own);
- **record**: "Record the final decision", until its confirmation with the new record's id;
- **switch (credit)**: the language switch on the credit page with its result open, until the
  page's title is in the other language and the app is idle;
- **switch (knowledge)**: the same on the Knowledge base (its first switch is also reported on
  its own: the one that builds the other language's texts);
- **open a page**: the sidebar link from the credit page to the Knowledge base and back.

Each time is measured in the browser from the click to the moment the expected text is shown
and the app reports its script run finished (``data-test-script-state``), polled at every
animation frame. Figures are printed (p50, p95, max), never asserted; the target is p95 ≤ 1 s
on a 2-core machine.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("CHROMIUM") or "/usr/bin/chromium"
IDLE = "document.querySelector('[data-testid=\"stApp\"]')?.dataset.testScriptState === 'notRunning'"
RECORDED = re.compile(r"^Recorded as audit record #")
TITLES = {
    "credit": {"en": "Credit decision", "zh": "授信决策"},
    "knowledge": {"en": "Knowledge base", "zh": "知识库"},
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextlib.contextmanager
def served(root: Path) -> Iterator[str]:
    """The demo data in ``root`` and the app serving it; its URL."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SALES_EXPERT_")}
    env |= {
        "SALES_EXPERT_DATA_DIR": str(root / "data"),
        "SALES_EXPERT_RECORD": "on",
        "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false",
        "STREAMLIT_SERVER_HEADLESS": "true",
        "STREAMLIT_SERVER_FILE_WATCHER_TYPE": "none",
    }
    cli = [sys.executable, "-m", "engine.cli", "demo"]
    subprocess.run(cli, cwd=root, env=env, check=True, capture_output=True)
    port = _free_port()
    command = [sys.executable, "-m", "streamlit", "run", str(REPO / "ui" / "server.py"),
               "--server.address", "127.0.0.1", "--server.port", str(port)]  # fmt: skip
    with (root / "server.log").open("wb") as log:
        process = subprocess.Popen(command, cwd=root, env=env, stdout=log, stderr=log)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(base, process)
        yield base
    finally:
        process.terminate()
        process.wait(10)


def _wait_healthy(base: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        with contextlib.suppress(OSError):
            if urllib.request.urlopen(f"{base}/_stcore/health", timeout=1).read() == b"ok":
                return
        time.sleep(0.1)
    raise RuntimeError("the app did not start")


def timed(page: Any, click: Callable[[], None], shown: str) -> float:
    """Seconds from the click until ``shown`` (a JS condition) holds and the app is idle."""
    page.wait_for_function(IDLE, polling="raf")
    start = time.perf_counter()
    click()
    page.wait_for_timeout(30)  # the rerun starts: the app is no longer idle
    try:
        page.wait_for_function(f"() => ({shown}) && {IDLE}", polling="raf", timeout=60_000)
    except Exception as exc:  # Playwright's timeout: say what was awaited
        raise RuntimeError(f"not shown within 60 s: {shown}") from exc
    return time.perf_counter() - start


def _heading(text: str) -> str:
    return f"[...document.querySelectorAll('h1')].some(h => h.textContent.includes({text!r}))"


def _success_with(old: str) -> str:
    found = "[...document.querySelectorAll('[data-testid=\"stAlertContentSuccess\"]')]"
    new = f"!{old!r}.includes(a.textContent)"
    return f"{found}.some(a => a.textContent.includes('record #') && {new})"


class Bench:
    """One signed-in manager and the measured actions."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.lang = "en"
        self.times: dict[str, list[float]] = {}

    def note(self, name: str, seconds: float) -> None:
        self.times.setdefault(name, []).append(seconds)

    def sign_in(self) -> None:
        page = self.page
        page.goto("/")
        page.get_by_role("textbox", name="Username").fill("mia")
        page.get_by_role("textbox", name="Password").fill("manager-demo")
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_function(_heading(TITLES["credit"]["en"]), polling="raf")

    def load_example(self) -> None:
        page = self.page
        box = page.get_by_test_id("stSelectbox").filter(has=page.get_by_text("Example case"))
        box.locator("input").fill("credit-refer")
        page.get_by_role("option", name="credit-refer").click()
        page.wait_for_function(IDLE, polling="raf")
        page.get_by_role("button", name="Load example").click()
        page.wait_for_function(IDLE, polling="raf")

    def consult(self, name: str = "consult") -> None:
        """Until the caption names the new consultation's audit record."""
        page = self.page
        old = " | ".join(page.get_by_text(RECORDED).all_inner_texts())
        button = page.get_by_role("button", name="Get the credit decision")
        shown = (
            "[...document.querySelectorAll('[data-testid=\"stCaptionContainer\"]')].some("
            f"c => c.textContent.startsWith('Recorded as audit record #') && !{old!r}.includes("
            "c.textContent))"
        )
        self.note(name, timed(page, button.click, shown))

    def record(self) -> None:
        page = self.page
        old = " | ".join(page.get_by_test_id("stAlertContentSuccess").all_inner_texts())
        button = page.get_by_role("button", name="Record the final decision")
        self.note("record", timed(page, button.click, _success_with(old)))

    def switch(self, where: str, name: str) -> None:
        other = "zh" if self.lang == "en" else "en"
        label = "简体中文" if other == "zh" else "English"
        radio = self.page.get_by_test_id("stSidebar").get_by_text(label, exact=True)
        self.note(name, timed(self.page, radio.click, _heading(TITLES[where][other])))
        self.lang = other

    def open(self, where: str) -> None:
        title = TITLES[where][self.lang]
        link = self.page.get_by_test_id("stSidebarNav").get_by_role("link", name=title)
        self.note("open a page", timed(self.page, link.click, _heading(title)))


def run(base: str, rounds: int) -> dict[str, list[float]]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--headless"])
        context = browser.new_context(base_url=base, viewport={"width": 1400, "height": 1000})
        bench = Bench(context.new_page())
        bench.page.set_default_timeout(60_000)
        bench.sign_in()
        bench.load_example()
        bench.consult("first consult (after sign-in)")
        bench.open("knowledge")
        bench.switch("knowledge", "first switch (knowledge)")
        bench.switch("knowledge", "switch (knowledge)")
        bench.open("credit")
        for _ in range(rounds):
            bench.consult()
            bench.record()
            bench.switch("credit", "switch (credit)")
            bench.switch("credit", "switch (credit)")
            bench.open("knowledge")
            bench.switch("knowledge", "switch (knowledge)")
            bench.switch("knowledge", "switch (knowledge)")
            bench.open("credit")
        browser.close()
    return bench.times


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def report(times: dict[str, list[float]]) -> dict[str, dict[str, float]]:
    return {
        name: {
            "n": len(found),
            "p50_ms": round(percentile(found, 0.5) * 1000),
            "p95_ms": round(percentile(found, 0.95) * 1000),
            "max_ms": round(max(found) * 1000),
        }
        for name, found in times.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=12)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as root, served(Path(root)) as base:
        figures = report(run(base, args.rounds))
    if args.json:
        print(json.dumps(figures, indent=2))
        return
    print(f"{'action':28} {'n':>4} {'p50':>8} {'p95':>8} {'max':>8}")
    for name, row in figures.items():
        print(
            f"{name:28} {row['n']:>4} {row['p50_ms']:>6} ms {row['p95_ms']:>6} ms "
            f"{row['max_ms']:>6} ms"
        )


if __name__ == "__main__":
    main()
