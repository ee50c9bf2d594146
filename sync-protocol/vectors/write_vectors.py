#!/usr/bin/env python3
"""Writes the test vectors of sync-protocol/README.md.

Each case is written by hand here: the input ops and the state the rules say they give.
Nothing is computed by Stockroom's code; that is the point of a vector. The test suite
(StockroomCoreTests/VectorTests, StockroomStoreTests/StoreVectorTests) replays every case
in several interleavings (each origin's ops stay in seq order) and compares.

ops.json: a list of ops. `id` is "origin:seq", `hlc` is milliseconds (and optional
`logical`), `kind` is delta | count | item_create | item_update | item_delete.
expected.json: `stock` maps "sku@location" to its quantity, `items` maps sku to the
registers assigned ({field: value}, alive as 1/0), `concurrent_counts` lists
[winner, loser] pairs, `negative` lists the cells with an open oversell.
"""
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))

def d(id, hlc, sku, loc, qty, reason="sale"):
    return {"id": id, "hlc": hlc, "kind": "delta", "sku": sku, "location": loc, "quantity": qty, "reason": reason}

def c(id, hlc, sku, loc, counted, context):
    return {"id": id, "hlc": hlc, "kind": "count", "sku": sku, "location": loc, "counted": counted, "context": context}

def create(id, hlc, sku, **fields):
    full = {"name": "", "description": "", "category": "", "price": None, "barcodes": [], "threshold": None}
    full.update(fields)
    return {"id": id, "hlc": hlc, "kind": "item_create", "sku": sku, "fields": full}

def update(id, hlc, sku, **fields):
    return {"id": id, "hlc": hlc, "kind": "item_update", "sku": sku, "fields": fields}

def delete(id, hlc, sku):
    return {"id": id, "hlc": hlc, "kind": "item_delete", "sku": sku}

def item(alive=1, **fields):
    full = {"alive": alive, "name": "", "description": "", "category": "", "price": None, "barcodes": [], "threshold": None}
    full.update(fields)
    return full

CASES = {
    # S1: deltas commute.
    "deltas/single-sale": ([d("s:1", 10, "A", "s", -1)], {"stock": {"A@s": -1}, "negative": ["A@s"]}),
    "deltas/receive-then-sales": (
        [d("s:1", 10, "A", "s", 10, "receive"), d("s:2", 11, "A", "s", -3), d("s:3", 12, "A", "s", -2)],
        {"stock": {"A@s": 5}}),
    "deltas/two-origins-commute": (
        [d("s:1", 10, "A", "s", 5, "receive"), d("h:1", 9, "A", "s", -2), d("s:2", 20, "A", "s", -1), d("h:2", 30, "A", "s", 4, "return")],
        {"stock": {"A@s": 6}}),
    "deltas/locations-are-separate": (
        [d("s:1", 10, "A", "s", 3, "receive"), d("s:2", 11, "A", "s/backroom", 7, "receive"), d("t:1", 12, "A", "t", -1)],
        {"stock": {"A@s": 3, "A@s/backroom": 7, "A@t": -1}, "negative": ["A@t"]}),
    "deltas/adjust-and-damage": (
        [d("s:1", 10, "A", "s", 20, "receive"), d("s:2", 11, "A", "s", -4, "adjust"), d("s:3", 12, "A", "s", -1, "damage")],
        {"stock": {"A@s": 15}}),
    # S2: a count is absolute as of its cut; deltas outside apply on top.
    "counts/count-replaces-seen-deltas": (
        [d("s:1", 10, "A", "s", 100, "receive"), d("s:2", 11, "A", "s", -3), c("s:3", 20, "A", "s", 90, {"s": 2})],
        {"stock": {"A@s": 90}}),
    "counts/design-example-88": (
        [d("s:1", 10, "A", "s", 100, "receive"), c("s:2", 20, "A", "s", 90, {"s": 1}), d("h:1", 15, "A", "s", -2)],
        {"stock": {"A@s": 88}}),
    "counts/later-deltas-apply-on-top": (
        [c("s:1", 10, "A", "s", 12, {}), d("s:2", 11, "A", "s", -1), d("s:3", 12, "A", "s", -1)],
        {"stock": {"A@s": 10}}),
    "counts/late-arriving-delta-inside-cut": (
        [d("h:1", 5, "A", "s", -4), d("h:2", 6, "A", "s", -1), c("s:1", 20, "A", "s", 30, {"h": 2})],
        {"stock": {"A@s": 30}}),
    "counts/count-to-zero": (
        [d("s:1", 10, "A", "s", 5, "receive"), c("s:2", 11, "A", "s", 0, {"s": 1})],
        {"stock": {"A@s": 0}}),
    "counts/recount-after-seeing-first": (
        [c("s:1", 10, "A", "s", 50, {}), d("s:2", 11, "A", "s", -5), c("h:1", 30, "A", "s", 40, {"s": 2})],
        {"stock": {"A@s": 40}}),
    # S3: concurrent counts: highest (hlc, origin) wins, the pair is a conflict.
    "counts/concurrent-highest-stamp-wins": (
        [c("s:1", 10, "A", "s", 7, {}), c("h:1", 20, "A", "s", 9, {})],
        {"stock": {"A@s": 9}, "concurrent_counts": [["h:1", "s:1"]]}),
    "counts/concurrent-tie-broken-by-origin": (
        [c("a:1", 10, "A", "s", 1, {}), c("b:1", 10, "A", "s", 2, {})],
        {"stock": {"A@s": 2}, "concurrent_counts": [["b:1", "a:1"]]}),
    "counts/causality-beats-clock": (
        [c("h:1", 9000, "A", "s", 50, {}), c("s:1", 1000, "A", "s", 40, {"h": 1})],
        {"stock": {"A@s": 40}}),
    # The hub's count wins (later stamp) but it had seen none of the store's deltas, so
    # all of them apply on top of it: 6 + 10 - 1.
    "counts/winner-with-empty-cut-keeps-all-deltas": (
        [d("s:1", 5, "A", "s", 10, "receive"), c("s:2", 10, "A", "s", 8, {"s": 1}), c("h:1", 20, "A", "s", 6, {}), d("s:3", 30, "A", "s", -1)],
        {"stock": {"A@s": 15}, "concurrent_counts": [["h:1", "s:2"]]}),
    # S4: negative stock is flagged.
    "conflicts/oversell-between-offline-stores": (
        [d("h:1", 1, "A", "s", 1, "receive"), d("s:1", 10, "A", "s", -1), d("h:2", 11, "A", "s", -1)],
        {"stock": {"A@s": -1}, "negative": ["A@s"]}),
    "conflicts/recovered-after-receive": (
        [d("s:1", 10, "A", "s", -2), d("s:2", 11, "A", "s", 5, "receive")],
        {"stock": {"A@s": 3}}),
    # C1/C2/B1: catalogue registers and tombstones.
    "catalogue/create": (
        [create("h:1", 10, "A", name="Apple", price=120)],
        {"items": {"A": item(name="Apple", price=120)}}),
    "catalogue/lww-per-field": (
        [create("h:1", 10, "A", name="Apple", price=120), update("s:1", 20, "A", name="Green apple"), update("h:2", 15, "A", name="Old", price=99)],
        {"items": {"A": item(name="Green apple", price=99)}}),
    "catalogue/tie-on-hlc-broken-by-origin": (
        [create("a:1", 10, "A", name="from a"), update("b:1", 10, "A", name="from b")],
        {"items": {"A": item(name="from b")}}),
    "catalogue/delete-wins-over-later-update": (
        [create("h:1", 10, "A", name="Apple"), delete("h:2", 20, "A"), update("s:1", 30, "A", name="late")],
        {"items": {"A": item(alive=0, name="late")}}),
    "catalogue/create-after-delete-resurrects": (
        [create("h:1", 10, "A", name="Apple", price=100), delete("h:2", 20, "A"), create("h:3", 30, "A", name="Apple II")],
        {"items": {"A": item(name="Apple II")}}),
    "catalogue/concurrent-delete-and-older-create": (
        [delete("h:1", 50, "A"), create("s:1", 40, "A", name="x")],
        {"items": {"A": item(alive=0, name="x")}}),
    "catalogue/stock-of-deleted-item-still-counts": (
        [create("h:1", 10, "A", name="A"), d("s:1", 11, "A", "s", 4, "receive"), delete("h:2", 20, "A"), d("s:2", 21, "A", "s", -1)],
        {"items": {"A": item(alive=0, name="A")}, "stock": {"A@s": 3}}),
    "catalogue/threshold-and-barcodes": (
        [create("h:1", 10, "A", name="A", barcodes=["4006381333931"]), update("s:1", 20, "A", threshold=5, barcodes=[])],
        {"items": {"A": item(name="A", threshold=5, barcodes=[])}}),
}

for name, (ops, expected) in CASES.items():
    folder = os.path.join(HERE, name)
    os.makedirs(folder, exist_ok=True)
    full = {"stock": {}, "items": {}, "concurrent_counts": [], "negative": []}
    full.update(expected)
    with open(os.path.join(folder, "ops.json"), "w") as f:
        json.dump(ops, f, indent=1)
        f.write("\n")
    with open(os.path.join(folder, "expected.json"), "w") as f:
        json.dump(full, f, indent=1, sort_keys=True)
        f.write("\n")
print(f"wrote {len(CASES)} vectors")
