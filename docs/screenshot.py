"""Take docs/demo-report.png: the demo's HTML report in headless Chromium, at its lineage graph.

Run `python docs/screenshot.py`; it needs `apt-get install -y chromium` and playwright (in the
test extra).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

import wiretrace

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
OUTPUT = Path(__file__).parent / "demo-report.png"


def main() -> None:
    """Render the demo report, open it, scroll to the lineage section, take the picture."""
    report = wiretrace.find_reuse_in([str(wiretrace.demo_corpus_path())], jobs=1)
    with tempfile.TemporaryDirectory() as folder, sync_playwright() as playwright:
        page_path = Path(folder) / "wiretrace-demo.html"
        page_path.write_text(wiretrace.render_html(report), encoding="utf-8")
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(page_path.as_uri())
        page.wait_for_selector("html[data-ready]")
        page.evaluate("() => document.getElementById('lineage').scrollIntoView()")
        page.evaluate("() => window.scrollBy(0, -70)")
        page.screenshot(path=str(OUTPUT))
        browser.close()
    print(f"{OUTPUT}: {OUTPUT.stat().st_size:,} bytes", file=sys.stderr)


if __name__ == "__main__":
    main()
