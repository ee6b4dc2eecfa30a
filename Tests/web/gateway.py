"""Test support for the browser tests, the canvas benchmark and the screenshots: the real
Flowgate gateway (`flowgate serve`, from FLOWGATE_BIN) on a free loopback port with a throwaway
data folder, signed into through the one-time link it prints on first start; and a small real
HTTP server on loopback (the peer) that serves metrics JSON and records what sinks send it.

Nothing here answers for the gateway: every API answer the app sees comes from the server.
"""
import atexit
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
FLOWGATE_BIN = os.environ.get("FLOWGATE_BIN") or os.path.join(ROOT, ".build", "debug", "flowgate")
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
XSS = "<img src=x onerror=alert(1)>"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ApiError(AssertionError):
    def __init__(self, method, path, status, body):
        super().__init__("%s %s -> %d %s" % (method, path, status, body))
        self.status = status
        self.body = body


class Gateway:
    """`flowgate serve` with the embedded SQLite in a temporary folder. On its first start it
    creates tenant `default` with user `owner` and prints the one-time sign-in link, which is
    kept in `link`. API calls made here use the platform-admin token preset through
    FLOWGATE_BOOTSTRAP_TOKEN. `stop()` ends the process by its pid (also at interpreter exit)."""

    def __init__(self, timeout=90):
        if not os.access(FLOWGATE_BIN, os.X_OK):
            raise RuntimeError("no flowgate binary at %s: build it (swift build) or set FLOWGATE_BIN" % FLOWGATE_BIN)
        self.port = free_port()
        self.base = "http://127.0.0.1:%d" % self.port
        self.dir = tempfile.mkdtemp(prefix="flowgate-web-")
        self.admin = "fgp_webtest_" + secrets.token_hex(16)
        self.log_path = os.path.join(self.dir, "server.log")
        env = dict(os.environ, FLOWGATE_BOOTSTRAP_TOKEN=self.admin)
        for name in ("FLOWGATE_DATABASE_URL", "FLOWGATE_PUBLIC_URL"):
            env.pop(name, None)
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                [FLOWGATE_BIN, "serve", "--host", "127.0.0.1", "--port", str(self.port),
                 "--data-dir", os.path.join(self.dir, "data"), "--web-root", os.path.join(ROOT, "web")],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=self.dir, env=env)
        atexit.register(self.stop)
        try:
            self.link = self._wait_ready(timeout)
        except BaseException:
            self.stop()
            raise

    def output(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def _wait_ready(self, timeout):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("flowgate exited with status %d:\n%s" % (self.proc.returncode, self.output()[-4000:]))
            m = re.search(r"(http://\S+/login\?code=fgl_\S+)", self.output())
            if m:
                try:
                    with urllib.request.urlopen(self.base + "/readyz", timeout=2) as r:
                        if r.status == 200:
                            return m.group(1)
                except (urllib.error.URLError, OSError):
                    pass
            time.sleep(0.1)
        raise RuntimeError("flowgate did not print its sign-in link and become ready within %d s:\n%s" % (timeout, self.output()[-4000:]))

    def stop(self):
        proc = getattr(self, "proc", None)
        if proc is not None and proc.poll() is None:
            os.kill(proc.pid, signal.SIGTERM)
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait(5)
        if os.environ.get("FLOWGATE_WEB_KEEP"):
            print("kept", self.dir)
        else:
            shutil.rmtree(self.dir, ignore_errors=True)

    @staticmethod
    def t(*parts):
        """Path of a resource of tenant `default`."""
        return "/api/v1/tenants/default/" + "/".join(urllib.parse.quote(str(p), safe="") for p in parts)

    def api(self, method, path, body=None, headers=None, token=None):
        """One request as the platform administrator (or `token`); returns the parsed answer,
        raises ApiError for any status >= 400."""
        data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
        h = {"Authorization": "Bearer " + (token or self.admin), "Accept": "application/json"}
        if data is not None:
            h["Content-Type"] = "application/json"
        h.update(headers or {})
        request = urllib.request.Request(self.base + path, data=data, method=method, headers=h)
        try:
            with urllib.request.urlopen(request, timeout=60) as r:
                raw = r.read()
        except urllib.error.HTTPError as e:
            raise ApiError(method, path, e.code, e.read().decode("utf-8", "replace")) from None
        return json.loads(raw) if raw else None

    def create_workflow(self, name, definition):
        return self.api("POST", self.t("workflows"), {"name": name, "description": "", "definition": definition})

    def start_run(self, workflow_id, input=None):
        return self.api("POST", self.t("workflows", workflow_id, "runs"), {"input": input or {}},
                        headers={"Idempotency-Key": secrets.token_hex(8)})

    def wait_run(self, run_id, timeout=60):
        """Polls the run until it has ended; returns it."""
        deadline = time.time() + timeout
        while True:
            run = self.api("GET", self.t("runs", run_id))
            if run["status"] in ("succeeded", "failed", "cancelled", "canceled"):
                return run
            if time.time() > deadline:
                raise AssertionError("run %s still %s after %d s" % (run_id, run["status"], timeout))
            time.sleep(0.2)

    def sign_in(self, browser, **context_options):
        """Opens the one-time link in a new browser context (the gateway sets the session cookie
        and redirects to the app); returns the context, signed in."""
        context = browser.new_context(**context_options)
        page = context.new_page()
        page.goto(self.link)
        page.wait_for_selector("#nav:not([hidden])")
        page.close()
        return context


def saml_metadata(entity_id="https://idp.example.test/metadata", sso_url="https://idp.example.test/sso"):
    """A small valid SAML IdP metadata document whose signing certificate is a real self-signed
    one made here with `openssl req -x509` (the gateway loads it when the provider is added)."""
    with tempfile.TemporaryDirectory(prefix="flowgate-saml-") as d:
        cert = os.path.join(d, "cert.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", os.path.join(d, "key.pem"), "-out", cert,
                        "-days", "30", "-subj", "/CN=idp.example.test"], check=True, capture_output=True)
        with open(cert) as f:
            body = "".join(line.strip() for line in f if "-----" not in line)
    return ('<?xml version="1.0"?>\n'
            '<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="%s">\n'
            '  <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">\n'
            '    <md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>%s</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>\n'
            '    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="%s"/>\n'
            '  </md:IDPSSODescriptor>\n'
            '</md:EntityDescriptor>\n') % (entity_id, body, sso_url)


class Peer:
    """A small real HTTP server on loopback: `GET /metrics.json` answers metrics items of the
    last ten minutes (two hosts, every 15 s) and a note holding markup; every POST or PUT is
    recorded as (path, headers, parsed JSON body) in `received`."""

    def __init__(self):
        self.received = []
        self.fetches = []
        peer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, fmt, *args):
                pass

            def do_GET(self):
                if self.path.split("?")[0] != "/metrics.json":
                    return self.answer(404, {"error": "not found"})
                peer.fetches.append(dict(self.headers))
                self.answer(200, peer.metrics())

            def do_POST(self):
                n = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(n) if n else b""
                try:
                    body = json.loads(raw) if raw else None
                except ValueError:
                    body = raw.decode("utf-8", "replace")
                peer.received.append((self.path, dict(self.headers), body))
                self.answer(200, {"ok": True})

            do_PUT = do_POST

            def answer(self, status, body):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = "http://127.0.0.1:%d" % self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @staticmethod
    def metrics():
        now = int(time.time())
        start = now - now % 60 - 600
        items = [{"ts": start + 15 * i, "value": round(0.5 + (i % 7), 2), "labels": {"host": "ab"[i % 2], "job": "api"}}
                 for i in range(40)]
        return {"data": items, "note": XSS}

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def canonical_definition(peer_url, sink, fetch_name="Fetch metrics"):
    """The canonical pipeline: manual trigger -> HTTP fetch -> jq -> aggregate -> sink -> chart."""
    def node(id, type, x, y, config, name):
        return {"id": id, "type": type, "config": config, "name": name, "position": {"x": x, "y": y}}
    return {
        "nodes": [
            node("start", "trigger.manual", 0, 0, {}, "Start"),
            node("fetch", "http.request", 240, 0, {"url": peer_url + "/metrics.json"}, fetch_name),
            node("pick", "jq", 480, 0, {"program": ".body.data[]"}, "Pick items"),
            node("agg", "timeseries.aggregate", 720, 0,
                 {"bucket_seconds": 60, "function": "avg", "group_by": ["host"], "labels_field": "labels",
                  "timestamp_field": "ts", "value_field": "value"}, "Aggregate"),
            node("sink", sink.type, 960, 0, dict(sink.config), "Store"),
            node("chart", "chart", 960, 160, {"title": "API value"}, "Chart"),
        ],
        "edges": [{"from": "start.out", "to": "fetch.in"}, {"from": "fetch.out", "to": "pick.in"},
                  {"from": "pick.out", "to": "agg.in"}, {"from": "agg.out", "to": "sink.in"},
                  {"from": "agg.out", "to": "chart.in"}],
    }


class Sink:
    """Where the canonical pipeline writes: VictoriaMetrics (InfluxDB line protocol) when
    FLOWGATE_TEST_VICTORIA_URL is set, Prometheus (remote write) when
    FLOWGATE_TEST_PROMETHEUS_URL is, else a webhook (sink.http) to the loopback peer. Each Sink
    writes a metric of its own name, so `check()` sees only what this pipeline wrote."""

    VICTORIA = os.environ.get("FLOWGATE_TEST_VICTORIA_URL", "").rstrip("/")
    PROMETHEUS = os.environ.get("FLOWGATE_TEST_PROMETHEUS_URL", "").rstrip("/")

    @classmethod
    def kinds(cls):
        return [k for k, url in (("prometheus", cls.PROMETHEUS), ("victoria", cls.VICTORIA)) if url] or ["http"]

    def __init__(self, kind, peer, tag):
        self.kind = kind
        self.peer = peer
        self.name = "flowgate_web_%s_%s" % (tag, secrets.token_hex(3))
        if kind == "prometheus":
            self.type, self.store, self.series = "sink.prometheus", self.PROMETHEUS, self.name
            self.config = {"url": self.PROMETHEUS + "/api/v1/write", "metric": self.name}
        elif kind == "victoria":
            self.type, self.store, self.series = "sink.influx", self.VICTORIA, self.name + "_value"
            self.config = {"url": self.VICTORIA, "database": "flowgate", "measurement": self.name}
        else:
            self.type, self.store, self.series = "sink.http", None, None
            self.config = {"url": peer.base + "/write/" + self.name}

    @property
    def node_id(self):
        """The id the editor gives the first node of this type."""
        return self.type.replace(".", "_") + "_1"

    def written(self):
        """What the store (or the peer) holds from this sink: {host: number of samples}."""
        if self.store is None:
            hosts = {}
            for path, _, body in self.peer.received:
                if path == "/write/" + self.name and isinstance(body, dict):
                    for s in body.get("series", []):
                        hosts[s["labels"]["host"]] = hosts.get(s["labels"]["host"], 0) + len(s["points"])
            return hosts
        query = urllib.parse.urlencode({"query": "count_over_time(%s[1h])" % self.series})
        with urllib.request.urlopen(self.store + "/api/v1/query?" + query, timeout=10) as r:
            body = json.load(r)
        return {s["metric"].get("host"): int(float(s["value"][1])) for s in body["data"]["result"]}

    def check(self, timeout=30):
        """Waits until both hosts' aggregated series have arrived; returns them."""
        deadline = time.time() + timeout
        while True:
            got = self.written()
            if set(got) >= {"a", "b"} and all(n > 0 for n in got.values()):
                return got
            if time.time() > deadline:
                raise AssertionError("%s sink %s: expected series for hosts a and b, found %r" % (self.kind, self.name, got))
            time.sleep(0.5)
