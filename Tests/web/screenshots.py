#!/usr/bin/env python3
"""Regenerates docs/screenshots/*.png (editor, run view, dry run with chart, policy simulator,
forced colours) from the fixture gateway in Debian's Chromium.

    .venv-web/bin/python Tests/web/screenshots.py
"""
import os
import subprocess
import sys

from playwright.sync_api import sync_playwright, expect

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from browser_test import free_port, CHROMIUM  # noqa: E402

OUT = os.path.normpath(os.path.join(HERE, "..", "..", "docs", "screenshots"))


def main():
    os.makedirs(OUT, exist_ok=True)
    port = free_port()
    server = subprocess.Popen([sys.executable, os.path.join(HERE, "fixture_server.py"), "--port", str(port)], stdout=subprocess.PIPE)
    server.stdout.readline()
    base = "http://127.0.0.1:%d/" % port
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 1400, "height": 860})
            page.goto(base + "#/workflows/wf-canonical")
            page.wait_for_selector(".node[data-id=agg]")
            page.click(".node[data-id=agg] .head")
            page.wait_for_timeout(300)
            page.screenshot(path=os.path.join(OUT, "editor.png"))
            page.keyboard.press("Escape")
            page.click("button:has-text('Test…')")
            page.click("dialog button:has-text('Run the test')")
            page.wait_for_selector(".runpanel img.chart")
            page.locator(".runpanel").evaluate("e => e.scrollTop = 0")
            page.wait_for_timeout(300)
            page.screenshot(path=os.path.join(OUT, "dry-run-chart.png"))
            page.click("button:has-text('Run…')")
            page.click("dialog button:has-text('Start the run')")
            expect(page.locator(".runpanel .run-status")).to_have_text("failed", timeout=15000)
            page.click(".node-results summary:has-text('To Prometheus')")
            page.wait_for_timeout(300)
            page.screenshot(path=os.path.join(OUT, "run-view.png"))
            page.goto(base + "#/policies")
            page.wait_for_selector("#sim-pid")
            page.fill("#sim-pid", "0190c1f2-user")
            page.fill("#sim-action", "workflow.read")
            page.fill("#sim-rtype", "Workflow")
            page.fill("#sim-rid", "wf-canonical")
            page.click("button:has-text('Explain')")
            page.wait_for_selector("text=Decision: allow")
            page.locator("#sim-title").scroll_into_view_if_needed()
            page.screenshot(path=os.path.join(OUT, "policy-simulator.png"))
            page.emulate_media(forced_colors="active")
            page.goto(base + "#/workflows/wf-canonical")
            page.wait_for_selector(".node[data-id=pick]")
            page.focus(".node[data-id=pick]")
            page.wait_for_timeout(300)
            page.screenshot(path=os.path.join(OUT, "forced-colors.png"))
            browser.close()
    finally:
        server.terminate()
        server.wait(5)
    print("screenshots in", OUT)


if __name__ == "__main__":
    main()
