#!/usr/bin/env python3
"""Monitoring end to end (issue #17): a real Prometheus (Debian's `prometheus`) on loopback
scrapes a real hub over HTTPS, with its op log on a real PostgreSQL, and two real stores
syncing with it, and evaluates the shipped alert rules against them.

Checks:
  - every node's /metrics passes `promtool check metrics` (Prometheus's naming rules);
  - every metric the alert rules and the Grafana dashboard use exists in what Prometheus
    scraped;
  - every rule evaluates without an error, and every dashboard query answers through
    Prometheus's HTTP API without an error, and with data;
  - /healthz names the release, schema and protocols; /readyz is 200 on a working node and
    503 with the failed check on a store that cannot get its history back;
  - `--log-format json` writes one JSON object per line, with the usual fields.

    Tests/Postgres/with-postgres.sh python3 Tests/Monitoring/monitoring_test.py [BINARY]
Work files are kept, and their folder printed, on failure."""
import http.client
import json
import os
import re
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.parse

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BINARY = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, ".build/debug/stockroom"))
MONITORING = os.path.join(ROOT, "packaging/monitoring")
CATALOGUE = "sku,name,description,category,price,barcode,threshold\n" + "".join(
    f"ITEM-{i},Item {i},,Grocery,1.{i:02d},,5\n" for i in range(20))


class Failure(Exception):
    pass


def expect(condition, message):
    if not condition:
        raise Failure(message)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(what, predicate, seconds=30):
    deadline = time.time() + seconds
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise Failure(f"timed out after {seconds} s waiting for {what}")


class Node:
    def __init__(self, work, name, args, tls=None, log_format="text"):
        self.name, self.args, self.tls = name, args, tls
        self.data = os.path.join(work, name)
        self.port = free_port()
        self.log_path = os.path.join(work, name + ".log")
        self.log_format = log_format
        self.process = None

    def cli(self, *args):
        done = subprocess.run([BINARY, *args, "--data", self.data], capture_output=True, text=True)
        expect(done.returncode == 0, f"stockroom {' '.join(args)} failed: {done.stderr}")
        return done.stdout

    def start(self):
        tls = ["--tls-cert", self.tls[0], "--tls-key", self.tls[1]] if self.tls else []
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [BINARY, "serve", "--data", self.data, "--listen", f"127.0.0.1:{self.port}", "--log-format",
             self.log_format, *tls, *self.args], stdout=log, stderr=log)
        wait_for(f"{self.name} to answer /healthz", lambda: self.get("/healthz", token=None)[0] == 200)

    def connection(self):
        if self.tls:
            context = ssl.create_default_context(cafile=self.tls[2])
            return http.client.HTTPSConnection("127.0.0.1", self.port, context=context, timeout=10)
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)

    def token(self, role="admin"):
        return json.load(open(os.path.join(self.data, "credentials.json")))[role]

    def request(self, method, path, body=None, token="admin"):
        try:
            conn = self.connection()
            headers = {"Content-Type": "application/json"}
            if token:
                headers["Authorization"] = "Bearer " + (self.token(token) if token in ("admin", "scanner") else token)
            conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
            response = conn.getresponse()
            return response.status, response.read()
        except OSError:
            return 0, b""

    def get(self, path, token="admin"):
        return self.request("GET", path, token=token)

    @property
    def url(self):
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(30)


def make_certificate(work):
    """A private CA and a certificate for 127.0.0.1 it signed, valid 30 days."""
    ca_key, ca, key, csr, cert = (os.path.join(work, n) for n in ("ca.key", "ca.pem", "hub.key", "hub.csr", "hub.pem"))
    run = lambda *a: subprocess.run(a, check=True, capture_output=True)
    run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", ca_key, "-out", ca, "-days", "30",
        "-subj", "/CN=Stockroom test CA")
    run("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", csr, "-subj", "/CN=127.0.0.1")
    extensions = os.path.join(work, "san.cnf")
    open(extensions, "w").write("subjectAltName=IP:127.0.0.1\n")
    run("openssl", "x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key, "-CAcreateserial", "-out", cert,
        "-days", "30", "-extfile", extensions)
    return cert, key, ca


def metric_names(text):
    """Every stockroom_* metric a PromQL expression names (histogram series to their family)."""
    return set(re.findall(r"\bstockroom_[a-z0-9_]+", text))


def main():
    database = os.environ.get("STOCKROOM_TEST_POSTGRES")
    expect(database, "run under Tests/Postgres/with-postgres.sh (needs STOCKROOM_TEST_POSTGRES)")
    work = tempfile.mkdtemp(prefix="stockroom-monitoring-")
    nodes = []
    prometheus = None
    try:
        pg_bin = os.environ["STOCKROOM_TEST_PG_BIN"]
        parsed = urllib.parse.urlparse(database)
        subprocess.run([os.path.join(pg_bin, "createdb"), "-h", parsed.hostname, "-p", str(parsed.port), "-U",
                        parsed.username, "monitoring"], check=True)
        cert, key, ca = make_certificate(work)
        open(os.path.join(work, "catalogue.csv"), "w").write(CATALOGUE)

        hub = Node(work, "hub", ["--role", "hub", "--node", "hub", "--database", database + "/monitoring"],
                   tls=(cert, key, ca))
        hub.cli("import", "catalog", os.path.join(work, "catalogue.csv"), "--node", "hub")
        tokens = {}
        for name in ("store-1", "store-2"):
            tokens[name] = hub.cli("token", "create", "--role", "peer", "--node", name).strip().split()[-1]
        readonly = {}
        readonly["hub"] = hub.cli("token", "create", "--role", "readonly", "--label", "prometheus").strip().split()[-1]
        hub.start()
        nodes.append(hub)
        stores = []
        for index, name in enumerate(("store-1", "store-2")):
            store = Node(work, name, ["--node", name, "--hub", hub.url, "--hub-token", tokens[name], "--hub-ca", ca],
                         log_format="json" if index == 0 else "text")
            store.start()
            readonly[name] = store.cli("token", "create", "--role", "readonly", "--label", "prometheus").strip().split()[-1]
            nodes.append(store)
            stores.append(store)

        # Each store has the catalogue from the hub, sells and receives, and refuses an unknown code.
        for store in stores:
            wait_for(f"{store.name} to get the catalogue", lambda: store.get("/v1/stock/ITEM-3")[0] == 200)
            for i in range(30):
                status, body = store.request("POST", "/v1/scans", {"id": f"s-{i}", "code": f"ITEM-{i % 20}", "qty": 1,
                                                                   "reason": "receive" if i < 20 else "sale"}, "scanner")
                expect(status in (200, 201), f"scan on {store.name}: {status} {body[:200]}")
            status, _ = store.request("POST", "/v1/scans", {"id": "bad-1", "code": "NO-SUCH-CODE", "qty": 1,
                                                            "reason": "sale"}, "scanner")
            expect(status == 404, f"an unknown code answered {status}")
        wait_for("the stores' scans at the hub",
                 lambda: json.loads(hub.get("/v1/stock/ITEM-15?location=store-2")[1] or b"{}").get("quantity") == 1)

        print("== /healthz and /readyz")
        status, body = hub.get("/healthz", token=None)
        health = json.loads(body)
        version = subprocess.run([BINARY, "--version"], capture_output=True, text=True, check=True).stdout
        expect(health["version"] == version.splitlines()[0], f"/healthz version {health['version']} vs --version")
        expect(health["schema"] in version and str(health["postgres_schema"]) in version, f"{health} vs {version}")
        expect(health["protocols"][0] == 1 and health["protocols"][-1] >= 5, f"protocols {health['protocols']}")
        print("  /healthz:", health)
        for node in nodes:
            status, body = node.get("/readyz", token=None)
            expect(status == 200, f"{node.name} /readyz answered {status}: {body}")
            checks = json.loads(body)["checks"]
            expect(all(c["ok"] for c in checks.values()), f"{node.name}: {checks}")
        expect("hub_log" in json.loads(hub.get("/readyz", token=None)[1])["checks"], "the hub's readiness checks its log")
        lost = Node(work, "store-3", ["--node", "store-3", "--hub", "http://127.0.0.1:9", "--hub-token", "sr_x"])
        lost.start()
        nodes.append(lost)
        status, body = lost.get("/readyz", token=None)
        answer = json.loads(body)
        expect(status == 503 and answer["error"]["code"] == "not_ready" and not answer["checks"]["recovery"]["ok"],
               f"a store that cannot reach its hub on a blank folder: {status} {answer}")
        print("  /readyz: 200 on the hub and the stores; 503 on a blank store away from its hub:",
              answer["error"]["message"][:100])
        lost.stop()
        nodes.remove(lost)

        print("== promtool check metrics")
        for node in nodes:
            status, body = node.get("/metrics", token=readonly[node.name])
            expect(status == 200, f"{node.name} /metrics with a readonly token answered {status}")
            checked = subprocess.run(["promtool", "check", "metrics"], input=body, capture_output=True)
            expect(checked.returncode == 0, f"promtool check metrics on {node.name}:\n{checked.stdout.decode()}{checked.stderr.decode()}")
            print(f"  {node.name}: {len(body.splitlines())} lines, no problems")

        print("== Prometheus")
        prom_port = free_port()
        scrape = []
        for node in nodes:
            credentials = os.path.join(work, f"{node.name}.token")
            open(credentials, "w").write(readonly[node.name])
            job = {"job_name": f"stockroom-{node.name}", "scrape_interval": "1s",
                   "scheme": "https" if node.tls else "http",
                   "authorization": {"credentials_file": credentials},
                   "static_configs": [{"targets": [f"127.0.0.1:{node.port}"]}]}
            if node.tls:
                job["tls_config"] = {"ca_file": ca}
            scrape.append(job)
        config = {"global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
                  "rule_files": [os.path.join(MONITORING, "stockroom-alerts.yml")], "scrape_configs": scrape}
        config_path = os.path.join(work, "prometheus.yml")
        open(config_path, "w").write(json.dumps(config))  # JSON is YAML
        checked = subprocess.run(["promtool", "check", "config", config_path], capture_output=True, text=True)
        expect(checked.returncode == 0, checked.stdout + checked.stderr)
        prometheus = subprocess.Popen(
            ["prometheus", f"--config.file={config_path}", f"--storage.tsdb.path={work}/tsdb",
             f"--web.listen-address=127.0.0.1:{prom_port}"],
            stdout=open(os.path.join(work, "prometheus.log"), "ab"), stderr=subprocess.STDOUT)

        def api(path, **params):
            conn = http.client.HTTPConnection("127.0.0.1", prom_port, timeout=10)
            conn.request("GET", path + ("?" + urllib.parse.urlencode(params) if params else ""))
            response = conn.getresponse()
            return json.loads(response.read())

        def prom_ready():
            try:
                return api("/api/v1/query", query="up")["status"] == "success"
            except (OSError, ValueError):
                return False
        wait_for("Prometheus to start", prom_ready)

        def all_up():
            targets = api("/api/v1/targets")["data"]["activeTargets"]
            return len(targets) == len(nodes) and all(t["health"] == "up" for t in targets) and targets
        try:
            wait_for("every node scraped and up", all_up)
        except Failure:
            raise Failure(f"targets: {json.dumps(api('/api/v1/targets')['data']['activeTargets'], indent=1)[:3000]}")
        # More scans while Prometheus watches, so rates and quantiles have data.
        for round_ in range(6):
            for store in stores:
                for i in range(5):
                    store.request("POST", "/v1/scans", {"id": f"w-{round_}-{i}", "code": f"ITEM-{i}", "qty": 1,
                                                        "reason": "sale"}, "scanner")
            time.sleep(1)
        time.sleep(3)

        scraped = set(api("/api/v1/label/__name__/values")["data"])
        rules = open(os.path.join(MONITORING, "stockroom-alerts.yml")).read()
        dashboard = json.load(open(os.path.join(MONITORING, "stockroom-dashboard.json")))
        expressions = [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]
        used = metric_names(rules) | metric_names(" ".join(expressions))
        used |= metric_names(dashboard["templating"]["list"][1]["definition"])
        missing = sorted(name for name in used if name not in scraped)
        expect(not missing, f"metrics the rules or the dashboard use that no node exports: {missing}")
        print(f"  {len(used)} metrics used by the rules and the dashboard: all scraped")

        groups = wait_for("the rules evaluated", lambda: [g for g in api("/api/v1/rules")["data"]["groups"]
                                                          if all(r.get("lastEvaluation", "0001").startswith("2") for r in g["rules"])]
                          and api("/api/v1/rules")["data"]["groups"])
        bad = [(r["name"], r.get("lastError")) for g in groups for r in g["rules"] if r["health"] != "ok"]
        expect(not bad, f"rules that fail to evaluate: {bad}")
        firing = [a["labels"]["alertname"] for a in api("/api/v1/alerts")["data"]["alerts"]]
        print(f"  {sum(len(g['rules']) for g in groups)} alert rules evaluate without an error; active: {firing or 'none'}")
        expect("StockroomNodeDown" not in firing, "a node is reported down")

        instance = f"127.0.0.1:{stores[0].port}"
        empty = []
        for expression in expressions:
            query = expression.replace("$__rate_interval", "15s").replace("$instance", instance)
            answer = api("/api/v1/query", query=query)
            expect(answer["status"] == "success", f"dashboard query {query!r}: {answer}")
            if not answer["data"]["result"]:
                empty.append(query)
        # A chain at rest has no TLS-less hub log lag, no refusals… but every panel here has
        # a node that feeds it: an empty answer is a wrong query.
        expect(not empty, f"dashboard queries with no data: {empty}")
        print(f"  {len(expressions)} dashboard queries answer with data")

        print("== --log-format json")
        lines = [line for line in open(stores[0].log_path).read().splitlines() if line.startswith("{")]
        expect(lines, "no JSON log lines")
        for line in lines:
            entry = json.loads(line)
            expect({"time", "level", "logger", "message", "source"} <= entry.keys(), f"log line fields: {entry}")
        starting = [json.loads(l) for l in lines if json.loads(l)["message"] == "starting node"]
        expect(starting and starting[0]["node.id"] == "store-1", f"the start line with its metadata: {starting}")
        print(f"  {len(lines)} lines, e.g. {lines[-1][:160]}")
        print("monitoring test: OK")
    except BaseException:
        print(f"monitoring test: FAILED; work files kept in {work}", file=sys.stderr)
        for node in nodes:
            print(f"--- {node.name} log (tail)", file=sys.stderr)
            print(open(node.log_path, errors="replace").read()[-2000:], file=sys.stderr)
        raise
    finally:
        for node in nodes:
            node.stop()
        if prometheus:
            prometheus.terminate()
            prometheus.wait(30)
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    try:
        main()
    except Failure as failure:
        print(f"monitoring test: FAIL: {failure}", file=sys.stderr)
        sys.exit(1)
