#!/usr/bin/env python3
"""Writes the test vectors of sync-protocol/README.md.

Each case is written by hand here: the input ops and the state the rules say they give.
Nothing is computed by Stockroom's code; that is the point of a vector. The test suite
(StockroomCoreTests/VectorTests, StockroomStoreTests/StoreVectorTests) replays every case
in several interleavings (each origin's ops stay in seq order) and compares.

ops.json: a list of ops. `id` is "origin:seq", `hlc` is milliseconds (and optional
`logical`), `kind` is delta | count | item_create | item_update | item_delete | event | unavailable |
allowance | allowance_policy (section 10; an event's `event` is the DocumentEvent as JSON).
expected.json: `stock` maps "sku@location" to its quantity, `items` maps sku to the
registers assigned ({field: value}, alive as 1/0), `concurrent_counts` lists
[winner, loser] pairs, `negative` lists the cells with an open oversell. Section 10 adds,
for the cells and documents a case names: `states` (every quantity state at time `now`, ms),
`documents` ("kind/id" -> status and per line [quantity, done, received, second]),
`issues` ("code kind/id sku-or-- open|resolved"), `costs` ("sku@location" -> [units, total
cents] of costed PO receipts), `rights` ("sku@location" -> channel ->
granted, promised, may_promise), `policies` ("scope channel" -> [share, keep]), `suppliers` ("supplier" or "supplier/sku" ->
field -> value).
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

# Section 10: documents, quantity states and allowances. Physical effects are the delta and
# unavailable ops written beside an event, exactly as the lifecycle writes them.
def ev(id, hlc, kind, doc, action, loc, lines=(), counterpart=None, restock=False, backorder=False,
       expires=None, note=None):
    event = {"kind": kind, "document": doc, "event": "e" + id.replace(":", "-"), "action": action, "location": loc,
             "lines": [dict({"sku": l[0], "quantity": l[1], "second": l[2] if len(l) > 2 else 0},
                            **({"unit_cost": l[3]} if len(l) > 3 else {})) for l in lines],
             "restock": restock, "backorder": backorder}
    if counterpart is not None: event["counterpart"] = counterpart
    if expires is not None: event["expires_at"] = expires
    if note is not None: event["note"] = note
    return {"id": id, "hlc": hlc, "kind": "event", "event": event}

def un(id, hlc, sku, loc, qty):
    return {"id": id, "hlc": hlc, "kind": "unavailable", "sku": sku, "location": loc, "quantity": qty}

def grant(id, hlc, sku, loc, channel, qty):
    return {"id": id, "hlc": hlc, "kind": "allowance", "sku": sku, "location": loc, "channel": channel, "quantity": qty}

def policy(id, hlc, scope, channel, share, keep):
    return {"id": id, "hlc": hlc, "kind": "allowance_policy", "scope": scope, "channel": channel,
            "share_percent": share, "keep": keep}

def supplier(id, hlc, who, sku=None, **fields):
    op = {"id": id, "hlc": hlc, "kind": "supplier", "supplier": who, "fields": fields}
    if sku is not None: op["sku"] = sku
    return op

def st(on_hand=0, committed=0, held=0, unavailable=0, incoming=0, in_transit=0):
    return {"on_hand": on_hand, "committed": committed, "held": held, "unavailable": unavailable,
            "incoming": incoming, "in_transit": in_transit,
            "available": on_hand - committed - held - unavailable,
            "projected": on_hand + incoming + in_transit - committed - held}

def doc(status, **lines):
    """lines: sku -> [quantity, done, received, second]"""
    return {"status": status, "lines": lines}

COUNT10 = c("s:1", 5, "A", "s", 10, {})
PLACE3 = ev("hub:1", 10, "order", "web:1", "place", "s", [("A", 3)])

DOCUMENT_CASES = {
    # Orders (10.2, 10.4). committed = ordered - fulfilled while open.
    "orders/place-commits": (
        [COUNT10, PLACE3],
        {"states": {"A@s": st(10, committed=3)}, "documents": {"order/web:1": doc("open", A=[3, 0, 0, 0])}}),
    "orders/partial-fulfilment": (
        [COUNT10, PLACE3, d("s:2", 20, "A", "s", -2), ev("s:3", 20, "order", "web:1", "fulfil", "s", [("A", 2)])],
        {"states": {"A@s": st(8, committed=1)}, "documents": {"order/web:1": doc("partly_fulfilled", A=[3, 2, 0, 0])}}),
    "orders/full-fulfilment": (
        [COUNT10, PLACE3, d("s:2", 20, "A", "s", -3), ev("s:3", 20, "order", "web:1", "fulfil", "s", [("A", 3)])],
        {"states": {"A@s": st(7)}, "documents": {"order/web:1": doc("fulfilled", A=[3, 3, 0, 0])}}),
    "orders/cancel-releases": (
        [COUNT10, PLACE3, ev("hub:2", 20, "order", "web:1", "cancel", "s")],
        {"states": {"A@s": st(10)}, "documents": {"order/web:1": doc("cancelled", A=[3, 0, 0, 0])}}),
    # D1: the store fulfilled 2 while the hub cancelled; both stand, nothing is released twice.
    "orders/cancel-concurrent-with-fulfilment": (
        [COUNT10, PLACE3, ev("hub:2", 20, "order", "web:1", "cancel", "s"),
         d("s:2", 15, "A", "s", -2), ev("s:3", 15, "order", "web:1", "fulfil", "s", [("A", 2)])],
        {"states": {"A@s": st(8)}, "documents": {"order/web:1": doc("cancelled", A=[3, 2, 0, 0])}}),
    "orders/fulfilment-stamped-after-the-cancel-still-counts": (
        [COUNT10, PLACE3, ev("hub:2", 15, "order", "web:1", "cancel", "s"),
         d("s:2", 20, "A", "s", -2), ev("s:3", 20, "order", "web:1", "fulfil", "s", [("A", 2)])],
        {"states": {"A@s": st(8)}, "documents": {"order/web:1": doc("cancelled", A=[3, 2, 0, 0])}}),
    "orders/cancel-with-restock": (
        [COUNT10, PLACE3, d("s:2", 20, "A", "s", -3), ev("s:3", 20, "order", "web:1", "fulfil", "s", [("A", 3)]),
         d("s:4", 30, "A", "s", 3, "return"), ev("s:5", 30, "order", "web:1", "cancel", "s", restock=True)],
        {"states": {"A@s": st(10)}, "documents": {"order/web:1": doc("cancelled", A=[3, 3, 0, 0])}}),
    "orders/return-to-unavailable": (
        [COUNT10, PLACE3, d("s:2", 20, "A", "s", -3), ev("s:3", 20, "order", "web:1", "fulfil", "s", [("A", 3)]),
         d("s:4", 30, "A", "s", 1, "return"), un("s:5", 30, "A", "s", 1),
         ev("s:6", 30, "order", "web:1", "return", "s", [("A", 1)])],
        {"states": {"A@s": st(8, unavailable=1)}, "documents": {"order/web:1": doc("fulfilled", A=[3, 3, 1, 0])}}),
    "orders/partial-cancel": (
        [COUNT10, PLACE3, ev("hub:2", 20, "order", "web:1", "cancel", "s", [("A", 1)])],
        {"states": {"A@s": st(10, committed=2)}, "documents": {"order/web:1": doc("open", A=[3, 0, 0, 1])}}),
    "orders/close-the-remainder": (
        [COUNT10, PLACE3, d("s:2", 20, "A", "s", -1), ev("s:3", 20, "order", "web:1", "fulfil", "s", [("A", 1)]),
         ev("s:4", 30, "order", "web:1", "close", "s")],
        {"states": {"A@s": st(9)}, "documents": {"order/web:1": doc("closed", A=[3, 1, 0, 0])}}),
    # D4: two nodes fulfilled the same line apart; both moved stock; committed never goes negative.
    "orders/fulfilled-twice-apart": (
        [COUNT10, PLACE3, d("s:2", 20, "A", "s", -3), ev("s:3", 20, "order", "web:1", "fulfil", "s", [("A", 3)]),
         d("hub:2", 21, "A", "s", -3), ev("hub:3", 21, "order", "web:1", "fulfil", "s", [("A", 3)])],
        {"states": {"A@s": st(4)}, "documents": {"order/web:1": doc("fulfilled", A=[3, 6, 0, 0])},
         "issues": ["over_fulfilled order/web:1 A open"]}),
    # D2: opened on two nodes; the first by stamp counts.
    "orders/placed-on-two-nodes": (
        [COUNT10, PLACE3, ev("s:2", 12, "order", "web:1", "place", "s", [("A", 5)])],
        {"states": {"A@s": st(10, committed=3)}, "documents": {"order/web:1": doc("open", A=[3, 0, 0, 0])},
         "issues": ["document_reopened order/web:1 - open"]}),
    # A count includes what was on the shelf; committed units are not on_hand's business.
    "orders/count-with-committed-units": (
        [COUNT10, PLACE3, c("s:2", 30, "A", "s", 6, {"s": 1, "hub": 1})],
        {"states": {"A@s": st(6, committed=3)}}),
    "orders/count-concurrent-with-fulfilment": (
        [COUNT10, PLACE3, d("s:2", 20, "A", "s", -2), ev("s:3", 20, "order", "web:1", "fulfil", "s", [("A", 2)]),
         c("hub:2", 25, "A", "s", 9, {"s": 1, "hub": 1})],
        {"states": {"A@s": st(7, committed=1)}, "documents": {"order/web:1": doc("partly_fulfilled", A=[3, 2, 0, 0])}}),
    # Transfers: shipped units leave the source and are in transit to the destination.
    "transfers/ship-puts-units-in-transit": (
        [COUNT10, ev("s:2", 10, "transfer", "T1", "create", "s", [("A", 5)], counterpart="t"),
         d("s:3", 11, "A", "s", -5, "transfer"), ev("s:4", 11, "transfer", "T1", "ship", "s", [("A", 5)], counterpart="t")],
        {"states": {"A@s": st(5), "A@t": st(0, in_transit=5)}, "documents": {"transfer/T1": doc("shipped", A=[5, 5, 0, 0])}}),
    "transfers/draft-moves-nothing": (
        [COUNT10, ev("s:2", 10, "transfer", "T1", "create", "s", [("A", 5)], counterpart="t")],
        {"states": {"A@s": st(10), "A@t": st(0)}, "documents": {"transfer/T1": doc("draft", A=[5, 0, 0, 0])}}),
    "transfers/partial-receipt": (
        [COUNT10, ev("s:2", 10, "transfer", "T1", "create", "s", [("A", 5)], counterpart="t"),
         d("s:3", 11, "A", "s", -5, "transfer"), ev("s:4", 11, "transfer", "T1", "ship", "s", [("A", 5)], counterpart="t"),
         d("t:1", 20, "A", "t", 3, "transfer"), ev("t:2", 20, "transfer", "T1", "receive", "t", [("A", 3)], counterpart="s")],
        {"states": {"A@s": st(5), "A@t": st(3, in_transit=2)},
         "documents": {"transfer/T1": doc("partly_received", A=[5, 5, 3, 0])}}),
    "transfers/damaged-receipt-is-a-discrepancy": (
        [COUNT10, ev("s:2", 10, "transfer", "T1", "create", "s", [("A", 5)], counterpart="t"),
         d("s:3", 11, "A", "s", -5, "transfer"), ev("s:4", 11, "transfer", "T1", "ship", "s", [("A", 5)], counterpart="t"),
         d("t:1", 20, "A", "t", 5, "transfer"), un("t:2", 20, "A", "t", 1),
         ev("t:3", 20, "transfer", "T1", "receive", "t", [("A", 4, 1)], counterpart="s")],
        {"states": {"A@s": st(5), "A@t": st(5, unavailable=1)},
         "documents": {"transfer/T1": doc("received", A=[5, 5, 4, 1])},
         "issues": ["transfer_discrepancy transfer/T1 A open"]}),
    "transfers/short-and-closed": (
        [COUNT10, ev("s:2", 10, "transfer", "T1", "create", "s", [("A", 5)], counterpart="t"),
         d("s:3", 11, "A", "s", -5, "transfer"), ev("s:4", 11, "transfer", "T1", "ship", "s", [("A", 5)], counterpart="t"),
         d("t:1", 20, "A", "t", 4, "transfer"), ev("t:2", 20, "transfer", "T1", "receive", "t", [("A", 4)], counterpart="s"),
         ev("s:5", 30, "transfer", "T1", "close", "s", counterpart="t", note="last unit never left")],
        {"states": {"A@s": st(5), "A@t": st(4)}, "documents": {"transfer/T1": doc("closed", A=[5, 5, 4, 0])},
         "issues": ["transfer_discrepancy transfer/T1 A open"]}),
    "transfers/discrepancy-resolved": (
        [COUNT10, ev("s:2", 10, "transfer", "T1", "create", "s", [("A", 5)], counterpart="t"),
         d("s:3", 11, "A", "s", -5, "transfer"), ev("s:4", 11, "transfer", "T1", "ship", "s", [("A", 5)], counterpart="t"),
         d("t:1", 20, "A", "t", 4, "transfer"), ev("t:2", 20, "transfer", "T1", "receive", "t", [("A", 4)], counterpart="s"),
         ev("s:5", 30, "transfer", "T1", "close", "s", counterpart="t"),
         ev("t:3", 40, "transfer", "T1", "resolve", "t", counterpart="s", note="claim filed")],
        {"states": {"A@s": st(5), "A@t": st(4)}, "documents": {"transfer/T1": doc("closed", A=[5, 5, 4, 0])},
         "issues": ["transfer_discrepancy transfer/T1 A resolved"]}),
    "transfers/over-receipt": (
        [COUNT10, ev("s:2", 10, "transfer", "T1", "create", "s", [("A", 2)], counterpart="t"),
         d("s:3", 11, "A", "s", -2, "transfer"), ev("s:4", 11, "transfer", "T1", "ship", "s", [("A", 2)], counterpart="t"),
         d("t:1", 20, "A", "t", 3, "transfer"), ev("t:2", 20, "transfer", "T1", "receive", "t", [("A", 3)], counterpart="s")],
        {"states": {"A@s": st(8), "A@t": st(3)}, "documents": {"transfer/T1": doc("received", A=[2, 2, 3, 0])},
         "issues": ["transfer_discrepancy transfer/T1 A open"]}),
    "transfers/cancelled-draft": (
        [COUNT10, ev("s:2", 10, "transfer", "T1", "create", "s", [("A", 5)], counterpart="t"),
         ev("s:3", 12, "transfer", "T1", "cancel", "s", counterpart="t")],
        {"states": {"A@s": st(10), "A@t": st(0)}, "documents": {"transfer/T1": doc("cancelled", A=[5, 0, 0, 0])}}),
    # Purchase orders: incoming once sent, down as received or rejected, gone when closed.
    "purchase-orders/draft-expects-nothing": (
        [ev("s:1", 10, "purchase_order", "PO1", "create", "s", [("A", 10)], counterpart="acme")],
        {"states": {"A@s": st(0)}, "documents": {"purchase_order/PO1": doc("draft", A=[10, 0, 0, 0])}}),
    "purchase-orders/sent-raises-incoming": (
        [ev("s:1", 10, "purchase_order", "PO1", "create", "s", [("A", 10)], counterpart="acme"),
         ev("s:2", 11, "purchase_order", "PO1", "send", "s")],
        {"states": {"A@s": st(0, incoming=10)}, "documents": {"purchase_order/PO1": doc("sent", A=[10, 0, 0, 0])}}),
    "purchase-orders/partial-receipt-with-rejects": (
        [ev("s:1", 10, "purchase_order", "PO1", "create", "s", [("A", 10)], counterpart="acme"),
         ev("s:2", 11, "purchase_order", "PO1", "send", "s"),
         d("s:3", 20, "A", "s", 6, "receive"), ev("s:4", 20, "purchase_order", "PO1", "receive", "s", [("A", 6, 1)])],
        {"states": {"A@s": st(6, incoming=3)},
         "documents": {"purchase_order/PO1": doc("partly_received", A=[10, 6, 0, 1])}}),
    # 10.7: the average over every costed receipt, whatever order they arrive in.
    "purchase-orders/average-cost": (
        [ev("s:1", 10, "purchase_order", "PO1", "create", "s", [("A", 10, 0, 120)], counterpart="acme"),
         ev("s:2", 11, "purchase_order", "PO1", "send", "s"),
         d("s:3", 20, "A", "s", 4, "receive"), ev("s:4", 20, "purchase_order", "PO1", "receive", "s", [("A", 4, 0, 120)]),
         d("s:5", 30, "A", "s", 6, "receive"), ev("s:6", 30, "purchase_order", "PO1", "receive", "s", [("A", 6, 0, 150)])],
        {"states": {"A@s": st(10)}, "costs": {"A@s": [10, 1380]},
         "documents": {"purchase_order/PO1": doc("received", A=[10, 10, 0, 0])}}),
    "purchase-orders/close-releases-the-rest": (
        [ev("s:1", 10, "purchase_order", "PO1", "create", "s", [("A", 10)], counterpart="acme"),
         ev("s:2", 11, "purchase_order", "PO1", "send", "s"),
         d("s:3", 20, "A", "s", 6, "receive"), ev("s:4", 20, "purchase_order", "PO1", "receive", "s", [("A", 6)]),
         ev("hub:1", 30, "purchase_order", "PO1", "close", "s")],
        {"states": {"A@s": st(6)}, "documents": {"purchase_order/PO1": doc("closed", A=[10, 6, 0, 0])}}),
    "purchase-orders/receipt-concurrent-with-close": (
        [ev("s:1", 10, "purchase_order", "PO1", "create", "s", [("A", 10)], counterpart="acme"),
         ev("s:2", 11, "purchase_order", "PO1", "send", "s"),
         ev("hub:1", 15, "purchase_order", "PO1", "close", "s"),
         d("s:3", 20, "A", "s", 4, "receive"), ev("s:4", 20, "purchase_order", "PO1", "receive", "s", [("A", 4)])],
        {"states": {"A@s": st(4)}, "documents": {"purchase_order/PO1": doc("closed", A=[10, 4, 0, 0])}}),
    # Holds: held until collected, released or expired; the expiry is in the op.
    "holds/held-until-expiry": (
        [COUNT10, ev("s:2", 10, "hold", "H1", "place", "s", [("A", 2)], expires=1000)],
        {"now": 500, "states": {"A@s": st(10, held=2)}, "documents": {"hold/H1": doc("active", A=[2, 0, 0, 0])}}),
    "holds/expired-holds-nothing": (
        [COUNT10, ev("s:2", 10, "hold", "H1", "place", "s", [("A", 2)], expires=1000)],
        {"now": 1000, "states": {"A@s": st(10)}}),
    "holds/collected": (
        [COUNT10, ev("s:2", 10, "hold", "H1", "place", "s", [("A", 2)], expires=1000),
         d("s:3", 20, "A", "s", -2), ev("s:4", 20, "hold", "H1", "collect", "s", [("A", 2)])],
        {"now": 500, "states": {"A@s": st(8)}, "documents": {"hold/H1": doc("collected", A=[2, 2, 0, 0])}}),
    "holds/released": (
        [COUNT10, ev("s:2", 10, "hold", "H1", "place", "s", [("A", 2)], expires=1000),
         ev("s:3", 20, "hold", "H1", "release", "s")],
        {"now": 500, "states": {"A@s": st(10)}, "documents": {"hold/H1": doc("released", A=[2, 0, 0, 0])}}),
    # Allowances (10.6): rights granted by the owner, used by the channel's promises.
    "allowances/grant-and-promise": (
        [COUNT10, grant("s:2", 8, "A", "s", "hub", 4), PLACE3],
        {"states": {"A@s": st(10, committed=3)},
         "rights": {"A@s": {"hub": {"granted": 4, "promised": 3, "may_promise": 1}, "s": {"may_promise": 6}}}}),
    "allowances/return": (
        [COUNT10, grant("s:2", 8, "A", "s", "hub", 4), grant("hub:1", 12, "A", "s", "hub", -3)],
        {"states": {"A@s": st(10)}, "rights": {"A@s": {"hub": {"granted": 1, "promised": 0, "may_promise": 1}, "s": {"may_promise": 9}}}}),
    "allowances/cancel-gives-rights-back": (
        [COUNT10, grant("s:2", 8, "A", "s", "hub", 4), PLACE3, ev("hub:2", 20, "order", "web:1", "cancel", "s")],
        {"states": {"A@s": st(10)}, "rights": {"A@s": {"hub": {"granted": 4, "promised": 0, "may_promise": 4}, "s": {"may_promise": 6}}}}),
    "allowances/fulfilled-units-stay-used": (
        [COUNT10, grant("s:2", 8, "A", "s", "hub", 4), PLACE3,
         d("s:3", 20, "A", "s", -3), ev("s:4", 20, "order", "web:1", "fulfil", "s", [("A", 3)])],
        {"states": {"A@s": st(7)},
         "rights": {"A@s": {"hub": {"granted": 4, "promised": 3, "may_promise": 1}, "s": {"may_promise": 6}}}}),
    "allowances/backorder-uses-no-rights": (
        [COUNT10, ev("hub:1", 10, "order", "web:1", "place", "s", [("A", 3)], backorder=True)],
        {"states": {"A@s": st(10, committed=3)},
         "rights": {"A@s": {"s": {"may_promise": 7}}}}),
    "allowances/an-expired-hold-gives-rights-back": (
        [COUNT10, grant("s:2", 8, "A", "s", "hub", 4),
         ev("hub:1", 10, "hold", "H1", "place", "s", [("A", 2)], expires=1000)],
        {"now": 2000, "states": {"A@s": st(10)}, "rights": {"A@s": {"hub": {"granted": 4, "promised": 0, "may_promise": 4}, "s": {"may_promise": 6}}}}),
    # 10.8: supplier registers, last writer wins per field, a supplier's and its items' apart.
    "suppliers/last-writer-wins-per-field": (
        [supplier("hub:1", 10, "acme", name="Acme", lead_time_days=3, active=1),
         supplier("s:1", 12, "acme", lead_time_days=5),
         supplier("hub:2", 11, "acme", name="Acme Wholesale", lead_time_days=4),
         supplier("hub:3", 13, "acme", sku="A", supplier_sku="AC-1", unit_cost_cents=120),
         supplier("s:2", 14, "acme", sku="A", unit_cost_cents=125)],
        {"suppliers": {"acme": {"name": "Acme Wholesale", "lead_time_days": 5, "active": 1},
                       "acme/A": {"supplier_sku": "AC-1", "unit_cost_cents": 125}}}),
    "allowances/policy-last-writer-wins": (
        [policy("hub:1", 10, "*", "hub", 50, 2), policy("s:1", 12, "*", "hub", 30, 0),
         policy("hub:2", 11, "category:Dairy", "hub", 80, 1)],
        {"policies": {"* hub": [30, 0], "category:Dairy hub": [80, 1]}}),
}
for name, (ops, expected) in DOCUMENT_CASES.items():
    # The on-hand column of `states` is the stock the S rules give; every cell a delta or a
    # count touches must be stated.
    touched = {o["sku"] + "@" + o["location"] for o in ops if o["kind"] in ("delta", "count")}
    missing = touched - set(expected.get("states", {}))
    assert not missing, f"{name}: state the cells {missing}"
    expected["stock"] = {cell: expected["states"][cell]["on_hand"] for cell in touched}
    expected["negative"] = sorted(cell for cell in touched if expected["stock"][cell] < 0)
CASES.update(DOCUMENT_CASES)

# --- Section 11: setting registers, alert crossings, replenishment -------------------------

def setting(id, hlc, namespace, key, value):
    return {"id": id, "hlc": hlc, "kind": "setting", "namespace": namespace, "key": key, "value": value}

SETTING_CASES = {
    # 11.1: each (namespace, key) is a register; the highest (hlc, origin) holds; null clears.
    "settings/last-writer-wins-per-register": (
        [setting("hub:1", 10, "alert_rule", "low|*|*", "hysteresis=0;state=available;threshold=5"),
         setting("s:1", 12, "alert_rule", "low|*|s", "hysteresis=2;state=available;threshold=3"),
         setting("hub:2", 11, "alert_rule", "low|*|*", "hysteresis=1;state=available;threshold=4"),
         setting("s:2", 13, "alert_action", "ep-0123456789abcdef", "ack=1"),
         setting("hub:3", 14, "reorder_rule", "A|s", "max=20;min=5;multiple=1;route=buy;safety=0;trigger=manual"),
         setting("s:3", 14, "reorder_rule", "A|s", "max=30;min=5;multiple=1;route=buy;safety=0;trigger=manual")],
        {"settings": {"alert_rule/low|*|*": "hysteresis=1;state=available;threshold=4",
                      "alert_rule/low|*|s": "hysteresis=2;state=available;threshold=3",
                      "alert_action/ep-0123456789abcdef": "ack=1",
                      # equal hlc: the higher origin ("s" > "hub") wins
                      "reorder_rule/A|s": "max=30;min=5;multiple=1;route=buy;safety=0;trigger=manual"}}),
    "settings/a-cleared-register-holds-nothing": (
        [setting("hub:1", 10, "alert_rule", "out|category:Dairy|*", "hysteresis=0;state=available;threshold=0"),
         setting("hub:2", 11, "alert_rule", "out|category:Dairy|*", None),
         setting("hub:3", 9, "alert_delivery", "s", "s")],
        {"settings": {"alert_delivery/s": "s"}}),
}
CASES.update(SETTING_CASES)


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


def episode_id(kind, sku, location, origin, seq):
    """11.2: FNV-1a 64 of kind, sku, location, origin and seq joined by U+001F."""
    h = 0xcbf29ce484222325
    for byte in "\x1f".join([kind, sku, location, origin, str(seq)]).encode():
        h = ((h ^ byte) * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return "ep-%016x" % h


def alert_case(kind, threshold, hysteresis, cell, values):
    """Crossing detection (11.2) in Python: fire at or below the threshold when armed;
    re-arm above threshold + hysteresis."""
    sku, location = cell.split("@")
    episodes, open_episode = [], None
    observations = []
    for seq, value in enumerate(values, start=1):
        op = f"{location}:{seq}"
        observations.append([op, value])
        if open_episode is None and value <= threshold:
            open_episode = {"id": episode_id(kind, sku, location, location, seq), "crossing": op}
        elif open_episode is not None and value > threshold + hysteresis:
            open_episode["closed_by"] = op
            episodes.append(open_episode)
            open_episode = None
    if open_episode:
        episodes.append(open_episode)
    return {"rule": f"hysteresis={hysteresis};state=available;threshold={threshold}", "kind": kind, "cell": cell,
            "observations": observations, "episodes": episodes}


ALERT_CASES = {
    "alerts/one-crossing": alert_case("low", 5, 3, "MILK@store-1", [10, 8, 6, 4, 3]),
    "alerts/flapping-inside-the-hysteresis-is-one-episode": alert_case(
        "low", 5, 3, "MILK@store-1", [10, 4, 7, 5, 8, 2, 8, 4]),
    "alerts/recovery-re-arms": alert_case("low", 5, 3, "MILK@store-1", [10, 4, 9, 12, 5, 20]),
    "alerts/out-of-stock-at-zero-and-below": alert_case("out", 0, 0, "TEA@store-2", [3, 0, -2, 1, 0]),
    "alerts/starting-below-fires-at-once": alert_case("low", 5, 0, "SOAP@store-1", [2, 3, 6]),
}


def round_up(value, multiple):
    return 0 if value <= 0 else -(-value // max(1, multiple)) * max(1, multiple)


def plan(cells, suppliers, now=0):
    """The planner (11.6) in Python, independent of the Swift one."""
    surplus = {}
    for c in cells:
        if c.get("rule"):
            st_ = c["states"]
            available = st_.get("on_hand", 0) - st_.get("committed", 0) - st_.get("held", 0) - st_.get("unavailable", 0)
            spare = available - (c["rule"]["max"] + c["rule"].get("safety", 0))
            if spare > 0:
                surplus[c["cell"]] = spare
    out = []
    for c in sorted(cells, key=lambda c: tuple(c["cell"].split("@"))):
        rule = c.get("rule")
        if not rule or rule.get("snooze_until", 0) > now:
            continue
        st_ = c["states"]
        terms = suppliers.get(rule.get("supplier"))
        lead = rule.get("lead_days", terms["lead_days"] if terms else 0)
        rate = c.get("units_sold", 0) / 28
        demand = int(-(-(rate * lead) // 1)) if rate > 0 and lead > 0 else 0
        projected = (st_.get("on_hand", 0) + st_.get("incoming", 0) + st_.get("in_transit", 0)
                     - st_.get("committed", 0) - st_.get("held", 0))
        position = projected + c.get("drafted", 0) - demand
        point, up_to = rule["min"] + rule.get("safety", 0), rule["max"] + rule.get("safety", 0)
        if position >= point:
            continue
        need = round_up(up_to - position, rule.get("multiple", 1))
        erpnext = max(rule["max"] - rule["min"], point - position)
        sku, location = c["cell"].split("@")
        for donor in sorted((k for k in surplus if k.split("@")[0] == sku and k != c["cell"] and surplus[k] > 0),
                            key=lambda k: (-surplus[k], k.split("@")[1])):
            if need <= 0:
                break
            moved = min(need, surplus[donor])
            surplus[donor] -= moved
            need -= moved
            out.append({"cell": c["cell"], "action": "transfer:" + donor.split("@")[1], "quantity": moved,
                        "erpnext": erpnext})
        if need > 0:
            quantity = need
            if terms:
                pack = terms.get("item_pack", {}).get(sku, terms.get("pack_size", 1))
                quantity = round_up(max(need, terms.get("minimum_order", 0)), pack)
            out.append({"cell": c["cell"], "action": "buy:" + (rule.get("supplier") if terms else "-"),
                        "quantity": quantity, "erpnext": erpnext})
    return out


def rule_text(rule):
    fields = {"min": rule["min"], "max": rule["max"], "multiple": rule.get("multiple", 1),
              "safety": rule.get("safety", 0), "route": "buy", "trigger": "manual"}
    for key in ("lead_days", "supplier", "snooze_until"):
        if key in rule:
            fields[key] = rule[key]
    return ";".join(f"{k}={v}" for k, v in sorted(fields.items()))


def plan_case(cells, suppliers, now=0):
    return {"now": now, "suppliers": suppliers,
            "cells": [dict(c, rule=rule_text(c["rule"])) if c.get("rule") else c for c in cells],
            "suggestions": plan(cells, suppliers, now)}


DAIRY = {"dairyco": {"lead_days": 2, "minimum_order": 24, "pack_size": 12}}
PLAN_CASES = {
    "replenishment/odoo-order-up-to-max-rounded-to-the-multiple": plan_case(
        [{"cell": "A@s1", "rule": {"min": 10, "max": 30, "multiple": 6}, "states": {"on_hand": 4}}], {}),
    "replenishment/open-and-drafted-documents-count": plan_case(
        [{"cell": "A@s1", "rule": {"min": 10, "max": 30}, "states": {"on_hand": 4, "incoming": 4, "in_transit": 1},
          "drafted": 2}], {}),
    "replenishment/an-overstocked-store-gives-first": plan_case(
        [{"cell": "A@s1", "rule": {"min": 10, "max": 30, "multiple": 6, "supplier": "dairyco"}, "states": {"on_hand": 4}},
         {"cell": "A@s2", "rule": {"min": 5, "max": 20}, "states": {"on_hand": 30}},
         {"cell": "A@s3", "rule": {"min": 5, "max": 20}, "states": {"on_hand": 24, "committed": 1}}], DAIRY),
    "replenishment/supplier-minimum-and-pack": plan_case(
        [{"cell": "B@s1", "rule": {"min": 8, "max": 20, "safety": 2, "supplier": "dairyco"}, "states": {"on_hand": 3}}],
        DAIRY),
    "replenishment/lead-time-demand-lowers-the-position": plan_case(
        [{"cell": "C@s1", "rule": {"min": 5, "max": 10, "lead_days": 7}, "states": {"on_hand": 8}, "units_sold": 56}], {}),
    "replenishment/snoozed-until-its-time": plan_case(
        [{"cell": "D@s1", "rule": {"min": 5, "max": 10, "snooze_until": 5000}, "states": {"on_hand": 0}}], {}, now=4999),
    # A cell whose stock is above its max yet short for the lead time gives to no one, least
    # of all itself; another store's surplus still serves it.
    "replenishment/a-cell-never-gives-to-itself": plan_case(
        [{"cell": "F@s1", "rule": {"min": 10, "max": 20, "lead_days": 7}, "states": {"on_hand": 25}, "units_sold": 280},
         {"cell": "F@s2", "rule": {"min": 1, "max": 2}, "states": {"on_hand": 5}}], {}),
    # A donor spent by the first store that needs the item gives nothing more: the second
    # buys, and no transfer of 0 units is suggested.
    "replenishment/a-spent-donor-gives-no-more": plan_case(
        [{"cell": "G@s1", "rule": {"min": 5, "max": 10}, "states": {"on_hand": 0}},
         {"cell": "G@s2", "rule": {"min": 5, "max": 10}, "states": {"on_hand": 0}},
         {"cell": "G@s3", "rule": {"min": 1, "max": 2}, "states": {"on_hand": 8}}], {}),
    "replenishment/committed-units-are-a-need": plan_case(
        [{"cell": "E@s1", "rule": {"min": 0, "max": 6}, "states": {"on_hand": 2, "committed": 5, "held": 1}}], {}),
}

for name, case in {**ALERT_CASES, **PLAN_CASES}.items():
    folder = os.path.join(HERE, name)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "case.json"), "w") as f:
        json.dump(case, f, indent=1, sort_keys=True)
        f.write("\n")
print(f"wrote {len(ALERT_CASES) + len(PLAN_CASES)} arithmetic vectors")
