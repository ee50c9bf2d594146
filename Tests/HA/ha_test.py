#!/usr/bin/env python3
"""`make ha-test` (issue #16): the hub on a highly available PostgreSQL, with its primary
killed under load.

Starts, all on loopback: 3 etcd members, 3 PostgreSQL nodes under Patroni
(`synchronous_mode: true`, leader TTL 20 s), 2 `stockroom` hub processes over the cluster
(the URL lists the 3 PostgreSQL nodes), and 20 stores, each listing both hub processes.
Every store is scanned all along. The Patroni leader (its Patroni and its PostgreSQL
together) is SIGKILLed KILLS times; each time the write outage is measured by a probe
that inserts through the same host list every 100 ms, and the killed node is restarted
(it rejoins through pg_rewind). At the end it checks: 0 acknowledged ops lost, 0 applied
twice, every node converged, the log sound (`stockroom hub check`).

    Tests/HA/ha_test.py BINARY [--kills N] [--seed S]
"""
import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

PG_BIN = sorted(d for d in os.listdir("/usr/lib/postgresql"))[-1]
PG_BIN = f"/usr/lib/postgresql/{PG_BIN}/bin"
ETCD = [(23000 + i, 23100 + i) for i in range(3)]
PATRONI = [23200 + i for i in range(3)]
PG = [23300 + i for i in range(3)]
HUBS = [23400, 23401]
STORES = 20


def log(message):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def http(method, url, token=None, body=None, timeout=5):
    request = urllib.request.Request(url, method=method, data=None if body is None else json.dumps(body).encode())
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    if body is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, {}
    except (urllib.error.URLError, OSError, TimeoutError):
        return 0, {}


class Cluster:
    def __init__(self, work, strict=False):
        self.work = work
        self.strict = strict
        self.as_postgres = ["runuser", "-u", "postgres", "--"] if os.getuid() == 0 else []
        self.etcd = []
        self.patroni = {}

    def start_etcd(self):
        initial = ",".join(f"e{i}=http://127.0.0.1:{peer}" for i, (_, peer) in enumerate(ETCD))
        for i, (client, peer) in enumerate(ETCD):
            self.etcd.append(subprocess.Popen(
                ["etcd", "--name", f"e{i}", "--data-dir", f"{self.work}/etcd{i}",
                 "--listen-client-urls", f"http://127.0.0.1:{client}", "--advertise-client-urls", f"http://127.0.0.1:{client}",
                 "--listen-peer-urls", f"http://127.0.0.1:{peer}", "--initial-advertise-peer-urls", f"http://127.0.0.1:{peer}",
                 "--initial-cluster", initial, "--initial-cluster-state", "new", "--initial-cluster-token", "stockroom-ha"],
                stdout=open(f"{self.work}/etcd{i}.log", "w"), stderr=subprocess.STDOUT))

    def write_config(self, i):
        hosts = ",".join(f"127.0.0.1:{client}" for client, _ in ETCD)
        config = f"""scope: stockroom-ha
name: n{i}
restapi:
  listen: 127.0.0.1:{PATRONI[i]}
  connect_address: 127.0.0.1:{PATRONI[i]}
etcd3:
  hosts: {hosts}
bootstrap:
  dcs:
    ttl: 20
    loop_wait: 2
    retry_timeout: 5
    synchronous_mode: true
    synchronous_mode_strict: {"true" if self.strict else "false"}
    postgresql:
      use_pg_rewind: true
      parameters:
        wal_log_hints: "on"
        max_connections: 200
  initdb:
    - encoding: UTF8
  pg_hba:
    - host all all 127.0.0.1/32 trust
    - host replication all 127.0.0.1/32 trust
postgresql:
  listen: 127.0.0.1:{PG[i]}
  connect_address: 127.0.0.1:{PG[i]}
  data_dir: {self.work}/pg/n{i}
  bin_dir: {PG_BIN}
  pgpass: {self.work}/pg/pgpass{i}
  authentication:
    superuser: {{username: postgres, password: postgres}}
    replication: {{username: replicator, password: replicator}}
    rewind: {{username: rewinder, password: rewinder}}
  parameters:
    unix_socket_directories: {self.work}/pg
"""
        path = f"{self.work}/pg/n{i}.yml"
        with open(path, "w") as out:
            out.write(config)
        return path

    def start_patroni(self, i):
        path = f"{self.work}/pg/n{i}.yml"
        self.patroni[i] = subprocess.Popen(
            self.as_postgres + ["patroni", path], stdout=open(f"{self.work}/patroni{i}.log", "a"),
            stderr=subprocess.STDOUT, start_new_session=True)

    def leader(self):
        for i, port in enumerate(PATRONI):
            if http("GET", f"http://127.0.0.1:{port}/primary", timeout=1)[0] == 200:
                return i
        return None

    def members_running(self):
        status, body = http("GET", f"http://127.0.0.1:{PATRONI[self.leader() or 0]}/cluster", timeout=2)
        return [m for m in body.get("members", []) if m.get("state") in ("running", "streaming")]

    def kill_node(self, i):
        """SIGKILL the node's Patroni and PostgreSQL together (a machine lost)."""
        try:
            os.killpg(self.patroni[i].pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        pidfile = f"{self.work}/pg/n{i}/postmaster.pid"
        if os.path.exists(pidfile):
            try:
                os.kill(int(open(pidfile).readline()), signal.SIGKILL)
            except (ProcessLookupError, ValueError):
                pass
        self.patroni[i].wait()

    def psql(self, sql, database="postgres", timeout=3):
        hosts = ",".join(f"127.0.0.1:{port}" for port in PG)
        url = f"postgresql://postgres@{hosts}/{database}?target_session_attrs=read-write&connect_timeout=1"
        try:
            done = subprocess.run([f"{PG_BIN}/psql", "-qAt", url, "-c", sql], capture_output=True, text=True,
                                  timeout=timeout)
            return done.returncode, done.stdout + done.stderr
        except subprocess.TimeoutExpired:
            return 1, "timeout"

    def stop(self):
        for i in list(self.patroni):
            self.kill_node(i)
        for process in self.etcd:
            process.kill()


class Node:
    def __init__(self, binary, work, name, port, args):
        self.binary, self.data, self.name, self.port, self.args = binary, f"{work}/{name}", name, port, args
        self.process = None

    def run(self, *args):
        return subprocess.run([self.binary, *args, "--data", self.data], capture_output=True, text=True)

    def start(self):
        self.process = subprocess.Popen(
            [self.binary, "serve", "--data", self.data, "--listen", f"127.0.0.1:{self.port}", *self.args],
            stdout=open(self.data + ".log", "a"), stderr=subprocess.STDOUT)
        deadline = time.time() + 120
        while time.time() < deadline:
            if http("GET", f"http://127.0.0.1:{self.port}/healthz", timeout=1)[0] == 200:
                return
            if self.process.poll() is not None:
                raise SystemExit(f"{self.name} exited:\n" + open(self.data + ".log").read()[-3000:])
            time.sleep(0.2)
        raise SystemExit(f"{self.name} did not start")

    def token(self, role):
        return json.load(open(self.data + "/credentials.json"))[role]

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("binary")
    parser.add_argument("--kills", type=int, default=3)
    parser.add_argument("--seed", type=int, default=int(time.time()))
    parser.add_argument("--strict", action="store_true",
                        help="synchronous_mode_strict: never commit without a synchronous standby")
    args = parser.parse_args()
    random.seed(args.seed)
    log(f"seed {args.seed}")
    work = tempfile.mkdtemp(prefix="stockroom-ha-")
    os.chmod(work, 0o755)
    os.makedirs(f"{work}/pg")
    if os.getuid() == 0:
        shutil.chown(f"{work}/pg", "postgres")
    cluster = Cluster(work, strict=args.strict)
    nodes = []
    ok = False
    try:
        cluster.start_etcd()
        time.sleep(2)
        for i in range(3):
            cluster.write_config(i)
        cluster.start_patroni(0)
        deadline = time.time() + 60
        while cluster.leader() is None:
            if time.time() > deadline:
                raise SystemExit("no Patroni leader after 60 s; see " + work)
            time.sleep(0.5)
        for i in (1, 2):
            cluster.start_patroni(i)
        deadline = time.time() + 90
        while len(cluster.members_running()) < 3:
            if time.time() > deadline:
                raise SystemExit("the replicas did not join in 90 s; see " + work)
            time.sleep(1)
        log(f"Patroni cluster up, leader n{cluster.leader()}")
        code, out = cluster.psql("CREATE DATABASE chain")
        assert code == 0, out
        cluster.psql("CREATE TABLE probe (at timestamptz)", database="chain")
        hosts = ",".join(f"127.0.0.1:{port}" for port in PG)
        database = f"postgres://postgres@{hosts}/chain?sslmode=disable"

        # The hub: two processes, the catalogue made on the first.
        catalogue = f"{work}/catalogue.csv"
        with open("fixtures/catalog-10k.csv") as source, open(catalogue, "w") as out:
            for n, line in enumerate(source):
                if n > 40:
                    break
                out.write(line)
        skus = [line.split(",")[0] for line in open(catalogue).read().splitlines()[1:]]
        hubs = [Node(args.binary, work, f"hub-{c}", port, ["--role", "hub", "--node", f"hub-{c}", "--database", database])
                for c, port in zip("ab", HUBS)]
        subprocess.run([args.binary, "import", "catalog", catalogue, "--data", hubs[0].data, "--node", "hub-a"],
                       check=True, capture_output=True)
        for hub in hubs:
            hub.start()
        tokens = []
        for n in range(STORES):
            made = hubs[0].run("token", "create", "--role", "peer", "--node", f"store-{n + 1}")
            tokens.append(made.stdout.strip().splitlines()[-1])
        time.sleep(4)  # the tokens reach the second process through the database
        urls = [f"http://127.0.0.1:{port}" for port in HUBS]
        stores = []
        for n in range(STORES):
            listed = urls if n % 2 == 0 else urls[::-1]
            store = Node(args.binary, work, f"store-{n + 1}", 23500 + n,
                         ["--node", f"store-{n + 1}", "--hub", ",".join(listed), "--hub-token", tokens[n]])
            store.start()
            stores.append(store)
        nodes = hubs + stores
        log(f"2 hub processes and {STORES} stores up")
        deadline = time.time() + 120
        for store in stores:
            while http("GET", f"http://127.0.0.1:{store.port}/v1/items/{skus[-1]}", store.token("admin"))[0] != 200:
                if time.time() > deadline:
                    raise SystemExit(f"{store.name} did not receive the catalogue")
                time.sleep(0.5)

        # Load: every store scans all along; what each store acknowledged is counted.
        acknowledged = [0] * STORES
        refused = [0] * STORES
        stop = threading.Event()

        def scan(n):
            store = stores[n]
            token = store.token("scanner")
            batch = 0
            while not stop.is_set():
                scans = [{"id": f"ha-{batch}-{k}", "code": random.choice(skus), "qty": 1,
                          "reason": random.choice(["sale", "sale", "receive"])} for k in range(5)]
                status, _ = http("POST", f"http://127.0.0.1:{store.port}/v1/scans/batch", token, {"scans": scans})
                if status == 201:
                    acknowledged[n] += 5
                else:
                    refused[n] += 1
                batch += 1
                time.sleep(0.5)

        # The probe: a write through the host list every 100 ms.
        writes = []

        def probe():
            # Each success is recorded by when its attempt started: one in flight when the
            # primary dies does not count as the writes coming back.
            while not stop.is_set():
                started = time.time()
                if cluster.psql("INSERT INTO probe VALUES (now())", database="chain", timeout=2)[0] == 0:
                    writes.append(started)
                time.sleep(0.1)

        threads = [threading.Thread(target=scan, args=(n,)) for n in range(STORES)] + [threading.Thread(target=probe)]
        for thread in threads:
            thread.start()
        time.sleep(10)
        outages = []
        for kill in range(args.kills):
            victim = cluster.leader()
            killed_at = time.time()
            cluster.kill_node(victim)
            log(f"kill {kill + 1}: SIGKILLed the leader n{victim} (Patroni and PostgreSQL)")
            while not [t for t in writes if t > killed_at]:
                if time.time() - killed_at > 120:
                    raise SystemExit("no write succeeded within 120 s of the kill")
                time.sleep(0.1)
            outage = min(t for t in writes if t > killed_at) - killed_at
            outages.append(outage)
            log(f"kill {kill + 1}: writes back after {outage:.1f} s on the new leader n{cluster.leader()}")
            time.sleep(5)
            cluster.start_patroni(victim)
            deadline = time.time() + 120
            # Rejoined: its own REST API says PostgreSQL runs, and the leader lists all three.
            while (http("GET", f"http://127.0.0.1:{PATRONI[victim]}/health", timeout=1)[0] != 200
                   or len(cluster.members_running()) < 3 or cluster.leader() in (None, victim)):
                if time.time() > deadline:
                    raise SystemExit(f"n{victim} did not rejoin in 120 s")
                time.sleep(1)
            log(f"kill {kill + 1}: n{victim} rejoined")
            time.sleep(10)
        stop.set()
        for thread in threads:
            thread.join()
        log(f"load stopped: {sum(acknowledged)} scans acknowledged by the stores, {sum(refused)} batches refused")

        # Convergence: each hub process holds every acknowledged op of each store once,
        # and every store agrees with both hub processes on its own stock.
        admin = [hub.token("admin") for hub in hubs]

        def ops_at(hub, token, origin):
            count, cursor = 0, 0
            while True:
                status, page = http("GET", f"http://127.0.0.1:{hub.port}/v1/ops?limit=1000&origin={origin}&cursor={cursor}", token)
                count += len(page.get("items", []))
                if not page.get("next_cursor"):
                    return count
                cursor = page["next_cursor"]

        deadline = time.time() + 180
        while True:
            behind = [(hub.name, n) for hub, token in zip(hubs, admin) for n in range(STORES)
                      if ops_at(hub, token, f"store-{n + 1}") != acknowledged[n]]
            if not behind:
                break
            if time.time() > deadline:
                raise SystemExit(f"seed {args.seed}: not converged after 180 s: {behind[:10]}")
            for store in stores:
                http("POST", f"http://127.0.0.1:{store.port}/v1/sync", store.token("admin"), {}, timeout=15)
            time.sleep(2)
        log_rows = cluster.psql(
            "SELECT origin, sum(op_count), max(last_seq) FROM op_chunks WHERE origin LIKE 'store-%' GROUP BY origin",
            database="chain", timeout=20)
        log(f"the log right after convergence: {log_rows[1].split()[:5]} …")
        disagree = []
        for n, store in enumerate(stores):
            for sku in skus:
                mine = http("GET", f"http://127.0.0.1:{store.port}/v1/stock/{sku}", store.token("admin"))[1].get("quantity")
                for hub, token in zip(hubs, admin):
                    theirs = http("GET", f"http://127.0.0.1:{hub.port}/v1/stock/{sku}?location=store-{n + 1}", token)[1].get("quantity")
                    if mine != theirs:
                        disagree.append((store.name, hub.name, sku, mine, theirs))
        code, rows = cluster.psql(
            "SELECT origin, sum(op_count), max(last_seq) FROM op_chunks WHERE origin LIKE 'store-%' GROUP BY origin",
            database="chain", timeout=20)
        if code != 0:
            raise SystemExit(f"cannot read the log: {rows}")
        doubled = [row for row in rows.split() if len(row.split("|")) == 3 and row.split("|")[1] != row.split("|")[2]]
        in_log = {row.split("|")[0]: int(row.split("|")[1]) for row in rows.split() if len(row.split("|")) == 3}
        lost = [(f"store-{n + 1}", acknowledged[n], in_log.get(f"store-{n + 1}", 0)) for n in range(STORES)
                if in_log.get(f"store-{n + 1}", 0) != acknowledged[n]]
        check = subprocess.run([args.binary, "hub", "check", "--database", database], capture_output=True, text=True)
        print()
        print(f"Kills of the PostgreSQL primary: {len(outages)}; write outage each time: "
              + ", ".join(f"{o:.1f} s" for o in outages))
        print(f"Scans acknowledged by the {STORES} stores: {sum(acknowledged)} (stores kept scanning throughout;"
              f" {sum(refused)} batches refused)")
        print(f"Acknowledged ops lost: {sum(a - b for _, a, b in lost if a > b)}; applied twice: {len(doubled)}")
        for origin, acked, held in lost[:20]:
            print(f"  {origin}: {acked} acknowledged by the store, {held} in the log")
        print(f"Stores and both hub processes agree on every cell: {'yes' if not disagree else disagree[:5]}")
        print(f"stockroom hub check: {'ok' if check.returncode == 0 else check.stdout}")
        ok = not lost and not doubled and not disagree and check.returncode == 0 and sum(refused) == 0
        print("PASS" if ok else f"FAIL (seed {args.seed}; logs in {work})")
    finally:
        for node in nodes:
            try:
                node.stop()
            except Exception:
                pass
        cluster.stop()
        if ok:
            shutil.rmtree(work, ignore_errors=True)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
