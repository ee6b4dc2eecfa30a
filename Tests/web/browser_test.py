#!/usr/bin/env python3
"""Browser tests of the web app in Debian's Chromium, driven by the PyPI `playwright` package
(through `executable_path`; its own browser download is not used) against the fixture gateway
(Tests/web/fixture_server.py), which this file starts and stops.

    python3 -m venv .venv-web && .venv-web/bin/pip install playwright axe-playwright-python
    .venv-web/bin/python Tests/web/browser_test.py        # CHROMIUM=/usr/bin/chromium by default

They build the canonical pipeline (manual trigger -> HTTP fetch -> jq -> aggregate -> sink ->
chart) once by mouse and once by keyboard only, save, dry-run, run and see the chart; cover
undo/redo and auto-layout; check that markup in names, outputs and audit fields stays text;
run axe-core on every screen; and fail on any console error.
"""
import os
import socket
import subprocess
import sys
import tempfile
import time
import unittest

from playwright.sync_api import sync_playwright, expect

HERE = os.path.dirname(os.path.abspath(__file__))
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
SHOTS = os.environ.get("WEB_SCREENSHOTS", tempfile.gettempdir())
XSS = "<img src=x onerror=alert(1)>"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class BrowserTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.port = free_port()
        cls.server = subprocess.Popen([sys.executable, os.path.join(HERE, "fixture_server.py"), "--port", str(cls.port)],
                                      stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        cls.server.stdout.readline()  # "fixture server on ..."
        cls.base = "http://127.0.0.1:%d" % cls.port
        cls.pw = sync_playwright().start()
        cls.browser = cls.pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])

    @classmethod
    def tearDownClass(cls):
        cls.browser.close()
        cls.pw.stop()
        cls.server.terminate()
        cls.server.wait(5)

    def setUp(self):
        self.context = self.browser.new_context(viewport={"width": 1400, "height": 900})
        self.page = self.context.new_page()
        self.errors = []
        self.expected_statuses = set()
        self.dialogs = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        self.page.set_default_timeout(8000)

    def tearDown(self):
        self.context.close()
        expected = [e for e in self.errors if any("status of %d" % s in e for s in self.expected_statuses)]
        self.assertEqual([e for e in self.errors if e not in expected], [], "console errors")

    def expect_http_error(self, status):
        """Chrome logs every 4xx answer to fetch as a console error; a test that provokes one says so."""
        self.expected_statuses.add(status)

    # Helpers

    def open(self, route):
        self.page.goto(self.base + "/" + route)
        self.page.wait_for_selector("#nav:not([hidden])")

    def node_ids(self):
        return self.page.eval_on_selector_all(".node", "els => els.map(e => e.dataset.id)")

    def edge_count(self):
        return self.page.eval_on_selector_all(".edges path.edge", "els => els.length")

    def port_el(self, node, direction, name):
        return self.page.locator(".node[data-id='%s'] .port.%s[data-port='%s']" % (node, direction, name))

    def set_field(self, label, value):
        """Types into a property pane field by its label and commits it (Tab)."""
        field = self.page.locator(".props").get_by_label(label, exact=False)
        field.fill(value)
        field.press("Tab")

    def set_code(self, value):
        """Types into the CodeMirror field of the selected node and leaves it (commits on blur)."""
        self.page.click(".props .CodeMirror")
        self.page.keyboard.type(value)
        self.page.keyboard.press("Escape")
        self.page.focus(".props input")

    def save_and_expect_version(self):
        self.page.click("button:has-text('Save')")
        expect(self.page.locator("#status")).to_contain_text("Saved version")

    def run_checks_after_build(self, ids):
        page = self.page
        # Dry run shows every node's result and the chart as an image.
        page.click("button:has-text('Test…')")
        page.click("dialog button:has-text('Run the test')")
        chart = page.locator(".runpanel img.chart")
        expect(chart).to_be_visible()
        self.assertTrue(chart.get_attribute("src").startswith("data:image/svg+xml"))
        # A run, followed live until it ends: the fixture's sink fails after retries.
        page.click("button:has-text('Run…')")
        page.click("dialog button:has-text('Start the run')")
        expect(page.locator(".runpanel .run-status")).to_have_text("failed", timeout=15000)
        expect(page.locator(".timeline")).to_contain_text("retrying in")
        expect(page.locator(".node[data-id='%s']" % ids["sink"])).to_have_class(__import__("re").compile("status-failed"))
        expect(page.locator(".runpanel")).to_contain_text("Re-drive the failed step")

    # Tests

    def test_sign_out_and_one_time_link(self):
        self.open("#/workflows")
        self.expect_http_error(401)
        self.page.click("button:has-text('Sign out')")
        expect(self.page.locator(".signin")).to_contain_text("one-time sign-in link")
        expect(self.page.locator(".signin")).to_contain_text("/sso/{tenant}/{idp}/login")
        self.page.goto(self.base + "/login?code=one-time")
        self.page.wait_for_selector("#nav:not([hidden])")
        expect(self.page.locator("main")).to_contain_text("Workflows")

    def test_build_canonical_pipeline_by_mouse(self):
        page = self.page
        self.open("#/editor")
        page.fill("input[aria-label='Workflow name']", "by mouse")
        canvas = page.locator(".canvas")
        types = ["trigger.manual", "http.request", "jq", "timeseries.aggregate", "sink.prometheus", "chart"]
        for i, t in enumerate(types):
            page.drag_and_drop(".palette .ptype[data-type='%s']" % t, ".canvas", target_position={"x": 120 + 130 * i, "y": 120 + (60 if i % 2 else 0)})
        self.assertEqual(len(self.node_ids()), 6)
        ids = {"start": "trigger_manual_1", "fetch": "http_request_1", "pick": "jq_1", "agg": "timeseries_aggregate_1",
               "sink": "sink_prometheus_1", "chart": "chart_1"}
        self.assertEqual(sorted(self.node_ids()), sorted(ids.values()))
        # Drag from an output port to an input port.
        self.port_el(ids["start"], "out", "out").drag_to(self.port_el(ids["fetch"], "in", "in"))
        self.assertEqual(self.edge_count(), 1)
        # While connecting, an incompatible input says why.
        page.mouse.move(0, 0)
        box = self.port_el(ids["fetch"], "out", "out").bounding_box()
        page.mouse.move(box["x"] + 5, box["y"] + 5)
        page.mouse.down()
        page.mouse.move(box["x"] + 40, box["y"] + 40, steps=4)
        bad = self.port_el(ids["agg"], "in", "in")
        self.assertIn("accepts array", bad.get_attribute("title"))
        self.assertIn("bad", bad.get_attribute("class"))
        self.assertIn("ok", self.port_el(ids["pick"], "in", "in").get_attribute("class"))
        target = self.port_el(ids["pick"], "in", "in").bounding_box()
        page.mouse.move(target["x"] + 6, target["y"] + 6, steps=4)
        page.mouse.up()
        self.assertEqual(self.edge_count(), 2)
        # Click-click connections.
        for a, b in [("pick", "agg"), ("agg", "sink"), ("agg", "chart")]:
            self.port_el(ids[a], "out", "out").click()
            self.port_el(ids[b], "in", "in").click()
        self.assertEqual(self.edge_count(), 5)
        expect(page.locator("#live")).to_contain_text("connected")
        # Settings.
        page.click(".node[data-id='%s'] .head" % ids["fetch"])
        self.set_field("Url", "http://127.0.0.1:1/metrics.json")
        page.click(".node[data-id='%s'] .head" % ids["pick"])
        self.set_code(".body.data[]")
        page.click(".node[data-id='%s'] .head" % ids["sink"])
        self.set_field("Url", "http://127.0.0.1:1/write")
        self.save_and_expect_version()
        self.run_checks_after_build(ids)

    def test_build_canonical_pipeline_by_keyboard(self):
        page = self.page
        kb = page.keyboard
        self.open("#/editor")
        page.focus("input[aria-label='Workflow name']")
        kb.type("by keyboard")
        kb.press("Tab")
        # The first palette item gets Enter; the rest come from quick-add on the canvas.
        page.focus(".palette input[type=search]")
        kb.type("manual")
        kb.press("ArrowDown")
        kb.press("Enter")
        page.focus(".canvas")
        for q in ["http request", "jq", "aggregate", "prometheus", "line chart"]:
            kb.press("n")
            kb.type(q)
            kb.press("Enter")
        ids = {"start": "trigger_manual_1", "fetch": "http_request_1", "pick": "jq_1", "agg": "timeseries_aggregate_1",
               "sink": "sink_prometheus_1", "chart": "chart_1"}
        self.assertEqual(sorted(self.node_ids()), sorted(ids.values()))
        for a, b in [("start", "fetch"), ("fetch", "pick"), ("pick", "agg"), ("agg", "sink"), ("agg", "chart")]:
            page.focus(".node[data-id='%s']" % ids[a])
            kb.press("c")
            kb.type("(%s)" % ids[b])
            kb.press("Enter")
        self.assertEqual(self.edge_count(), 5)
        expect(page.locator("#live")).to_contain_text("connected Aggregate time series out to Line chart in")
        # Saving with required settings missing: the server's problems land on node and field.
        self.expect_http_error(422)
        kb.press("Control+s")
        expect(page.locator("#status")).to_contain_text("Not saved")
        expect(page.locator(".node[data-id='%s']" % ids["fetch"])).to_have_class(__import__("re").compile("has-problem"))
        page.focus(".node[data-id='%s']" % ids["fetch"])
        kb.press("Enter")
        url = page.locator(".props").get_by_label("Url", exact=False)
        expect(url).to_have_attribute("aria-invalid", "true")
        expect(url).to_be_focused()
        kb.type("http://127.0.0.1:1/metrics.json")
        kb.press("Tab")
        kb.press("Escape")  # back to the node on the canvas
        expect(page.locator(".node[data-id='%s']" % ids["fetch"])).to_be_focused()
        page.focus(".node[data-id='%s']" % ids["sink"])
        kb.press("Enter")
        kb.type("http://127.0.0.1:1/write")
        kb.press("Tab")
        page.focus(".node[data-id='%s']" % ids["pick"])
        kb.press("Enter")  # focus goes to the field with a problem: the program (CodeMirror)
        kb.type(".body.data[]")
        kb.press("Escape")
        page.focus(".canvas")
        # Arrow keys move, and say so.
        page.focus(".node[data-id='%s']" % ids["chart"])
        kb.press("ArrowDown")
        expect(page.locator("#live")).to_contain_text("moved Line chart")
        kb.press("Control+s")
        expect(page.locator("#status")).to_contain_text("Saved version")
        self.run_checks_after_build(ids)

    def test_undo_redo_and_auto_layout(self):
        page = self.page
        self.open("#/workflows/wf-canonical")
        node = page.locator(".node[data-id=chart]")
        before = node.get_attribute("style")
        box = page.locator(".node[data-id=chart] .head").bounding_box()
        page.mouse.move(box["x"] + 20, box["y"] + 10)
        page.mouse.down()
        for i in range(1, 11):
            page.mouse.move(box["x"] + 20 + 12 * i, box["y"] + 10 + 9 * i)
        page.mouse.up()
        moved = node.get_attribute("style")
        self.assertNotEqual(moved, before)
        page.focus(".canvas")
        page.keyboard.press("Control+z")
        self.assertEqual(node.get_attribute("style"), before, "a drag is one undo step")
        page.keyboard.press("Control+Shift+z")
        self.assertEqual(node.get_attribute("style"), moved)
        positions = "els => els.map(e => [parseFloat(e.style.left), parseFloat(e.style.top)])"
        styles = page.eval_on_selector_all(".node", positions)
        page.keyboard.press("l")
        expect(page.locator("#live")).to_contain_text("auto-layout applied")
        after = page.eval_on_selector_all(".node", positions)
        self.assertNotEqual(after, styles)
        for x, y in after:
            self.assertEqual((x % 20, y % 20), (0, 0), "layout snaps to the grid")
        page.keyboard.press("Control+z")
        self.assertEqual(page.eval_on_selector_all(".node", positions), styles)

    def test_markup_in_names_outputs_and_audit_stays_text(self):
        page = self.page
        self.open("#/workflows")
        expect(page.locator("main")).to_contain_text("Canonical " + XSS)
        self.open("#/workflows/wf-canonical")
        expect(page.locator(".node[data-id=fetch] .name")).to_have_text("Fetch " + XSS)
        page.click("button:has-text('Test…')")
        page.click("dialog button:has-text('Run the test')")
        page.wait_for_selector(".runpanel img.chart")
        page.click(".node-results summary:has-text('Fetch')")
        expect(page.locator(".node-results")).to_contain_text('"note": "%s"' % XSS)
        self.open("#/audit")
        page.click("main details summary")
        expect(page.locator("main")).to_contain_text(XSS)
        self.open("#/policies")
        self.assertEqual(page.eval_on_selector_all("img[src='x']", "els => els.length"), 0)
        self.assertEqual(self.dialogs, [])

    def test_marquee_copy_paste_and_delete(self):
        page = self.page
        self.open("#/workflows/wf-canonical")
        a = page.locator(".node[data-id=pick]").bounding_box()
        b = page.locator(".node[data-id=agg]").bounding_box()
        page.keyboard.down("Shift")
        page.mouse.move(a["x"] - 10, a["y"] - 30)
        page.mouse.down()
        page.mouse.move(b["x"] + 20, b["y"] + 20, steps=5)
        page.mouse.up()
        page.keyboard.up("Shift")
        self.assertEqual(sorted(page.eval_on_selector_all(".node.selected", "els => els.map(e => e.dataset.id)")), ["agg", "pick"])
        page.keyboard.press("Control+c")
        page.keyboard.press("Control+v")
        self.assertEqual(len(self.node_ids()), 8)
        self.assertEqual(self.edge_count(), 6, "the edge between the two copies is pasted too")
        expect(page.locator("#live")).to_contain_text("pasted 2 nodes")
        page.keyboard.press("Delete")
        self.assertEqual(len(self.node_ids()), 6)
        page.keyboard.press("Control+z")
        self.assertEqual(len(self.node_ids()), 8)

    def test_tokens_and_secrets_are_written_never_shown(self):
        page = self.page
        self.open("#/tokens")
        page.fill("#tok-name", "deploy")
        page.select_option("#tok-role", "operator")
        page.click("button:has-text('Create token')")
        expect(page.locator("#tok-value")).to_have_value("fgt_" + "0" * 43)
        page.click("button:has-text('Done (forget it)')")
        expect(page.locator("#tok-value")).to_have_count(0)
        self.open("#/secrets")
        page.fill("#sec-name", "prom_password")
        page.fill("#sec-value", "hunter2-very-secret")
        page.click("button:has-text('Add secret')")
        expect(page.locator("#status")).to_contain_text('Secret "prom_password" stored.')
        page.fill("[aria-label='New value for prom_token']", "rotated-secret-value")
        page.click("button[aria-label='Rotate prom_token']")
        expect(page.locator("#status")).to_contain_text("rotated")
        html = page.content()
        for secret in ("hunter2-very-secret", "rotated-secret-value"):
            self.assertNotIn(secret, html)
            self.assertNotIn(secret, page.evaluate("() => JSON.stringify({...localStorage}) + JSON.stringify({...sessionStorage}) + document.cookie"))
        self.assertEqual(page.eval_on_selector_all("input[type=password]", "els => els.map(e => e.value).join('')"), "")

    def test_versions_export_and_import(self):
        page = self.page
        self.open("#/workflows/wf-canonical")
        page.click(".node[data-id=pick] .head")
        self.set_field("Name", "Pick the items")
        self.save_and_expect_version()
        page.click("button:has-text('Versions')")
        page.locator("dialog tbody tr").last.locator("button:has-text('Compare with editor')").click()  # version 1
        expect(page.locator("dialog .diff")).to_contain_text("changed pick: name")
        page.keyboard.press("Escape")
        for fmt in ("json", "yaml"):
            with page.expect_download() as info:
                page.click("button:has-text('Export %s')" % fmt.upper())
            path = info.value.path()
            text = open(path).read()
            self.assertIn("Pick the items", text)
            if fmt == "json":
                exported = path
        self.open("#/editor")
        page.set_input_files(".toolbar input[type=file]", exported)
        expect(page.locator("#status")).to_contain_text("Imported")
        self.assertEqual(len(self.node_ids()), 6)
        self.assertEqual(self.edge_count(), 5)
        self.assertEqual(page.input_value("input[aria-label='Workflow name']"), "Canonical " + XSS)

    def test_policy_editor_and_simulator(self):
        page = self.page
        self.open("#/policies")
        page.click("summary:has-text('Add a policy')")
        page.fill("#pol-new-id", "no-weekends")
        cedar = page.locator("form[aria-label='New policy'] .CodeMirror")
        expect(cedar).to_have_count(1)
        cedar.click()
        page.keyboard.press("Control+a")
        page.keyboard.type("this is not cedar")
        self.expect_http_error(422)
        page.click("button:has-text('Add policy')")
        expect(page.locator("#pol-new-err")).to_contain_text("line 1, column 1")
        expect(page.locator("#pol-new")).to_have_attribute("aria-invalid", "true")
        expect(cedar).to_have_attribute("aria-invalid", "true")
        page.keyboard.press("Control+a")
        page.keyboard.type('@id("no-weekends")\nforbid (principal, action, resource) when { context.weekend };')
        expect(cedar.locator(".cm-keyword").first).to_have_text("forbid")
        page.click("button:has-text('Add policy')")
        expect(page.locator("main")).to_contain_text("no-weekends (version 1)")
        page.fill("#sim-pid", "u1")
        page.fill("#sim-action", "workflow.read")
        page.fill("#sim-rtype", "Workflow")
        page.fill("#sim-rid", "wf-canonical")
        page.click("button:has-text('Explain')")
        expect(page.locator("main")).to_contain_text("Decision: allow")
        expect(page.locator("main")).to_contain_text("role-viewer " + XSS)
        self.assertEqual(self.dialogs, [])

    def test_accessibility_of_every_screen(self):
        from axe_playwright_python.sync_playwright import Axe
        axe = Axe()
        page = self.page
        found = {}
        for route in ["#/workflows", "#/editor", "#/workflows/wf-canonical", "#/audit", "#/tokens", "#/secrets", "#/policies",
                      "#/dead-letters", "#/quotas", "#/scim-tokens"]:
            self.open(route)
            page.wait_for_timeout(300)
            if route == "#/policies":
                page.fill("#sim-pid", "u1")
                page.fill("#sim-action", "workflow.read")
                page.fill("#sim-rtype", "Workflow")
                page.fill("#sim-rid", "x")
                page.click("button:has-text('Explain')")
                page.wait_for_selector("text=Decision: allow")
            if route == "#/workflows/wf-canonical":
                page.click(".node[data-id=pick] .head")
                found[route + " node selected"] = axe.run(page).response["violations"]
                page.keyboard.press("Escape")
                page.click("button:has-text('Test…')")
                found[route + " test dialog"] = axe.run(page).response["violations"]
                page.click("dialog button:has-text('Run the test')")
                page.wait_for_selector(".runpanel img.chart")
            found[route] = axe.run(page).response["violations"]
        bad = {r: [(v["id"], v["impact"]) for v in vs if v["impact"] in ("serious", "critical")] for r, vs in found.items()}
        self.assertEqual({r: v for r, v in bad.items() if v}, {})

    def test_forced_colors_shows_nodes_edges_and_focus(self):
        page = self.page
        page.emulate_media(forced_colors="active")
        self.open("#/workflows/wf-canonical")
        page.focus(".node[data-id=pick]")
        path = os.path.join(SHOTS, "flowgate-forced-colors.png")
        page.screenshot(path=path)
        self.assertGreater(os.path.getsize(path), 10000)
        self.assertEqual(page.evaluate("matchMedia('(forced-colors: active)').matches"), True)
        border = page.eval_on_selector(".node[data-id=pick]", "e => getComputedStyle(e).borderTopWidth")
        self.assertEqual(border, "2px", "nodes draw a system-colour border in forced colours")


if __name__ == "__main__":
    unittest.main(verbosity=2)
