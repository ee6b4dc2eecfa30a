#!/usr/bin/env python3
"""Browser tests of the web app in Debian's Chromium, driven by the PyPI `playwright` package
(through `executable_path`; its own browser download is not used), against the real gateway:
`flowgate serve` (FLOWGATE_BIN, default .build/debug/flowgate) on a free loopback port with a
throwaway SQLite data folder, signed into through the one-time link it prints (Tests/web/gateway.py).

    scripts/web-test.sh --browser                          # creates .venv-web, installs chromium if missing
    FLOWGATE_BIN=... .venv-web/bin/python Tests/web/browser_test.py

They build the canonical pipeline (manual trigger -> HTTP fetch -> jq -> aggregate -> sink ->
chart) once by mouse and once by keyboard only, save, dry-run and run it for real: the fetch
reads metrics JSON from a loopback HTTP server started here, the sink writes to
VictoriaMetrics (FLOWGATE_TEST_VICTORIA_URL) or Prometheus (FLOWGATE_TEST_PROMETHEUS_URL), or
else to a second loopback endpoint, and the test checks that the data arrived and that the run
view shows the chart. They also cover undo/redo and auto-layout, a dead letter and its re-drive,
markup in names, outputs and audit fields staying text, tokens and secrets, versions, policies,
identity providers (OIDC and SAML added through the screen) and the sign-in page's provider
list, axe-core on every screen, forced colours, and fail on any console error.
"""
import os
import re
import socket
import sys
import tempfile
import unittest
import urllib.parse

from playwright.sync_api import sync_playwright, expect

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from gateway import CHROMIUM, XSS, Gateway, Peer, Sink, canonical_definition, saml_metadata  # noqa: E402

SHOTS = os.environ.get("WEB_SCREENSHOTS", tempfile.gettempdir())
FAILED = re.compile("status-failed")
SUCCEEDED = re.compile("status-succeeded")


def closed_port():
    """A loopback port nothing listens on (bound, then closed): connecting is refused."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def dead_letter_definition(port):
    """trigger -> an HTTP request to a closed port, tried twice: the run fails and leaves a dead
    letter. The HTTP client keeps retrying a refused connection until the step's timeout (30 s
    by default), so the step gets one second."""
    return {"nodes": [
        {"id": "start", "type": "trigger.manual", "config": {}, "name": "Start", "position": {"x": 0, "y": 0}},
        {"id": "fetch", "type": "http.request", "config": {"url": "http://127.0.0.1:%d/down" % port, "timeout_ms": 1000}, "name": "Fetch (down)",
         "position": {"x": 240, "y": 0}, "retry": {"max_attempts": 2, "initial_backoff_ms": 200, "max_backoff_ms": 200}},
    ], "edges": [{"from": "start.out", "to": "fetch.in"}]}


class BrowserTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.peer = Peer()
        cls.addClassCleanup(cls.peer.stop)
        cls.gw = Gateway()
        cls.addClassCleanup(cls.gw.stop)
        cls.base = cls.gw.base
        cls.pw = sync_playwright().start()
        cls.addClassCleanup(cls.pw.stop)
        cls.browser = cls.pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        cls.addClassCleanup(cls.browser.close)
        # Sign in once through the one-time link; every test's context reuses the session cookie.
        context = cls.gw.sign_in(cls.browser)
        cls.state = context.storage_state()
        session = context.request.get(cls.base + "/api/v1/session")
        assert session.ok, session.status
        cls.session = session.json()
        # Real state a fresh server does not have: a secret (written through the session, with
        # its CSRF token) and a run that failed into a dead letter.
        answer = context.request.post(cls.base + Gateway.t("secrets"), data={"name": "prom_token", "value": "initial-secret-value"},
                                      headers={"X-CSRF-Token": cls.session["csrf_token"]})
        assert answer.status == 201, (answer.status, answer.text())
        context.close()
        wf = cls.gw.create_workflow("Down " + XSS, dead_letter_definition(closed_port()))
        cls.failed_run = cls.gw.wait_run(cls.gw.start_run(wf["id"])["id"])
        assert cls.failed_run["status"] == "failed", cls.failed_run["status"]

    def setUp(self):
        self.context = self.browser.new_context(viewport={"width": 1400, "height": 900}, storage_state=self.state)
        self.page = self.context.new_page()
        self.errors = []
        self.expected_statuses = set()
        self.dialogs = []
        self.accept_dialogs = False
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("dialog", self.on_dialog)
        self.page.set_default_timeout(10000)

    def tearDown(self):
        self.context.close()
        expected = [e for e in self.errors if any("status of %d" % s in e for s in self.expected_statuses)]
        self.assertEqual([e for e in self.errors if e not in expected], [], "console errors")

    def on_dialog(self, dialog):
        """Dialogs are refused (and recorded) unless the test says it confirms them."""
        self.dialogs.append(dialog.message)
        if self.accept_dialogs:
            dialog.accept()
        else:
            dialog.dismiss()

    def expect_http_error(self, status):
        """Chrome logs every 4xx answer to fetch as a console error; a test that provokes one says so."""
        self.expected_statuses.add(status)

    # Helpers

    def open(self, route):
        self.page.goto(self.base + "/" + route)
        self.page.wait_for_selector("#nav:not([hidden])")

    def canonical(self, tag="canonical", fetch_name="Fetch " + XSS):
        """Creates the canonical workflow through the API; returns (workflow, sink)."""
        sink = Sink(Sink.kinds()[0], self.peer, tag)
        wf = self.gw.create_workflow("Canonical " + XSS, canonical_definition(self.peer.base, sink, fetch_name))
        return wf, sink

    def node_ids(self):
        return self.page.eval_on_selector_all(".node", "els => els.map(e => e.dataset.id)")

    def edge_count(self):
        return self.page.eval_on_selector_all(".edges path.edge", "els => els.length")

    def port_el(self, node, direction, name):
        return self.page.locator(".node[data-id='%s'] .port.%s[data-port='%s']" % (node, direction, name))

    def field(self, label):
        return self.page.locator(".props").get_by_label(label, exact=False)

    def set_field(self, label, value):
        """Types into a property pane field by its label and commits it (Tab)."""
        field = self.field(label)
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

    def run_checks_after_build(self, ids, sink):
        page = self.page
        # Dry run: every node really runs except the sink, which says what it would write; the
        # chart comes back as an image.
        page.click("button:has-text('Test…')")
        page.click("dialog button:has-text('Run the test')")
        chart = page.locator(".runpanel img.chart")
        expect(chart).to_be_visible(timeout=30000)
        self.assertTrue(chart.get_attribute("src").startswith("data:image/svg+xml"))
        expect(page.locator(".runpanel .run-status")).to_have_text("succeeded")
        expect(page.locator(".node-results")).to_contain_text('"dry_run": true')
        self.assertEqual(sink.written(), {}, "a dry run writes nothing")
        # A real run, followed live until it ends: the sink writes to the store.
        fetches = len(self.peer.fetches)
        requested = []
        page.on("request", lambda r: requested.append(r.url))
        page.click("button:has-text('Run…')")
        page.click("dialog button:has-text('Start the run')")
        expect(page).to_have_url(re.compile(r"#/runs/[0-9a-f-]+$"))
        run_id = page.url.split("/")[-1]
        expect(page.locator(".runpanel .run-title")).to_have_text("Run " + run_id)
        expect(page.locator(".runpanel .run-status")).to_have_text("succeeded", timeout=60000)
        self.assertEqual(self.gw.api("GET", Gateway.t("runs", run_id))["status"], "succeeded")
        # Followed live through the run's server-sent event stream, not by polling.
        self.assertTrue(any(u.endswith("/runs/%s/stream" % run_id) for u in requested), requested)
        self.assertFalse(any("/runs/%s/events" % run_id in u for u in requested), requested)
        for node in ids.values():
            expect(page.locator(".node[data-id='%s']" % node)).to_have_class(SUCCEEDED)
        chart = page.locator(".runpanel img.chart")
        expect(chart).to_be_visible()
        self.assertTrue(chart.get_attribute("src").startswith("data:image/svg+xml"))
        self.assertIn("%3Csvg", chart.get_attribute("src"))
        self.assertGreater(chart.evaluate("img => img.naturalWidth"), 100, "the chart's SVG renders as an image")
        expect(page.locator(".timeline")).to_contain_text("%s: succeeded" % ids["sink"])
        self.assertGreater(len(self.peer.fetches), fetches, "the run fetched the metrics")
        key = self.peer.fetches[-1].get("Idempotency-Key", "")
        self.assertTrue(key.startswith(run_id + ":" + ids["fetch"]), key)
        got = sink.check()
        self.assertEqual(set(got), {"a", "b"})

    # Tests

    def test_sign_in_with_the_one_time_link_and_sign_out(self):
        # A second, fresh gateway: its link works once, and signing out ends the session.
        gw = Gateway()
        self.addCleanup(gw.stop)
        context = self.browser.new_context(viewport={"width": 1200, "height": 800})
        self.addCleanup(context.close)
        page = context.new_page()
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.expect_http_error(401)
        page.goto(gw.base + "/")
        expect(page.locator(".signin")).to_contain_text("one-time sign-in link")
        expect(page.locator(".signin")).to_contain_text('The tenant "default" has no single sign-on providers.')
        self.assertRegex(gw.link, r"^%s/login\?code=fgl_" % re.escape(gw.base))
        page.goto(gw.link)
        page.wait_for_selector("#nav:not([hidden])")
        self.assertEqual(page.url, gw.base + "/")
        expect(page.locator("main")).to_contain_text("Workflows")
        expect(page.locator("#who")).to_contain_text("owner · default")
        cookies = {c["name"]: c for c in context.cookies()}
        self.assertTrue(cookies["fg_session"]["httpOnly"])
        self.assertEqual(page.evaluate("document.cookie"), "")
        page.click("button:has-text('Sign out')")
        expect(page.locator(".signin")).to_contain_text("You are signed out.")
        self.assertEqual(context.request.get(gw.base + "/api/v1/session").status, 401, "the session ended on the server")
        # Chrome asks the link's JSON error page for /favicon.ico, which the gateway does not serve.
        self.expect_http_error(404)
        again = page.goto(gw.link)
        self.assertEqual(again.status, 401, "the link works once")
        page.goto(gw.base + "/")
        expect(page.locator(".signin")).to_be_visible()

    def test_build_canonical_pipeline_by_mouse(self):
        page = self.page
        sink = Sink(Sink.kinds()[0], self.peer, "mouse")
        self.open("#/editor")
        page.fill("input[aria-label='Workflow name']", "by mouse")
        types = ["trigger.manual", "http.request", "jq", "timeseries.aggregate", sink.type, "chart"]
        for i, t in enumerate(types):
            page.drag_and_drop(".palette .ptype[data-type='%s']" % t, ".canvas", target_position={"x": 120 + 130 * i, "y": 120 + (60 if i % 2 else 0)})
        self.assertEqual(len(self.node_ids()), 6)
        ids = {"start": "trigger_manual_1", "fetch": "http_request_1", "pick": "jq_1", "agg": "timeseries_aggregate_1",
               "sink": sink.node_id, "chart": "chart_1"}
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
        # Settings, each typed into its field.
        page.click(".node[data-id='%s'] .head" % ids["fetch"])
        self.set_field("Url", self.peer.base + "/metrics.json")
        page.click(".node[data-id='%s'] .head" % ids["pick"])
        self.set_code(".body.data[]")
        page.click(".node[data-id='%s'] .head" % ids["agg"])
        self.set_field("Timestamp field", "ts")
        self.set_field("Group by", "host")
        page.click(".node[data-id='%s'] .head" % ids["sink"])
        for key, value in sink.config.items():
            self.set_field(key.capitalize(), value)
        self.save_and_expect_version()
        saved = self.gw.api("GET", Gateway.t("workflows", page.url.split("/")[-1]))
        self.assertEqual(saved["name"], "by mouse")
        self.assertEqual(len(saved["definition"]["edges"]), 5)
        self.run_checks_after_build(ids, sink)

    def test_build_canonical_pipeline_by_keyboard(self):
        page = self.page
        kb = page.keyboard
        kinds = Sink.kinds()
        sink = Sink(kinds[-1], self.peer, "keyboard")  # the other store when both are given
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
        for q in ["http request", "jq", "aggregate", sink.type, "line chart"]:
            kb.press("n")
            kb.type(q)
            kb.press("Enter")
        ids = {"start": "trigger_manual_1", "fetch": "http_request_1", "pick": "jq_1", "agg": "timeseries_aggregate_1",
               "sink": sink.node_id, "chart": "chart_1"}
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
        expect(page.locator(".node[data-id='%s']" % ids["fetch"])).to_have_class(re.compile("has-problem"))
        page.focus(".node[data-id='%s']" % ids["fetch"])
        kb.press("Enter")
        url = self.field("Url")
        expect(url).to_have_attribute("aria-invalid", "true")
        expect(url).to_be_focused()
        kb.type(self.peer.base + "/metrics.json")
        kb.press("Tab")
        kb.press("Escape")  # back to the node on the canvas
        expect(page.locator(".node[data-id='%s']" % ids["fetch"])).to_be_focused()
        page.focus(".node[data-id='%s']" % ids["pick"])
        kb.press("Enter")  # focus goes to the field with a problem: the program (CodeMirror)
        kb.type(".body.data[]")
        kb.press("Escape")
        page.focus(".node[data-id='%s']" % ids["agg"])
        kb.press("Enter")
        for label, value in (("Timestamp field", "ts"), ("Group by", "host")):
            self.field(label).focus()
            kb.type(value)
            kb.press("Tab")
        kb.press("Escape")
        page.focus(".node[data-id='%s']" % ids["sink"])
        kb.press("Enter")  # the sink's first field with a problem
        expect(page.locator(".props [aria-invalid=true]:focus")).to_have_count(1)
        for key, value in sink.config.items():
            self.field(key.capitalize()).focus()
            kb.press("Control+a")
            kb.type(value)
            kb.press("Tab")
        kb.press("Escape")
        # Arrow keys move, and say so.
        page.focus(".node[data-id='%s']" % ids["chart"])
        kb.press("ArrowDown")
        expect(page.locator("#live")).to_contain_text("moved Line chart")
        kb.press("Control+s")
        expect(page.locator("#status")).to_contain_text("Saved version")
        self.run_checks_after_build(ids, sink)

    def test_undo_redo_and_auto_layout(self):
        page = self.page
        wf, _ = self.canonical()
        self.open("#/workflows/" + wf["id"])
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
        # Saved, the layout is in the server's copy of the workflow.
        page.keyboard.press("Control+Shift+z")
        page.keyboard.press("Control+s")
        expect(page.locator("#status")).to_contain_text("Saved version 2")
        stored = {n["id"]: n["position"] for n in self.gw.api("GET", Gateway.t("workflows", wf["id"]))["definition"]["nodes"]}
        shown = dict(zip(self.node_ids(), page.eval_on_selector_all(".node", positions)))
        self.assertEqual({k: [v["x"], v["y"]] for k, v in stored.items()}, shown)

    def test_markup_in_names_outputs_and_audit_stays_text(self):
        page = self.page
        wf, _ = self.canonical()
        # An audit entry whose resource holds markup: a request for a workflow of that id.
        missing = self.page.context.request.get(self.base + Gateway.t("workflows", XSS))
        self.assertEqual(missing.status, 404)
        self.open("#/workflows")
        expect(page.locator("main")).to_contain_text("Canonical " + XSS)
        self.open("#/workflows/" + wf["id"])
        expect(page.locator(".node[data-id=fetch] .name")).to_have_text("Fetch " + XSS)
        page.click("button:has-text('Test…')")
        page.click("dialog button:has-text('Run the test')")
        page.wait_for_selector(".runpanel img.chart", timeout=30000)
        page.click(".node-results summary:has-text('Fetch')")
        expect(page.locator(".node-results")).to_contain_text('"note": "%s"' % XSS)
        # The output of a real run, in the run view.
        run = self.gw.wait_run(self.gw.start_run(wf["id"])["id"])
        self.assertEqual(run["status"], "succeeded")
        self.open("#/runs/" + run["id"])
        expect(page.locator(".runpanel .run-status")).to_have_text("succeeded")
        page.click(".node-results summary:has-text('Fetch')")
        expect(page.locator(".node-results")).to_contain_text('"note": "%s"' % XSS)
        self.open("#/audit")
        page.fill("#audit-action", "workflow.read")
        page.select_option("#audit-outcome", "not_found")
        page.click("main form button:has-text('Filter')")
        # The gateway records the id as the client meant it: the markup itself, shown as text.
        expect(page.locator("main table")).to_contain_text('Workflow::"%s"' % XSS)
        page.locator("main details summary").first.click()
        self.open("#/dead-letters")
        expect(page.locator("main table")).to_contain_text("fetch")
        self.open("#/policies")
        self.assertEqual(page.eval_on_selector_all("img[src='x']", "els => els.length"), 0)
        self.assertEqual(self.dialogs, [])

    def test_dead_letter_from_a_failed_run_and_redrive(self):
        page = self.page
        wf = self.gw.create_workflow("Failing", dead_letter_definition(closed_port()))
        self.open("#/workflows/" + wf["id"])
        page.click("button:has-text('Run…')")
        page.click("dialog button:has-text('Start the run')")
        expect(page.locator(".runpanel .run-status")).to_have_text("failed", timeout=30000)
        expect(page.locator(".timeline")).to_contain_text("retrying in")
        expect(page.locator(".node[data-id=fetch]")).to_have_class(FAILED)
        expect(page.locator(".runpanel")).to_contain_text("Re-drive the failed step")
        expect(page.locator(".node-results")).to_contain_text("failed after 2 attempts")
        run_id = page.url.split("/")[-1]
        letters = self.gw.api("GET", Gateway.t("dead-letters") + "?status=open")["items"]
        mine = [d for d in letters if d["run_id"] == run_id]
        self.assertEqual([(d["node_id"], d["attempts"]) for d in mine], [("fetch", 2)])
        self.open("#/dead-letters")
        row = page.locator("main tbody tr", has_text=run_id)
        expect(row).to_contain_text("fetch")
        row.locator("button:has-text('Re-drive')").click()
        expect(page.locator("#status")).to_contain_text("Re-driven.")
        after = self.gw.api("GET", Gateway.t("dead-letters", mine[0]["id"]))
        self.assertNotEqual(after["status"], "open")

    def test_marquee_copy_paste_and_delete(self):
        page = self.page
        wf, _ = self.canonical()
        self.open("#/workflows/" + wf["id"])
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
        value = page.locator("#tok-value")
        expect(value).to_have_value(re.compile(r"^fgt_\S{20,}$"))
        token = value.input_value()
        # The token is real: it authenticates against the gateway with the role chosen.
        self.assertIn("items", self.gw.api("GET", Gateway.t("workflows"), token=token))
        page.click("button:has-text('Done (forget it)')")
        expect(page.locator("#tok-value")).to_have_count(0)
        expect(page.locator("main table")).to_contain_text("deploy")
        self.assertNotIn(token, page.content())
        self.open("#/secrets")
        page.fill("#sec-name", "prom_password")
        page.fill("#sec-value", "hunter2-very-secret")
        page.click("button:has-text('Add secret')")
        expect(page.locator("#status")).to_contain_text('Secret "prom_password" stored.')
        expect(page.locator("main table")).to_contain_text("prom_password")
        page.fill("[aria-label='New value for prom_token']", "rotated-secret-value")
        page.click("button[aria-label='Rotate prom_token']")
        expect(page.locator("#status")).to_contain_text("rotated")
        stored = {s["name"]: s for s in self.gw.api("GET", Gateway.t("secrets"))["items"]}
        self.assertEqual(stored["prom_token"]["version"], 2)
        self.assertIn("prom_password", stored)
        html = page.content()
        for secret in ("hunter2-very-secret", "rotated-secret-value", "initial-secret-value"):
            self.assertNotIn(secret, html)
            self.assertNotIn(secret, page.evaluate("() => JSON.stringify({...localStorage}) + JSON.stringify({...sessionStorage}) + document.cookie"))
            self.assertNotIn(secret, str(stored))
        self.assertEqual(page.eval_on_selector_all("input[type=password]", "els => els.map(e => e.value).join('')"), "")
        # The session's state-changing requests need the CSRF token.
        self.expect_http_error(403)
        refused = page.context.request.post(self.base + Gateway.t("secrets"), data={"name": "no_csrf", "value": "x"})
        self.assertEqual(refused.status, 403)

    def test_versions_export_and_import(self):
        page = self.page
        wf, _ = self.canonical()
        self.open("#/workflows/" + wf["id"])
        page.click(".node[data-id=pick] .head")
        self.set_field("Name", "Pick the items")
        self.save_and_expect_version()
        versions = self.gw.api("GET", Gateway.t("workflows", wf["id"], "versions"))["items"]
        self.assertEqual(sorted(v["version"] for v in versions), [1, 2])
        page.click("button:has-text('Versions')")
        page.locator("dialog tbody tr").last.locator("button:has-text('Compare with editor')").click()  # version 1
        expect(page.locator("dialog .diff")).to_contain_text("changed pick: name")
        page.keyboard.press("Escape")
        for fmt in ("json", "yaml"):
            with page.expect_download() as info:
                page.click("button:has-text('Export %s')" % fmt.upper())
            path = info.value.path()
            with open(path) as f:
                text = f.read()
            self.assertIn("Pick the items", text)
            if fmt == "json":
                exported = path
            else:
                exported_yaml = path
        # YAML goes to the server, which creates a workflow from it.
        self.open("#/editor")
        page.set_input_files(".toolbar input[type=file]", exported_yaml)
        expect(page).to_have_url(re.compile(r"#/workflows/(?!%s)[0-9a-f-]+$" % wf["id"]))
        expect(page.locator(".node[data-id=pick] .name")).to_have_text("Pick the items")
        expect(page.locator("input[aria-label='Workflow name']")).to_have_value("Canonical " + XSS)
        # JSON is read in the page, into the editor, unsaved.
        self.open("#/editor")
        page.set_input_files(".toolbar input[type=file]", exported)
        expect(page.locator("#status")).to_contain_text("Imported")
        self.assertEqual(len(self.node_ids()), 6)
        self.assertEqual(self.edge_count(), 5)
        self.assertEqual(page.input_value("input[aria-label='Workflow name']"), "Canonical " + XSS)
        self.assertEqual(self.dialogs, [])

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
        expect(page.locator("#pol-new-err")).to_contain_text(re.compile(r"line \d+, column \d+"))
        expect(page.locator("#pol-new")).to_have_attribute("aria-invalid", "true")
        expect(cedar).to_have_attribute("aria-invalid", "true")
        page.keyboard.press("Control+a")
        page.keyboard.type('@id("no-weekends")\nforbid (principal, action == Action::"workflow.delete", resource)\nwhen { context.source_ip == ip("203.0.113.9") };')
        expect(cedar.locator(".cm-keyword").first).to_have_text("forbid")
        page.click("button:has-text('Add policy')")
        expect(page.locator("main")).to_contain_text("no-weekends (version 1)")
        self.assertIn("no-weekends", [p["id"] for p in self.gw.api("GET", Gateway.t("policies"))["items"]])
        wf, _ = self.canonical()
        page.fill("#sim-pid", self.session["principal"]["id"])
        page.fill("#sim-action", "workflow.read")
        page.fill("#sim-rtype", "Workflow")
        page.fill("#sim-rid", wf["id"])
        page.click("button:has-text('Explain')")
        expect(page.locator("main")).to_contain_text("Decision: allow")
        expect(page.locator("main")).to_contain_text("Determining policies: role-owner")
        # The new policy decides a delete from its address.
        page.fill("#sim-action", "workflow.delete")
        page.fill("#sim-context", '{"source_ip": "203.0.113.9"}')
        page.click("button:has-text('Explain')")
        expect(page.locator("main")).to_contain_text("Decision: deny")
        expect(page.locator("main")).to_contain_text("Determining policies: no-weekends")
        self.assertEqual(self.dialogs, [])

    def test_accessibility_of_every_screen(self):
        from axe_playwright_python.sync_playwright import Axe
        axe = Axe()
        page = self.page
        wf, _ = self.canonical()
        found = {}
        editor = "#/workflows/" + wf["id"]
        failed = "#/runs/" + self.failed_run["id"]
        for route in ["#/workflows", "#/editor", editor, failed, "#/audit", "#/tokens", "#/secrets", "#/policies",
                      "#/dead-letters", "#/quotas", "#/scim-tokens", "#/identity-providers"]:
            self.open(route)
            page.wait_for_timeout(300)
            if route == "#/policies":
                page.fill("#sim-pid", self.session["principal"]["id"])
                page.fill("#sim-action", "workflow.read")
                page.fill("#sim-rtype", "Workflow")
                page.fill("#sim-rid", wf["id"])
                page.click("button:has-text('Explain')")
                page.wait_for_selector("text=Decision: allow")
            if route == failed:
                expect(page.locator(".runpanel .run-status")).to_have_text("failed")
            if route == editor:
                page.click(".node[data-id=pick] .head")
                found[route + " node selected"] = axe.run(page).response["violations"]
                page.keyboard.press("Escape")
                page.click("button:has-text('Test…')")
                found[route + " test dialog"] = axe.run(page).response["violations"]
                page.click("dialog button:has-text('Run the test')")
                page.wait_for_selector(".runpanel img.chart", timeout=30000)
            found[route] = axe.run(page).response["violations"]
        self.assertEqual(len(found), 14)
        bad = {r: [(v["id"], v["impact"]) for v in vs if v["impact"] in ("serious", "critical")] for r, vs in found.items()}
        self.assertEqual({r: v for r, v in bad.items() if v}, {})

    def serious(self, axe):
        """axe-core's serious and critical violations on the page as it stands: [(rule, impact)]."""
        return [(v["id"], v["impact"]) for v in axe.run(self.page).response["violations"] if v["impact"] in ("serious", "critical")]

    def test_identity_providers_are_added_shown_and_deleted(self):
        from axe_playwright_python.sync_playwright import Axe
        axe = Axe()
        page = self.page
        secret = "oidc-client-secret-" + os.urandom(6).hex()
        self.open("#/identity-providers")
        expect(page.locator("main h1")).to_have_text("Identity providers")
        # OIDC, first with an issuer the server refuses: its 422 lands on the issuer field and
        # the secret is gone from the page all the same.
        page.select_option("#idp-type", "oidc")
        page.fill("#idp-name", "Okta web")
        page.fill("#idp-issuer", "http://idp.example.test")
        page.fill("#idp-client-id", "flowgate-web")
        page.fill("#idp-client-secret", secret)
        page.fill("#idp-scopes", "openid email groups")
        self.expect_http_error(422)
        page.click("button:has-text('Add provider')")
        expect(page.locator("#idp-issuer-err")).to_have_text("must be an https URL")
        expect(page.locator("#idp-issuer")).to_have_attribute("aria-invalid", "true")
        expect(page.locator("#idp-issuer")).to_be_focused()
        expect(page.locator("#idp-client-secret")).to_have_value("")
        self.assertEqual(self.serious(axe), [], "with a field error")
        page.fill("#idp-issuer", "https://idp.example.test")
        page.fill("#idp-client-secret", secret)
        page.click("button:has-text('Add provider')")
        expect(page.locator("#status")).to_contain_text('Identity provider "Okta web" added.')
        oidc = [p for p in self.gw.api("GET", Gateway.t("identity-providers"))["items"] if p["name"] == "Okta web"][0]
        self.assertEqual(oidc["scopes"], ["openid", "email", "groups"])
        card = page.locator(".idp[data-id='%s']" % oidc["id"])
        expect(card.locator(".setup")).to_contain_text("Redirect URI")
        expect(card.locator(".setup code")).to_have_text("%s/sso/default/%s/callback" % (self.base, oidc["id"]))
        # The secret appears nowhere: not in the page, its fields, storage, cookies or the API's answer.
        self.assertNotIn(secret, page.content())
        self.assertNotIn(secret, page.evaluate("() => [...document.querySelectorAll('input, textarea')].map(e => e.value).join('|')"))
        self.assertNotIn(secret, page.evaluate("() => JSON.stringify({...localStorage}) + JSON.stringify({...sessionStorage}) + document.cookie"))
        self.assertNotIn(secret, str(self.context.cookies()))
        self.assertNotIn(secret, str(self.gw.api("GET", Gateway.t("identity-providers", oidc["id"]))))
        # SAML from the IdP's metadata document.
        page.select_option("#idp-type", "saml")
        expect(page.locator("#idp-issuer")).to_be_hidden()
        page.fill("#idp-name", "ADFS web")
        page.check("#idp-saml-source-metadata_xml")
        expect(page.locator("#idp-metadata-url")).to_be_hidden()
        expect(page.locator("#idp-certificate")).to_be_hidden()
        page.fill("#idp-metadata-xml", saml_metadata())
        page.check("#idp-allow-idp-initiated")
        page.fill("#idp-groups-attribute", "memberOf")
        self.assertEqual(self.serious(axe), [], "the SAML form")
        page.click("button:has-text('Add provider')")
        expect(page.locator("#status")).to_contain_text('Identity provider "ADFS web" added.')
        saml = [p for p in self.gw.api("GET", Gateway.t("identity-providers"))["items"] if p["name"] == "ADFS web"][0]
        self.assertEqual((saml["entity_id"], saml["allow_idp_initiated"], saml["groups_attribute"]), ("https://idp.example.test/metadata", True, "memberOf"))
        card = page.locator(".idp[data-id='%s']" % saml["id"])
        sso = "%s/sso/default/%s/" % (self.base, saml["id"])
        expect(card.locator(".setup")).to_contain_text("Assertion consumer service (ACS) URL" + sso + "acs")
        expect(card.locator(".setup")).to_contain_text("SP entity ID" + sso + "metadata")
        expect(card.locator(".setup")).to_contain_text("SP metadata URL" + sso + "metadata")
        self.assertEqual(page.request.get(sso + "metadata").status, 200, "the SP metadata URL shown is served")
        # Sign-in settings: the server's range check shows on the field, then a good value saves.
        page.fill("#sso-idle", "0")
        page.click("button:has-text('Save settings')")
        expect(page.locator("#sso-idle-err")).to_contain_text("from 1 to 1440")
        expect(page.locator("#sso-idle")).to_have_attribute("aria-invalid", "true")
        page.fill("#sso-idle", "30")
        page.uncheck("#sso-jit")
        page.click("button:has-text('Save settings')")
        expect(page.locator("#status")).to_contain_text("Single sign-on settings saved.")
        expect(page.locator("#sso-idle")).not_to_have_attribute("aria-invalid", "true")
        settings = self.gw.api("GET", Gateway.t("sso-settings"))
        self.assertEqual((settings["jit_provisioning"], settings["session_idle_minutes"]), (False, 30))
        self.gw.api("PUT", Gateway.t("sso-settings"), {"jit_provisioning": True, "session_idle_minutes": 60})
        # Group roles, by keyboard: add a row, name the group, choose the role, save.
        page.click("button:has-text('Add a mapping')")
        expect(page.locator("table.group-roles tbody input").last).to_be_focused()
        page.keyboard.type("platform-eng")
        page.keyboard.press("Tab")
        page.locator("table.group-roles tbody select").last.select_option("editor")
        page.click("button:has-text('Save group roles')")
        expect(page.locator("#status")).to_contain_text("Group roles saved.")
        self.assertEqual(self.gw.api("GET", Gateway.t("group-roles"))["mappings"].get("platform-eng"), "editor")
        self.assertEqual(self.serious(axe), [], "with both providers")
        # Deleting asks first; refused, nothing happens; confirmed, the provider is gone.
        page.click("button[aria-label='Delete identity provider Okta web']")
        self.assertIn('Delete the identity provider "Okta web"?', self.dialogs[-1])
        expect(page.locator(".idp[data-id='%s']" % oidc["id"])).to_have_count(1)
        self.accept_dialogs = True
        page.click("button[aria-label='Delete identity provider Okta web']")
        expect(page.locator("#status")).to_contain_text('Identity provider "Okta web" deleted.')
        expect(page.locator(".idp[data-id='%s']" % oidc["id"])).to_have_count(0)
        names = [p["name"] for p in self.gw.api("GET", Gateway.t("identity-providers"))["items"]]
        self.assertNotIn("Okta web", names)
        self.assertIn("ADFS web", names)
        self.gw.api("DELETE", Gateway.t("identity-providers", saml["id"]))
        self.gw.api("PUT", Gateway.t("group-roles"), {"mappings": {}})

    def test_sign_in_page_lists_the_tenants_providers(self):
        from axe_playwright_python.sync_playwright import Axe
        suffix = os.urandom(3).hex()
        oidc = self.gw.api("POST", Gateway.t("identity-providers"), {
            "type": "oidc", "name": "Corporate OIDC " + suffix, "issuer": "https://login.example.test", "client_id": "fg", "client_secret": "not-shown-" + suffix})
        saml = self.gw.api("POST", Gateway.t("identity-providers"), {"type": "saml", "name": "Corporate SAML %s %s" % (suffix, XSS), "metadata_xml": saml_metadata()})
        self.addCleanup(self.gw.api, "DELETE", Gateway.t("identity-providers", oidc["id"]))
        self.addCleanup(self.gw.api, "DELETE", Gateway.t("identity-providers", saml["id"]))
        # A fresh context: no session cookie.
        context = self.browser.new_context(viewport={"width": 1200, "height": 800})
        self.addCleanup(context.close)
        page = context.new_page()
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.expect_http_error(401)
        page.goto(self.base + "/#/workflows")
        signin = page.locator(".signin")
        expect(signin).to_contain_text("one-time sign-in link")
        expect(page.locator("#sso-tenant")).to_have_value("default")
        expect(page.locator("#nav")).to_be_hidden()
        back = urllib.parse.quote("/#/workflows", safe="")
        for provider, protocol in ((oidc, "OpenID Connect"), (saml, "SAML")):
            link = signin.get_by_role("link", name=re.compile("Sign in with %s" % re.escape(provider["name"])))
            expect(link).to_have_attribute("href", "/sso/default/%s/login?return_to=%s" % (provider["id"], back))
            expect(link).to_contain_text(protocol)
        violations = Axe().run(page).response["violations"]
        self.assertEqual([(v["id"], v["impact"]) for v in violations if v["impact"] in ("serious", "critical")], [])
        # The SAML link really starts a login: the gateway sends the browser to the IdP with a
        # request (the OIDC one would first read the made-up issuer's discovery document).
        href = signin.get_by_role("link", name=re.compile("Sign in with Corporate SAML")).get_attribute("href")
        started = context.request.get(self.base + href, max_redirects=0)
        self.assertEqual(started.status, 302)
        self.assertTrue(started.headers["location"].startswith("https://idp.example.test/sso?SAMLRequest="), started.headers["location"])
        # By keyboard: another tenant, unknown here, says so.
        self.expect_http_error(404)
        page.focus("#sso-tenant")
        page.keyboard.press("Control+a")
        page.keyboard.type("no-such-tenant")
        page.keyboard.press("Enter")
        expect(signin).to_contain_text('There is no tenant "no-such-tenant".')
        expect(signin.get_by_role("link")).to_have_count(0)
        page.keyboard.press("Control+a")
        page.keyboard.type("default")
        page.keyboard.press("Enter")
        link = signin.get_by_role("link", name=re.compile("Corporate SAML"))
        expect(link).to_contain_text(XSS)
        link.focus()
        expect(link).to_be_focused()
        self.assertNotIn("not-shown-" + suffix, page.content())
        # A provider name holding markup is text on both screens, and nothing runs.
        self.assertEqual(page.eval_on_selector_all("img[src='x']", "els => els.length"), 0)
        self.open("#/identity-providers")
        expect(self.page.locator(".idp[data-id='%s'] h3" % saml["id"])).to_contain_text(XSS)
        self.assertEqual(self.page.eval_on_selector_all("img[src='x']", "els => els.length"), 0)
        self.assertEqual(self.dialogs, [])

    def test_forced_colors_shows_nodes_edges_and_focus(self):
        page = self.page
        wf, _ = self.canonical()
        page.emulate_media(forced_colors="active")
        self.open("#/workflows/" + wf["id"])
        page.focus(".node[data-id=pick]")
        path = os.path.join(SHOTS, "flowgate-forced-colors.png")
        page.screenshot(path=path)
        self.assertGreater(os.path.getsize(path), 10000)
        self.assertEqual(page.evaluate("matchMedia('(forced-colors: active)').matches"), True)
        border = page.eval_on_selector(".node[data-id=pick]", "e => getComputedStyle(e).borderTopWidth")
        self.assertEqual(border, "2px", "nodes draw a system-colour border in forced colours")


if __name__ == "__main__":
    unittest.main(verbosity=2)
