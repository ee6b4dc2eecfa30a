#!/usr/bin/env python3
"""Regenerates docs/screenshots/*.png (editor, run view, dry run with chart, policy simulator,
forced colours) in Debian's Chromium against the real gateway (`flowgate serve` from
FLOWGATE_BIN, see Tests/web/gateway.py), with the canonical pipeline reading a loopback peer.

    FLOWGATE_BIN=... .venv-web/bin/python Tests/web/screenshots.py
"""
import os
import sys

from playwright.sync_api import sync_playwright, expect

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from gateway import CHROMIUM, Gateway, Peer, Sink, canonical_definition  # noqa: E402

OUT = os.path.normpath(os.path.join(HERE, "..", "..", "docs", "screenshots"))


def main():
    os.makedirs(OUT, exist_ok=True)
    peer = Peer()
    gw = Gateway()
    try:
        sink = Sink(Sink.kinds()[0], peer, "shots")
        wf = gw.create_workflow("Canonical", canonical_definition(peer.base, sink))
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
            context = gw.sign_in(browser, viewport={"width": 1400, "height": 860})
            page = context.new_page()
            page.goto("%s/#/workflows/%s" % (gw.base, wf["id"]))
            page.wait_for_selector(".node[data-id=agg]")
            page.click(".node[data-id=agg] .head")
            page.wait_for_timeout(300)
            page.screenshot(path=os.path.join(OUT, "editor.png"))
            page.keyboard.press("Escape")
            page.click("button:has-text('Test…')")
            page.click("dialog button:has-text('Run the test')")
            page.wait_for_selector(".runpanel img.chart", timeout=30000)
            page.locator(".runpanel img.chart").scroll_into_view_if_needed()
            page.wait_for_timeout(300)
            page.screenshot(path=os.path.join(OUT, "dry-run-chart.png"))
            page.click("button:has-text('Run…')")
            page.click("dialog button:has-text('Start the run')")
            expect(page.locator(".runpanel .run-title")).to_contain_text("Run ")  # not the dry run's panel
            expect(page.locator(".runpanel .run-status")).to_have_text("succeeded", timeout=60000)
            expect(page.locator(".runpanel img.chart")).to_be_visible()
            page.click(".node-results summary:has-text('Store')")
            page.wait_for_timeout(300)
            page.screenshot(path=os.path.join(OUT, "run-view.png"))
            session = context.request.get(gw.base + "/api/v1/session").json()
            page.goto(gw.base + "/#/policies")
            page.wait_for_selector("#sim-pid")
            page.fill("#sim-pid", session["principal"]["id"])
            page.fill("#sim-action", "workflow.read")
            page.fill("#sim-rtype", "Workflow")
            page.fill("#sim-rid", wf["id"])
            page.click("button:has-text('Explain')")
            page.wait_for_selector("text=Decision: allow")
            page.locator("#sim-title").scroll_into_view_if_needed()
            page.screenshot(path=os.path.join(OUT, "policy-simulator.png"))
            page.emulate_media(forced_colors="active")
            page.goto("%s/#/workflows/%s" % (gw.base, wf["id"]))
            page.wait_for_selector(".node[data-id=pick]")
            page.focus(".node[data-id=pick]")
            page.wait_for_timeout(300)
            page.screenshot(path=os.path.join(OUT, "forced-colors.png"))
            browser.close()
    finally:
        gw.stop()
        peer.stop()
    print("screenshots in", OUT)


if __name__ == "__main__":
    main()
