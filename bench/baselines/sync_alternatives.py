#!/usr/bin/env python3
"""Bytes per op on the wire for the sync alternatives, on the same stream of sales that
Stockroom's figure uses (exported by `stockroom-bench sync-size`).

    sync_alternatives.py STREAM.jsonl STREAM.tsv SESSION_CHANGESET_BIN OUT.json

- JSON lines + gzip, in batches of 1,000 ops: the op log sent the obvious way.
- pycrdt (Yjs): a Map of cell -> quantity, every cell present before the window; the
  delta is `get_update(state_vector_before)`, one for the whole window (its best case).
  A state delta: it carries the last quantity per cell, not who sold what or when.
- SQLite session extension: the changeset of the stock table (a state delta), and of the
  stock and op tables together (the log as rows). Both gzip-compressed, like the others.
"""
import gzip
import json
import subprocess
import sys
import tempfile


def main():
    jsonl, tsv, session_bin, out = sys.argv[1:5]
    lines = open(jsonl, "rb").read().splitlines()
    ops = len(lines)
    result = {"ops": ops}

    total = 0
    for start in range(0, ops, 1000):
        total += len(gzip.compress(b"\n".join(lines[start:start + 1000]) + b"\n", compresslevel=6))
    result["jsonl_gzip_bytes"] = total
    result["jsonl_gzip_bytes_per_op"] = total / ops
    result["jsonl_raw_bytes_per_op"] = sum(len(line) + 1 for line in lines) / ops

    import pycrdt
    doc = pycrdt.Doc()
    stock = doc.get("stock", type=pycrdt.Map)
    cells = []
    for line in open(tsv):
        sku, location, delta = line.split("\t")[:3]
        cells.append((f"{sku}@{location}", int(delta)))
    with doc.transaction():
        for key in {key for key, _ in cells}:
            stock[key] = 100
    before = doc.get_state()
    for start in range(0, ops, 1000):
        with doc.transaction():
            for key, delta in cells[start:start + 1000]:
                stock[key] = stock[key] + delta
    update = doc.get_update(before)
    result["crdt_library"] = f"pycrdt {pycrdt.__version__}" if hasattr(pycrdt, "__version__") else "pycrdt"
    result["crdt_delta_raw_bytes_per_op"] = len(update) / ops
    result["crdt_delta_gzip_bytes_per_op"] = len(gzip.compress(update)) / ops

    for variant, args in (("session_state", []), ("session_with_log", ["with-log"])):
        with tempfile.NamedTemporaryFile() as changeset:
            subprocess.run([session_bin, tsv, changeset.name, *args], check=True, stdout=subprocess.DEVNULL)
            blob = open(changeset.name, "rb").read()
        result[f"{variant}_raw_bytes_per_op"] = len(blob) / ops
        result[f"{variant}_gzip_bytes_per_op"] = len(gzip.compress(blob)) / ops

    json.dump(result, open(out, "w"), indent=2, sort_keys=True)
    print(json.dumps(result, indent=2, sort_keys=True))


if __name__ == "__main__":
    main()
