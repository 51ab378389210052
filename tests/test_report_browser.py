"""The report in a real headless Chromium, driven over the DevTools protocol.

CDP goes over ``--remote-debugging-pipe`` (file descriptors 3 and 4), so no port is opened
and no client library is needed; host resolution is disabled, so the page can reach
nothing but ``file://``.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import select
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="chromium is not installed (Debian package `chromium`; .ci/run installs it)",
)

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--host-resolver-rules=MAP * ~NOTFOUND",
    "--remote-debugging-pipe",
    "--window-size=1366,900",
)


class Browser:
    """Just enough of a CDP client for the test: commands, events, one page session."""

    def __init__(self, user_data_dir: Path) -> None:
        to_child_r, to_child_w = os.pipe()
        from_child_r, from_child_w = os.pipe()
        # Park the child's ends above 10 so dup2 onto 3 and 4 cannot clobber them.
        hi_r = fcntl.fcntl(to_child_r, fcntl.F_DUPFD, 10)
        hi_w = fcntl.fcntl(from_child_w, fcntl.F_DUPFD, 10)
        os.close(to_child_r)
        os.close(from_child_w)

        def child_fds() -> None:
            os.dup2(hi_r, 3)
            os.dup2(hi_w, 4)

        self.proc = subprocess.Popen(
            [CHROMIUM, *FLAGS, f"--user-data-dir={user_data_dir}", "about:blank"],
            preexec_fn=child_fds,
            pass_fds=(3, 4),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(hi_r)
        os.close(hi_w)
        self._out, self._in = to_child_w, from_child_r
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict[str, Any]] = []
        self.session: str | None = None

    def _read_message(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            ready, _, _ = select.select([self._in], [], [], max(0.0, left))
            if not ready:
                raise TimeoutError("chromium did not answer in time")
            chunk = os.read(self._in, 1 << 20)
            if not chunk:
                raise RuntimeError("chromium closed the DevTools pipe")
            self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(raw)

    def call(
        self, method: str, params: dict | None = None, *, page: bool = True, timeout: float = 30.0
    ) -> dict[str, Any]:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if page and self.session:
            message["sessionId"] = self.session
        os.write(self._out, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            reply = self._read_message(deadline)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_for(self, method: str, timeout: float = 30.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        for event in self.events:
            if event.get("method") == method:
                return event
        while True:
            event = self._read_message(deadline)
            self.events.append(event)
            if event.get("method") == method:
                return event

    def open_page(self) -> None:
        targets = self.call("Target.getTargets", page=False)["targetInfos"]
        page = next(t for t in targets if t["type"] == "page")
        self.session = self.call(
            "Target.attachToTarget", {"targetId": page["targetId"], "flatten": True}, page=False
        )["sessionId"]
        for domain in ("Page", "Runtime", "Log"):
            self.call(f"{domain}.enable")

    def evaluate(self, expression: str) -> Any:
        result = self.call(
            "Runtime.evaluate",
            {"expression": expression, "awaitPromise": True, "returnByValue": True},
        )
        if "exceptionDetails" in result:
            raise RuntimeError(f"page script failed: {result['exceptionDetails']}")
        return result["result"].get("value")

    def click(self, selector: str) -> None:
        """A real mouse click (press and release) at the element's centre."""
        box = self.evaluate(
            f"(() => {{ const e = document.querySelector({json.dumps(selector)});"
            " e.scrollIntoView({block: 'center'}); const r = e.getBoundingClientRect();"
            " return [r.x + r.width / 2, r.y + r.height / 2]; })()"
        )
        for kind in ("mousePressed", "mouseReleased"):
            self.call(
                "Input.dispatchMouseEvent",
                {"type": kind, "x": box[0], "y": box[1], "button": "left", "clickCount": 1},
            )

    def screenshot(self, path: Path, *, full_page: bool = False) -> Path:
        params: dict[str, Any] = {"format": "png"}
        if full_page:
            width, height = self.evaluate(
                "[document.documentElement.scrollWidth, document.documentElement.scrollHeight]"
            )
            params.update(
                captureBeyondViewport=True,
                clip={"x": 0, "y": 0, "width": width, "height": height, "scale": 1},
            )
        path.write_bytes(base64.b64decode(self.call("Page.captureScreenshot", params)["data"]))
        return path

    def console_errors(self) -> list[str]:
        errors = []
        for event in self.events:
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                errors.append(
                    " ".join(
                        str(a.get("value", a.get("description"))) for a in params.get("args", [])
                    )
                )
            elif method == "Runtime.exceptionThrown":
                errors.append(str(params.get("exceptionDetails")))
            elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
                errors.append(f"{params['entry'].get('text')} {params['entry'].get('url', '')}")
        return errors

    def close(self) -> None:
        try:
            self.call("Browser.close", page=False, timeout=5)
        except (RuntimeError, TimeoutError, OSError):
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        for fd in (self._out, self._in):
            os.close(fd)


@pytest.fixture
def browser(tmp_path):
    instance = Browser(tmp_path / "chromium-profile")
    try:
        instance.open_page()
        yield instance
    finally:
        instance.close()


SPEC_ORDER = (
    "Array.from(document.querySelectorAll('#summary-table tbody tr'))"
    ".map(r => r.cells[0].textContent)"
)


def test_report_in_headless_chromium(browser, report_html, tmp_path):
    browser.call(
        "Emulation.setDeviceMetricsOverride",
        {"width": 1366, "height": 900, "deviceScaleFactor": 1, "mobile": False},
    )
    browser.call("Page.navigate", {"url": report_html.resolve().as_uri()})
    browser.wait_for("Page.loadEventFired")

    images = browser.evaluate(
        "Promise.all(Array.from(document.images).map(i => i.decode().then(() => null,"
        " () => null))).then(() => Array.from(document.images).map(i => i.naturalWidth))"
    )
    assert len(images) > 20
    assert all(width > 0 for width in images), "some <img> did not decode"

    before = browser.evaluate(SPEC_ORDER)
    fit_column = browser.evaluate(
        "Array.from(document.querySelectorAll('#summary-table thead th'))"
        ".findIndex(th => th.textContent.trim() === 'fit s')"
    )
    assert fit_column > 0
    browser.click(f"#summary-table thead th:nth-child({fit_column + 1})")
    after = browser.evaluate(SPEC_ORDER)
    times = browser.evaluate(
        "Array.from(document.querySelectorAll('#summary-table tbody tr'))"
        f".map(r => Number(r.cells[{fit_column}].dataset.v))"
    )
    assert sorted(after) == sorted(before)
    assert times == sorted(times), "the table did not sort by fit time on click"
    assert after != before
    browser.click(f"#summary-table thead th:nth-child({fit_column + 1})")
    times = browser.evaluate(
        "Array.from(document.querySelectorAll('#summary-table tbody tr'))"
        f".map(r => Number(r.cells[{fit_column}].dataset.v))"
    )
    assert times == sorted(times, reverse=True), "a second click should sort descending"

    browser.click("#counts-toggle")
    assert browser.evaluate("document.getElementById('cm-grid').classList.contains('show-counts')")

    browser.evaluate("window.scrollTo(0, 0)")
    shot = browser.screenshot(tmp_path / "report-top.png")
    full = browser.screenshot(tmp_path / "report-full.png", full_page=True)
    assert shot.stat().st_size > 10_000 and full.stat().st_size > 10_000
    assert browser.console_errors() == []


NO_OVERFLOW = """Array.from(document.querySelectorAll('section table')).filter(t => t.offsetParent)
  .map(t => { const s = t.closest('section'), box = t.closest('.scroll') || t.parentElement;
    const pad = parseFloat(getComputedStyle(s).paddingRight);
    return [t.id || t.className, t.getBoundingClientRect().right
            - (s.getBoundingClientRect().right - pad), box.scrollWidth - box.clientWidth]; })
  .filter(([name, past, scroll]) => past > 0.5 || scroll > 0)"""

VISIBLE_ANSWERS = """Array.from(document.querySelectorAll('.digit-panel')).filter(p => !p.hidden)
  .map(p => Array.from(p.querySelectorAll('tr.answer')).filter(r => r.offsetParent)
  .map(r => [r.dataset.spec, r.cells[1].textContent.trim(), r.cells[2].textContent.trim()]))"""


def test_explorer_filter_and_layout_in_headless_chromium(browser, report_html, tmp_path):
    """Issue 12: click a digit and see every model's answer; hide a model everywhere with
    the filter; collapse a section; no table wider than its section at 1,400 px."""
    browser.call(
        "Emulation.setDeviceMetricsOverride",
        {"width": 1400, "height": 900, "deviceScaleFactor": 1, "mobile": False},
    )
    browser.call("Page.navigate", {"url": report_html.resolve().as_uri()})
    browser.wait_for("Page.loadEventFired")
    assert browser.evaluate(NO_OVERFLOW) == [], "a table overflows its section"

    specs = browser.evaluate(SPEC_ORDER)
    n_digits = browser.evaluate("document.querySelectorAll('button.probe').length")
    assert n_digits >= 12
    browser.click(f"button.probe:nth-child({n_digits - 1})")  # one most models get wrong
    panels = browser.evaluate(VISIBLE_ANSWERS)
    assert len(panels) == 1, "exactly one digit is shown"
    if browser.evaluate("!!document.querySelector('.digit-panel:not([hidden]) .show-all')"):
        browser.click(".digit-panel:not([hidden]) .show-all")
        panels = browser.evaluate(VISIBLE_ANSWERS)
    rows = panels[0]
    assert sorted(r[0] for r in rows) == sorted(specs), "not every model's answer is shown"
    assert all(answer not in ("", "–") for _, answer, _ in rows)
    assert all(conf.endswith("%") or conf.startswith("margin") for _, _, conf in rows)
    browser.click("button.probe:nth-child(2)")  # a probe digit: saliency for every model
    assert browser.evaluate(
        "Array.from(document.querySelectorAll('.digit-panel:not([hidden]) img.map'))"
        ".filter(i => i.naturalWidth > 0).length"
    ) >= len(specs)
    browser.evaluate("document.getElementById('explorer').scrollIntoView()")
    shot = browser.screenshot(tmp_path / "explorer.png")
    assert shot.stat().st_size > 10_000

    hidden = specs[0]
    browser.click("details.model-filter > summary")
    browser.click(f"input.spec-filter[value='{hidden}']")
    shown = browser.evaluate(
        f"Array.from(document.querySelectorAll('[data-spec=\"{hidden}\"]'))"
        ".map(e => e.offsetParent !== null)"
    )
    assert len(shown) > 3 and not any(shown), "the filter left the model visible somewhere"
    assert hidden not in [r[0] for r in browser.evaluate(VISIBLE_ANSWERS)[0]]
    assert (
        browser.evaluate("document.getElementById('filter-count').textContent")
        == f"{len(specs) - 1} of {len(specs)}"
    )
    browser.click(f"input.spec-filter[value='{hidden}']")
    assert len(browser.evaluate(VISIBLE_ANSWERS)[0]) == len(rows)

    browser.click("#confusion > h2")
    assert browser.evaluate("document.getElementById('cm-grid').offsetParent === null")
    browser.click("#confusion > h2")
    assert browser.evaluate("document.getElementById('cm-grid').offsetParent !== null")
    assert browser.console_errors() == []


@pytest.fixture(scope="module")
def tuning_report(tmp_path_factory) -> Path:
    """A report with its tuning section: a small tune of two models on digits, a run of
    their @tuned specs, and the report of that run with the study."""
    from mnistbench.cli import main

    out = tmp_path_factory.mktemp("tuning-report")
    quick = ["--dataset", "digits", "--threads", "1", "--quiet", "--out", str(out)]
    assert main(["tune", "--models", "sgd,knn", "--budget", "3", *quick]) == 0
    assert main(["run", "--models", "sgd@tuned,knn@tuned", "--run-id", "tuned", *quick]) == 0
    html = out / "report.html"
    study = str(out / "tune-digits")
    assert main(["report", str(out / "tuned"), "--study", study, "-o", str(html)]) == 0
    return html


TUNING_ROWS = (
    "Array.from(document.querySelectorAll('#tuning-table tbody tr'))"
    ".map(r => Array.from(r.cells).map(c => c.textContent.trim()))"
)


def test_tuning_section_in_headless_chromium(browser, tuning_report, tmp_path):
    """The accuracy-against-budget section renders: its chart decodes, its table holds
    each tuned model with a test accuracy and sorts on click, every model's importances
    are listed, and nothing overflows its section."""
    browser.call(
        "Emulation.setDeviceMetricsOverride",
        {"width": 1400, "height": 900, "deviceScaleFactor": 1, "mobile": False},
    )
    browser.call("Page.navigate", {"url": tuning_report.resolve().as_uri()})
    browser.wait_for("Page.loadEventFired")
    assert browser.evaluate("!!document.querySelector('nav a[href=\"#tuning\"]')")
    widths = browser.evaluate(
        "Promise.all(Array.from(document.querySelectorAll('#tuning img')).map(i => i.decode()"
        ".then(() => i.naturalWidth, () => 0)))"
    )
    assert len(widths) == 1 and widths[0] > 0, "the budget chart did not decode"
    headers = browser.evaluate(
        "Array.from(document.querySelectorAll('#tuning-table thead th')).map(h => h.textContent)"
    )
    assert "test accuracy" in headers and "best val accuracy" in headers
    rows = browser.evaluate(TUNING_ROWS)
    assert sorted(r[0] for r in rows) == ["knn", "sgd"]
    test_column = headers.index("test accuracy")
    assert all(0.8 < float(r[test_column]) <= 1 for r in rows)
    browser.click(f"#tuning-table thead th:nth-child({test_column + 1})")
    values = [float(r[test_column]) for r in browser.evaluate(TUNING_ROWS)]
    assert values == sorted(values), "the table did not sort by test accuracy on click"
    assert browser.evaluate(
        "Array.from(document.querySelectorAll('#tuning .importance')).map(d => d.dataset.model)"
    ) == ["knn", "sgd"]
    assert browser.evaluate(NO_OVERFLOW) == [], "a table overflows its section"
    browser.evaluate("document.getElementById('tuning').scrollIntoView()")
    assert browser.screenshot(tmp_path / "tuning.png").stat().st_size > 10_000
    assert browser.console_errors() == []


def test_ranking_across_data_sets_in_headless_chromium(browser, tmp_path):
    """Section 8b over four data sets: both critical-difference diagrams decode, its tables
    fit the page, and the page raises no error."""
    from mnistbench.report.html import build_report
    from tests.test_ranking import four_data_sets

    page = tmp_path / "ranking.html"
    page.write_text(build_report(four_data_sets()), encoding="utf-8")
    browser.call("Page.navigate", {"url": page.resolve().as_uri()})
    browser.wait_for("Page.loadEventFired")
    widths = browser.evaluate(
        "Promise.all(Array.from(document.querySelectorAll('#ranking img')).map(i => i.decode()"
        ".then(() => i.naturalWidth, () => 0)))"
    )
    assert len(widths) == 2 and all(w > 0 for w in widths)
    rows = browser.evaluate("document.querySelectorAll('#ranking-matrix tbody tr').length")
    assert rows == 3
    overflow = browser.evaluate(NO_OVERFLOW)
    assert not [o for o in overflow if str(o[0]).startswith("ranking")], overflow
    assert browser.console_errors() == []


def test_a_tuning_study_alone_in_headless_chromium(browser, tuning_report, tmp_path):
    """``mnistbench report --study DIR`` without a run: the budget section alone, without
    test accuracies, and no empty run sections."""
    from mnistbench.cli import main

    html = tmp_path / "study.html"
    study = tuning_report.parent / "tune-digits"
    assert main(["report", "--study", str(study), "-o", str(html)]) == 0
    browser.call("Page.navigate", {"url": html.resolve().as_uri()})
    browser.wait_for("Page.loadEventFired")
    assert browser.evaluate(
        "Array.from(document.querySelectorAll('main > section')).map(s => s.id)"
    ) == ["tuning"]
    widths = browser.evaluate(
        "Promise.all(Array.from(document.querySelectorAll('#tuning img')).map(i => i.decode()"
        ".then(() => i.naturalWidth, () => 0)))"
    )
    assert len(widths) == 1 and widths[0] > 0
    headers = browser.evaluate(
        "Array.from(document.querySelectorAll('#tuning-table thead th')).map(h => h.textContent)"
    )
    assert "best val accuracy" in headers and "test accuracy" not in headers
    assert "tuning study on digits" in browser.evaluate(
        "document.querySelector('.sub').textContent"
    )
    assert browser.console_errors() == []
