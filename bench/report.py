#!/usr/bin/env python3
"""Turns the raw lines of bench/run.sh into one table (Stockroom, baseline, ratio, target)
and bench/results/results.json; the run before is kept as results-previous.json and
shown beside, so two runs can be compared.

    report.py RAW.jsonl [--rounds N] [--seconds S]
    report.py --markdown bench/results/results.json   the table as Markdown, for the README
"""
import argparse
import datetime
import json
import os
import statistics
import subprocess


def load(path):
    runs = {}
    for line in open(path):
        row = json.loads(line)
        runs.setdefault((row["scenario"], row["system"]), []).append(row["result"])
    return runs


def spread(values):
    values = [v for v in values if v is not None]
    if not values:
        return None
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "n": len(values)}


def rate(run):
    return run["requests"] * run.get("scans_per_request", 1) / (run["duration_us"] / 1e6)


def fmt(value, unit):
    if value is None:
        return "-"
    if unit in ("scans/s", "ops/s"):
        return f"{value:,.0f}"
    return f"{value:.2f}" if value < 100 else f"{value:,.0f}"


def cells(r, missed="MISSED"):
    """One row's printable cells: Stockroom's median (min-max), the baseline's median,
    the ratio, the targets and the verdict."""
    s, unit = r["stockroom"], r["unit"]
    ours = fmt(s["median"], unit)
    if s["n"] > 1:
        ours += f" ({fmt(s['min'], unit)}-{fmt(s['max'], unit)})"
    base = fmt(r["baseline_figure"]["median"], unit) if r["baseline_figure"] else ""
    ratio = f"{r['ratio']:.2f}" if r["ratio"] is not None else ""
    sign = "<=" if r["better"] == "lower" else ">="
    targets = []
    if r["target"] is not None:
        targets.append(f"{sign} {fmt(r['target'], unit)}")
    if r["ratio_target"] is not None:
        targets.append(f"ratio {sign} {r['ratio_target']}")
    verdict = {True: "met", False: missed, None: ""}[r["met"]]
    return ours, base, ratio, ", ".join(targets), verdict


def markdown(path):
    result = json.load(open(path))
    print("| scenario | unit | Stockroom | baseline | baseline figure | ratio | target | |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for r in result["rows"]:
        ours, base, ratio, targets, verdict = cells(r, missed="**missed**")
        note = f" ({r['note']})" if r["note"] else ""
        print(f"| {r['name']} | {r['unit']} | **{ours}** | {r['baseline']}{note} | {base} | {ratio} | "
              f"{targets} | {verdict} |")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("raw", nargs="?")
    parser.add_argument("--markdown", metavar="RESULTS_JSON")
    parser.add_argument("--rounds", type=int, default=0)
    parser.add_argument("--seconds", type=int, default=0)
    parser.add_argument("--results", default="bench/results")
    args = parser.parse_args()
    if args.markdown:
        return markdown(args.markdown)
    runs = load(args.raw)

    def figure(scenario, system, key):
        found = runs.get((scenario, system))
        if not found:
            return None
        return spread([key(run) for run in found])

    rows = []

    def row(name, unit, ours, base=None, base_name="", target=None, better="lower", ratio_target=None, note=""):
        if ours is None:
            return
        ratio = ours["median"] / base["median"] if base and base["median"] else None
        ok = None
        if target is not None:
            ok = ours["median"] <= target if better == "lower" else ours["median"] >= target
        ratio_ok = None
        if ratio_target is not None and ratio is not None:
            ratio_ok = ratio <= ratio_target if better == "lower" else ratio >= ratio_target
        rows.append({
            "name": name, "unit": unit, "stockroom": ours, "baseline": base_name, "baseline_figure": base,
            "ratio": ratio, "target": target, "ratio_target": ratio_target, "better": better,
            "met": None if ok is None and ratio_ok is None else all(x is not False for x in (ok, ratio_ok)),
            "note": note,
        })

    p50 = lambda run: run["p50_us"] / 1000
    p99 = lambda run: run["p99_us"] / 1000
    for base, label in (("postgres", "PostgreSQL 1 client"), ("sqlite_c", "C SQLite floor"), ("nginx", "nginx 1 conn")):
        row("1 scanner p50", "ms", figure("single", "stockroom", p50), figure("single", base, p50), label)
    row("1 scanner p99", "ms", figure("single", "stockroom", p99), figure("single", "postgres", p99),
        "PostgreSQL 1 client", target=1.0, ratio_target=2.0)
    row("1 scanner p99", "ms", figure("single", "stockroom", p99), figure("single", "sqlite_c", p99), "C SQLite floor")
    row("1 scanner p99", "ms", figure("single", "stockroom", p99), figure("single", "nginx", p99), "nginx 1 conn")
    row("64 scanners", "scans/s", figure("c64", "stockroom", rate), figure("c64", "postgres", rate),
        "PostgreSQL 64 clients", target=25000, better="higher", ratio_target=2.0)
    row("64 scanners", "scans/s", figure("c64", "stockroom", rate), figure("c64", "nginx", rate),
        "nginx 64 conns (HTTP ceiling)", better="higher")
    row("64 scanners p99", "ms", figure("c64", "stockroom", p99), figure("c64", "postgres", p99),
        "PostgreSQL 64 clients", target=10.0)
    row("batches of 100", "scans/s", figure("batch", "stockroom", rate), figure("c64", "postgres", rate),
        "PostgreSQL 64 clients", target=100000, better="higher")

    row("order of 5 lines p99", "ms", figure("order5", "stockroom", p99), figure("order_scan", "stockroom", p99),
        "1 scanner, same node, same run", target=2.0)
    row("order of 5 lines p50", "ms", figure("order5", "stockroom", p50), figure("order_scan", "stockroom", p50),
        "1 scanner, same node, same run")

    size = runs.get(("sync_size", "stockroom"), [None])[0]
    alt = runs.get(("sync_size", "alternatives"), [None])[0]
    if size and alt:
        ours = spread([size["bytes_per_op_batches_of_1000"]])
        row("sync size, batches of 1,000", "bytes/op", ours, spread([alt["jsonl_gzip_bytes_per_op"]]),
            "JSON lines + gzip, batches of 1,000", ratio_target=0.5)
        row("sync size, batches of 5,000 (protocol)", "bytes/op", spread([size["bytes_per_op_protocol_batches"]]),
            spread([alt["jsonl_gzip_bytes_per_op"]]), "JSON lines + gzip, batches of 1,000")
        row("sync size, batches of 1,000", "bytes/op", ours, spread([alt["crdt_delta_gzip_bytes_per_op"]]),
            alt.get("crdt_library", "pycrdt") + " delta, gzip", note="state delta: no who, when or why")
        row("sync size, batches of 1,000", "bytes/op", ours, spread([alt["session_state_gzip_bytes_per_op"]]),
            "SQLite session changeset (stock), gzip", note="state delta: no who, when or why")
        row("sync size, batches of 1,000", "bytes/op", ours, spread([alt["session_with_log_gzip_bytes_per_op"]]),
            "SQLite session changeset (stock + op rows), gzip", note="carries the log, like Stockroom")

    row("hub apply, 10 stores", "ops/s", figure("apply", "stockroom", lambda r: r["ops_per_s_median"]),
        figure("apply", "sqlite_c", lambda r: r["ops_per_s"]), "C SQLite floor, batches of 5,000",
        target=100000, better="higher", ratio_target=0.6)
    row("hub apply, 90% sales + documents", "ops/s",
        figure("apply_mix", "stockroom", lambda r: r["ops_per_s_median"]),
        figure("apply", "stockroom", lambda r: r["ops_per_s_median"]), "sale-only, same run", better="higher",
        ratio_target=0.9)
    mix = runs.get(("catchup_mix", "stockroom"), [None])[0]
    catchup = runs.get(("catchup", "stockroom"), [None])[0]
    if catchup:
        row("catch-up, 350,000 ops", "s", spread(catchup["seconds"]),
            figure("catchup", "sqlite_c", lambda r: r["ops"] / r["ops_per_s"]),
            "C SQLite floor: 350,000 ops into one database", target=5.0)
        row("catch-up peak RSS (store)", "MB", spread(catchup["store_peak_rss_mb"]), target=150.0)
        if mix:
            row("catch-up, 90% sales + documents", "s", spread(mix["seconds"]), spread(catchup["seconds"]),
                "sale-only, same run", ratio_target=1.1)
    # Issue #16: the hub on PostgreSQL against the COPY floor and the SQLite hub, same run.
    copy_floor = figure("apply_pg", "postgres_copy", lambda r: r["ops_per_s"])
    for system, label in (("stockroom_pg1", "1 process"), ("stockroom_pg2", "2 processes")):
        row(f"hub apply on PostgreSQL, {label}", "ops/s",
            figure("apply_pg", system, lambda r: r["ops_per_s_median"]), copy_floor,
            "PostgreSQL COPY, transactions of 5,000", better="higher", ratio_target=0.8)
    row("hub apply on PostgreSQL, 1 process", "ops/s", figure("apply_pg", "stockroom_pg1", lambda r: r["ops_per_s_median"]),
        figure("apply_pg", "stockroom_sqlite", lambda r: r["ops_per_s_median"]), "the SQLite hub, same run",
        better="higher")
    pg_catchup = runs.get(("catchup_pg", "stockroom_pg"), [None])[0]
    sqlite_catchup = runs.get(("catchup_pg", "stockroom_sqlite"), [None])[0]
    if pg_catchup:
        row("catch-up through a PostgreSQL hub, 350,000 ops", "s", spread(pg_catchup["seconds"]),
            spread(sqlite_catchup["seconds"]) if sqlite_catchup else None, "the SQLite hub, same run", target=5.0)
    boot = runs.get(("bootstrap", "stockroom"), [None])[0]
    if boot:
        note = f"{boot['hub_ops']:,} ops at the hub; the store then holds {boot['snapshot']['store_ops']:,} vs {boot['full']['store_ops']:,}"
        row("wiped store back to taking writes, snapshot", "s", spread(boot["snapshot"]["seconds"]),
            spread(boot["full"]["seconds"]), "every op, same run", note=note)
        if "snapshot_0_days" in boot:
            row("the same, snapshot_history_days 0", "s", spread(boot["snapshot_0_days"]["seconds"]),
                spread(boot["full"]["seconds"]), "every op, same run",
                note=f"the store then holds {boot['snapshot_0_days']['store_ops']:,} ops")
    for label, key, target in (("10,000", "stockroom_10k", 2.0), ("1,000,000", "stockroom_1m", 30.0)):
        items = runs.get(("bootstrap_items", key), [None])[0]
        if items:
            snap = items["snapshot"]
            row(f"blank store with {label} items, snapshot", "s", spread(snap["seconds"]), target=target,
                note=f"store peak RSS {snap['store_peak_rss_mb']:.0f} MB (target < 200 MB at 1,000,000); "
                     f"{items['hub_ops']:,} ops at the hub")
    chain = runs.get(("chain", "stockroom_pg"), [None])[0]
    if chain:
        note = f"{chain['stores']} stores, {chain['processes']} hub processes, converged: {chain['converged']}"
        row("chain: sync lag p50", "s", spread([chain["lag_p50_s"]]), note=note)
        row("chain: sync lag p99", "s", spread([chain["lag_p99_s"]]), note=note)
        row("chain: sync lag max", "s", spread([chain["lag_max_s"]]), note=note)
        row("chain: hub CPU per op", "µs", spread([chain["hub_cpu_us_per_op"]]), note=note)
        row("chain: database per million ops", "MB", spread([chain["database_mb_per_million_ops"]]), note=note)
    row("idle RSS, 10,000 items", "MB", figure("memory", "stockroom", lambda r: r.get("idle_rss_kb", 0) / 1024),
        target=40.0)
    row("idle RSS, 1,000,000 items", "MB", figure("memory", "stockroom_1m", lambda r: r["idle_rss_kb"] / 1024))
    row("import of 1,000,000 items", "s", figure("import", "stockroom", lambda r: r["milliseconds"] / 1000),
        note="once, then cached in bench/.cache")
    row("1M items: 1 scanner p50", "ms", figure("scale_1m", "stockroom", p50), figure("scale_10k", "stockroom", p50),
        "same, 10,000 items", ratio_target=1.25)
    row("1M items: 1 scanner p99", "ms", figure("scale_1m", "stockroom", p99), figure("scale_10k", "stockroom", p99),
        "same, 10,000 items", ratio_target=1.25)

    os.makedirs(args.results, exist_ok=True)
    latest = os.path.join(args.results, "results.json")
    previous = None
    if os.path.exists(latest):
        previous = json.load(open(latest))
        os.replace(latest, os.path.join(args.results, "results-previous.json"))
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    except OSError:
        commit = ""
    result = {"when": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"), "commit": commit,
              "rounds": args.rounds, "seconds_per_run": args.seconds, "rows": rows}
    json.dump(result, open(latest, "w"), indent=2)

    before = {}
    if previous:
        for r in previous["rows"]:
            before[(r["name"], r["baseline"])] = r["stockroom"]["median"]

    print()
    print(f"Stockroom benchmarks, {result['when']}, commit {commit}, {args.rounds} rounds x {args.seconds} s; "
          "medians (min-max)")
    header = f"{'scenario':<40} {'unit':<9} {'stockroom':>22} {'baseline':<44} {'figure':>10} {'ratio':>7}  target"
    print(header)
    print("-" * len(header))
    for r in rows:
        ours, base, ratio, targets, verdict = cells(r)
        was = before.get((r["name"], r["baseline"]))
        trail = f"  (previous run {fmt(was, r['unit'])})" if was is not None else ""
        print(f"{r['name']:<40} {r['unit']:<9} {ours:>22} {r['baseline']:<44} {base:>10} {ratio:>7}  "
              f"{targets} {verdict}{trail}{'  ' + r['note'] if r['note'] else ''}")
    print(f"\nwritten to {latest}")


if __name__ == "__main__":
    main()
