#!/usr/bin/env python3
"""Soak: a hub and N stores as real `stockroom` processes, each store's link to the hub
through faultproxy.py, scanning at a store's pace for a set time with random link faults
and SIGKILL restarts of stores and (every 10 minutes) of the hub. At the end it proves convergence, no loss and no duplicates, and
reports memory and file-descriptor growth.

    make soak                                  # 20 stores, 30 minutes
    SOAK_MINUTES=5 SOAK_STORES=5 make soak     # shorter
    Tests/Faults/soak.py --binary .build/release/stockroom --minutes 30 --stores 20 --seed 1

Exit status 0 when every check passes; the summary is also written to --report (JSON).
"""

import argparse
import http.client
import json
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


class Node:
    def __init__(self, binary, work, name, args, port=0):
        self.binary, self.name, self.args = binary, name, args
        self.data = os.path.join(work, name)
        self.log = open(os.path.join(work, name + ".log"), "ab")
        self.port = port
        self.process = None
        self.restarts = 0

    def run(self, *args):
        return subprocess.run([self.binary, *args, "--data", self.data], capture_output=True, text=True, check=True)

    def start(self):
        self.process = subprocess.Popen(
            [self.binary, "serve", "--data", self.data, "--listen", f"127.0.0.1:{self.port}", *self.args],
            stdout=self.log, stderr=self.log)
        deadline = time.time() + 30
        path = self.log.name
        while time.time() < deadline:
            text = open(path, errors="replace").read()
            found = re.findall(r"listening on http://127\.0\.0\.1:(\d+)", text)
            if found and self.process.poll() is None and self.answers(int(found[-1])):
                self.port = int(found[-1])
                return
            time.sleep(0.1)
        raise RuntimeError(f"{self.name} did not start; see {path}")

    def answers(self, port):
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            conn.request("GET", "/healthz")
            return conn.getresponse().status == 200
        except OSError:
            return False

    def kill(self, sig=signal.SIGKILL):
        if self.process and self.process.poll() is None:
            self.process.send_signal(sig)
            self.process.wait(30)

    def token(self, role):
        return json.load(open(os.path.join(self.data, "credentials.json")))[role]

    def call(self, method, path, body=None, role="admin", timeout=10):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        headers = {"Authorization": "Bearer " + self.token(role), "Content-Type": "application/json"}
        conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
        response = conn.getresponse()
        return response.status, json.loads(response.read() or b"{}")

    def sample(self):
        """(RSS in MB, open file descriptors, SQLite's heap in MB) of the running process.
        SQLite's heap is mostly page cache, bounded by cache_size per connection: RSS growth
        that it explains is a cache filling up, not a leak."""
        pid = self.process.pid
        rss = next(int(line.split()[1]) for line in open(f"/proc/{pid}/status") if line.startswith("VmRSS:"))
        sqlite = None
        try:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
            conn.request("GET", "/metrics", headers={"Authorization": "Bearer " + self.token("admin")})
            for line in conn.getresponse().read().decode().splitlines():
                if line.startswith("stockroom_sqlite_memory_bytes "):
                    sqlite = float(line.split()[1]) / 1024 / 1024
        except OSError:
            pass
        return rss / 1024, len(os.listdir(f"/proc/{pid}/fd")), sqlite


class Proxy:
    def __init__(self, upstream_port, seed, rate, log):
        self.process = subprocess.Popen(
            [sys.executable, os.path.join(HERE, "faultproxy.py"), "--upstream", f"127.0.0.1:{upstream_port}",
             "--seed", str(seed), "--rate", str(rate)], stdout=subprocess.PIPE, stderr=log, text=True)
        line = self.process.stdout.readline()
        self.port = int(line.strip().rsplit(":", 1)[1])

    def faults(self, on):
        self.process.send_signal(signal.SIGUSR2 if on else signal.SIGUSR1)

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        out = self.process.communicate(timeout=30)[0]
        line = next((l for l in out.splitlines() if l.startswith("faults:")), "")
        return {k: int(v) for k, v in (pair.split("=") for pair in line[len("faults:"):].split())}


def scanner(store, skus, seed, rate, stop, acked, lock, errors):
    """One store's tills: about `rate` scans per second, Poisson arrivals."""
    rng = random.Random(seed)
    n = 0
    while not stop.is_set():
        time.sleep(rng.expovariate(rate))
        n += 1
        scan_id = f"{store.name}-{n}"
        reason = rng.choice(["sale"] * 6 + ["receive", "return", "damage"])
        body = {"id": scan_id, "code": rng.choice(skus), "qty": rng.randint(1, 3), "reason": reason,
                "device": "till-1"}
        try:
            status, answer = store.call("POST", "/v1/scans", body, role="scanner", timeout=5)
        except OSError:
            continue  # the store is being restarted; a till would retry later with a new scan
        if status == 201:
            with lock:
                acked[scan_id] = answer["op"]
        elif status >= 500:
            with lock:
                errors.append((store.name, status, answer))


def all_ops(node, origin):
    ops, cursor = {}, 0
    while True:
        _, page = node.call("GET", f"/v1/ops?limit=1000&origin={origin}&cursor={cursor}", timeout=60)
        for op in page.get("items", []):
            ops.setdefault(op["id"], 0)
            ops[op["id"]] += 1
        if not page.get("next_cursor"):
            return ops
        cursor = int(page["next_cursor"])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default=os.path.join(ROOT, ".build/release/stockroom"))
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--stores", type=int, default=20)
    parser.add_argument("--scans-per-second", type=float, default=2.0, help="per store")
    parser.add_argument("--fault-rate", type=float, default=0.2, help="share of link connections with a fault")
    parser.add_argument("--restart-every", type=float, default=60, help="mean seconds between store kills")
    parser.add_argument("--hub-restart-every", type=float, default=600,
                        help="seconds between SIGKILL restarts of the hub (0: never)")
    parser.add_argument("--seed", type=int, default=int(os.environ.get("STOCKROOM_SEED", "1")))
    parser.add_argument("--report", default=os.path.join(ROOT, "bench/results/soak.json"))
    args = parser.parse_args()
    rng = random.Random(args.seed)
    work = tempfile.mkdtemp(prefix="stockroom-soak-")
    print(f"soak: seed {args.seed}, {args.stores} stores, {args.minutes} min, work folder {work}", flush=True)
    proxy_log = open(os.path.join(work, "proxies.log"), "ab")

    hub = Node(args.binary, work, "hub", ["--role", "hub", "--node", "hub"])
    catalogue = os.path.join(ROOT, "fixtures/catalog-10k.csv")
    hub.run("import", "catalog", catalogue, "--node", "hub")
    skus = [line.split(",")[0] for line in open(catalogue).read().splitlines()[1:]][:2000]
    hub.start()
    stores, proxies = [], []
    for index in range(args.stores):
        name = f"store-{index + 1:02d}"
        token = hub.run("token", "create", "--role", "peer", "--node", name).stdout.strip().splitlines()[-1]
        proxy = Proxy(hub.port, args.seed * 100 + index, args.fault_rate, proxy_log)
        store = Node(args.binary, work, name,
                     ["--node", name, "--hub", f"http://127.0.0.1:{proxy.port}", "--hub-token", token])
        store.start()
        stores.append(store)
        proxies.append(proxy)
    # A quarter of the stores are never restarted: their memory and descriptors over the
    # whole run are the growth figures.
    steady = stores[: max(1, args.stores // 4)]
    print("soak: waiting for every store to have the catalogue", flush=True)
    deadline = time.time() + 300
    while time.time() < deadline:
        if all(s.call("GET", "/v1/status")[1].get("items") == 10000 for s in stores):
            break
        time.sleep(2)

    stop, lock = threading.Event(), threading.Lock()
    acked, errors = {}, []
    threads = [threading.Thread(target=scanner, daemon=True,
                                args=(s, skus, args.seed * 1000 + i, args.scans_per_second, stop, acked, lock, errors))
               for i, s in enumerate(stores)]
    for thread in threads:
        thread.start()

    samples = []  # (minute, name, lifetime, rss, fds, sqlite heap); lifetime counts the node's restarts
    lifetimes = {"hub": [0.0]}  # minute at which each hub process started
    start = time.time()
    end = start + args.minutes * 60
    next_sample, next_kill = start, start + rng.expovariate(1 / args.restart_every)
    next_hub_kill = start + args.hub_restart_every if args.hub_restart_every > 0 else float("inf")
    kills, hub_kills = 0, 0
    while time.time() < end:
        now = time.time()
        if now >= next_hub_kill and end - now > 120:
            # The hub dies like a store does; stores keep scanning offline and catch up.
            hub.kill()
            time.sleep(rng.uniform(0.5, 5))
            hub.start()
            hub.restarts += 1
            hub_kills += 1
            lifetimes["hub"].append((time.time() - start) / 60)
            next_hub_kill = time.time() + args.hub_restart_every
            print(f"soak: hub restarted (lifetime {hub.restarts + 1})", flush=True)
        if now >= next_sample:
            for node in [hub] + steady:
                rss, fds, sqlite = node.sample()
                samples.append(((now - start) / 60, node.name, node.restarts, rss, fds, sqlite))
            next_sample = now + 30
            minute = (now - start) / 60
            print(f"soak: {minute:5.1f} min, {len(acked)} scans acknowledged, {kills} kills, "
                  f"hub {samples[-1 - len(steady)][3]:.1f} MB (SQLite {samples[-1 - len(steady)][5] or 0:.1f}), "
                  f"{samples[-1 - len(steady)][4]} fds", flush=True)
        if now >= next_kill:
            victim = rng.choice(stores[len(steady):] or stores)
            victim.kill()
            time.sleep(rng.uniform(0.5, 5))
            victim.start()
            victim.restarts += 1
            kills += 1
            next_kill = time.time() + rng.expovariate(1 / args.restart_every)
        time.sleep(0.5)

    stop.set()
    for thread in threads:
        thread.join(10)
    print(f"soak: load stopped; {len(acked)} scans acknowledged; faults off, waiting for convergence", flush=True)
    for proxy in proxies:
        proxy.faults(False)
    converge_start = time.time()
    converged = False
    while time.time() < converge_start + 600:
        for store in stores:
            try:
                store.call("POST", "/v1/sync", timeout=30)
            except OSError:
                pass
        _, status = hub.call("GET", "/v1/sync/status")
        coverage = {c["origin"]: c["seq"] for c in status.get("coverage", [])}
        own = {s.name: s.call("GET", "/v1/status")[1]["version_vector"].get(s.name, 0) for s in stores}
        if all(coverage.get(name, 0) == seq for name, seq in own.items()):
            converged = True
            break
        time.sleep(2)
    converge_seconds = time.time() - converge_start

    # No loss, no duplicates: every acknowledged op is at the hub exactly once, and each
    # store's stock equals the hub's view of that store's location.
    missing, duplicated, disagreeing = 0, 0, 0
    for store in stores:
        ops = all_ops(hub, store.name)
        duplicated += sum(1 for count in ops.values() if count > 1)
        missing += sum(1 for scan_id, op in acked.items() if scan_id.startswith(store.name + "-") and op not in ops)
        for sku in rng.sample(skus, 50):
            mine = store.call("GET", f"/v1/stock/{sku}")[1].get("quantity")
            theirs = hub.call("GET", f"/v1/stock/{sku}?location={store.name}")[1].get("quantity")
            disagreeing += mine != theirs
    injected = {}
    for proxy in proxies:
        for kind, count in proxy.stop().items():
            injected[kind] = injected.get(kind, 0) + count

    def growth(name, lifetime=0, began=0.0):
        """Growth over one process lifetime, from a settled sample (warm-up excluded) to its last."""
        mine = [s for s in samples if s[1] == name and s[2] == lifetime]
        if not mine:
            return None
        settled = [s for s in mine if s[0] >= began + min(5, args.minutes / 3)] or mine
        first_sqlite, last_sqlite = settled[0][5], mine[-1][5]
        return {"from_minute": round(settled[0][0], 1), "to_minute": round(mine[-1][0], 1),
                "rss_mb_first": round(settled[0][3], 1), "rss_mb_last": round(mine[-1][3], 1),
                "sqlite_mb_first": first_sqlite and round(first_sqlite, 1),
                "sqlite_mb_last": last_sqlite and round(last_sqlite, 1),
                "rss_mb_growth_beside_sqlite": None if first_sqlite is None or last_sqlite is None else
                round((mine[-1][3] - last_sqlite) - (settled[0][3] - first_sqlite), 1),
                "rss_mb_max": round(max(s[3] for s in mine), 1), "fds_first": settled[0][4], "fds_last": mine[-1][4],
                "fds_max": max(s[4] for s in mine)}

    report = {
        "seed": args.seed, "minutes": args.minutes, "stores": args.stores, "scans_acknowledged": len(acked),
        "store_kills": kills, "hub_kills": hub_kills, "faults_injected": injected, "server_errors": len(errors),
        "converged": converged, "convergence_seconds": round(converge_seconds, 1),
        "missing": missing, "duplicated": duplicated, "stock_disagreements": disagreeing,
        "hub_lifetimes": [g for g in (growth("hub", i, began) for i, began in enumerate(lifetimes["hub"])) if g],
        "steady_stores_median_rss_growth_mb": round(statistics.median(
            growth(s.name)["rss_mb_last"] - growth(s.name)["rss_mb_first"] for s in steady), 1),
        "steady_stores_max_fd_growth": max(growth(s.name)["fds_last"] - growth(s.name)["fds_first"] for s in steady),
    }
    for node in [hub] + stores:
        node.kill(signal.SIGTERM)
    os.makedirs(os.path.dirname(args.report), exist_ok=True)
    json.dump(report, open(args.report, "w"), indent=2)
    print(json.dumps(report, indent=2))
    ok = converged and missing == 0 and duplicated == 0 and disagreeing == 0 and not errors
    print("soak: " + ("PASS" if ok else f"FAIL (server errors: {errors[:5]})") + f"; logs in {work}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
