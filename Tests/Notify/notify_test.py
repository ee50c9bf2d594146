#!/usr/bin/env python3
"""End-to-end tests of alerts, their delivery and replenishment (issue #13), against the
real `stockroom` binary and real servers on loopback (receivers.py): aiosmtpd with
STARTTLS and AUTH, a Standard Webhooks receiver that verifies signatures, a Twilio-subset
SMS service and a Slack-compatible webhook.

    Tests/Notify/run.sh [BINARY]              # make test runs it
    STOCKROOM_SEED=7 Tests/Notify/run.sh      # replay a run's random choices

Each test starts its own nodes in a temporary folder, kept (and printed) on failure."""

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "Tests/Faults"))
from receivers import HTTPReceivers, SMTPServer, TWILIO_SID, TWILIO_TOKEN, WEBHOOK_SECRET  # noqa: E402
from soak import Node  # noqa: E402

BINARY = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, ".build/debug/stockroom"))
SEED = int(os.environ.get("STOCKROOM_SEED", random.randrange(1 << 16)))
CATALOGUE = """sku,name,description,category,price,barcode,threshold
MILK-1,Whole milk 1 L,,Dairy,1.09,,
EGGS-6,Free-range eggs 6,,Dairy,2.49,,
TEA-1,Iced tea 330 ml,,Beverages,1.29,,
SOAP-1,Hand soap,,Household,1.99,,
"""


class Check(Exception):
    pass


def expect(condition, message):
    if not condition:
        raise Check(message)


def wait_for(what, predicate, seconds=20):
    deadline = time.time() + seconds
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise Check(f"timed out after {seconds} s waiting for {what}")


class World:
    """The receivers, a notify file pointing at them, and the nodes of one test."""

    def __init__(self, work, recipients=None, **notify_extra):
        self.work = work
        self.smtp = SMTPServer(work)
        self.smtp.start()
        self.http = HTTPReceivers()
        self.nodes = []
        self.recipients = recipients or [
            {"id": "buyer", "channel": "email", "to": "buyer@chain.example", "role": "buyer"},
            {"id": "ops", "channel": "webhook", "to": self.http.url("/hook/ops"), "role": "it"},
            {"id": "manager", "channel": "sms", "to": "+15551234567", "role": "store_manager",
             "locations": ["store-1"]},
            {"id": "chat", "channel": "slack", "to": self.http.url("/slack/T0/B0/x"), "alerts": ["out"]},
        ]
        self.notify = self.write_notify(self.recipients, **notify_extra)
        open(os.path.join(work, "catalogue.csv"), "w").write(CATALOGUE)

    def write_notify(self, recipients, name="notify.json", **extra):
        config = {
            "email": {"url": f"smtp://127.0.0.1:{self.smtp.port}", "from": "stockroom@chain.example",
                      "username": "stockroom", "starttls": "required", "ca_file": self.smtp.cert},
            "sms": {"base_url": self.http.url(""), "account": TWILIO_SID, "from": "+15557654321"},
            "webhook": {"secret": WEBHOOK_SECRET},
            "timeout_seconds": 1.5, "retry_base_seconds": 0.3,
            "recipients": recipients,
        }
        config.update(extra)
        path = os.path.join(self.work, name)
        json.dump(config, open(path, "w"))
        return path

    def hub(self, *args, notify=True, name="hub"):
        node = Node(BINARY, self.work, name, ["--role", "hub", "--node", name, "--replenish-every", "0",
                                              *(["--notify", self.notify] if notify else []), *args])
        if not os.path.exists(os.path.join(node.data, "stockroom.sqlite")):
            node.run("import", "catalog", os.path.join(self.work, "catalogue.csv"), "--node", name)
        self.start(node)
        return node

    def start(self, node):
        env = dict(os.environ, STOCKROOM_SMTP_PASSWORD="s3cret-smtp", STOCKROOM_SMS_AUTH_TOKEN=TWILIO_TOKEN)
        old = os.environ.copy()
        os.environ.update(env)
        try:
            node.start()
        finally:
            os.environ.clear()
            os.environ.update(old)
        if node not in self.nodes:
            self.nodes.append(node)

    def close(self):
        for node in self.nodes:
            node.kill()
        self.smtp.stop()
        self.http.stop()


def scan(node, sku, qty, reason, location="store-1", expect_status=201):
    status, body = node.call("POST", "/v1/scans", {
        "id": f"s{random.randrange(1 << 60)}", "code": sku, "qty": qty, "reason": reason, "location": location})
    expect(status in (200, 201) if expect_status == 201 else status == expect_status, f"scan answered {status} {body}")
    return body


def alerts(node, status="all", **query):
    query = "&".join([f"status={status}"] + [f"{k}={v}" for k, v in query.items()])
    code, body = node.call("GET", f"/v1/alerts?{query}")
    expect(code == 200, f"GET /v1/alerts answered {code} {body}")
    return body["items"]


def messages(node, status=None):
    code, body = node.call("GET", "/v1/notifications?limit=1000" + (f"&status={status}" if status else ""))
    expect(code == 200, f"GET /v1/notifications answered {code}")
    return body["items"]


def settled(node):
    """Waits until nothing is pending in the node's outbox that is due now."""
    def quiet():
        pending = [m for m in messages(node, "pending") if m["attempts"] == 0]
        return not pending
    wait_for("the outbox to drain", quiet)


# --- the tests -------------------------------------------------------------------------


def test_one_crossing_reaches_every_channel(world):
    hub = world.hub()
    code, rule = hub.call("PUT", "/v1/alert-rules", {"kind": "low", "threshold": 5, "hysteresis": 3})
    expect(code == 200 and rule["key"] == "low|*|*", f"PUT alert-rules answered {code} {rule}")
    code, _ = hub.call("PUT", "/v1/alert-rules", {"kind": "out", "category": "Dairy"})
    expect(code == 200, "the out-of-stock rule for Dairy was refused")
    scan(hub, "MILK-1", 10, "receive")
    for _ in range(3):
        scan(hub, "MILK-1", 2, "sale")  # 10 → 8 → 6 → 4: one crossing, at the third sale
    episodes = wait_for("an episode", lambda: alerts(hub))
    expect(len(episodes) == 1, f"expected one episode, got {episodes}")
    episode = episodes[0]
    expect(episode["kind"] == "low" and episode["value_at_crossing"] == 4 and episode["threshold"] == 5,
           f"episode {episode}")
    expect(episode["days_of_cover"] == 18.6, f"4 available after 6 sold in 28 days is 18.6 days: {episode}")
    wait_for("the email", lambda: world.smtp.mailbox.messages)
    wait_for("the webhook and the SMS", lambda: world.http.of("webhook") and world.http.of("sms"))
    mail = world.smtp.mailbox.messages[0]
    expect(mail["tls"] and mail["auth"], "the e-mail did not go over STARTTLS with AUTH")
    message = mail["message"]
    expect(message["Subject"].startswith("Low stock: MILK-1 at store-1"), f"subject {message['Subject']}")
    expect("stockroom@chain.example" in message["From"] and "buyer@chain.example" in message["To"],
           f"headers {message['From']} / {message['To']}")
    expect(message["Message-ID"].startswith(f"<{episode['id']}.buyer@"), f"Message-ID {message['Message-ID']}")
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    expect("Whole milk 1 L" in text and "18.6 days" in text and "stockroom replenish" in text, f"text body: {text}")
    expect("<strong>4</strong>" in html, "the HTML part does not show the value")
    hook = world.http.of("webhook")[0]
    expect(hook["verified"], "the webhook signature did not verify")
    payload = json.loads(hook["body"])
    expect(payload["type"] == "alert.low" and payload["data"]["alert"] == episode["id"], f"webhook body {payload}")
    expect(hook["headers"]["webhook-id"] == f"{episode['id']}/ops", f"webhook-id {hook['headers']['webhook-id']}")
    sms = world.http.of("sms")[0]
    expect(b"MILK-1" in sms["body"] and b"To=%2B15551234567" in sms["body"], f"SMS form {sms['body']}")
    expect(not world.http.of("slack"), "the slack recipient wants only out-of-stock alerts")
    # Out of stock (Dairy rule): a second episode, of the other kind, reaches the slack recipient too.
    scan(hub, "MILK-1", 4, "sale")
    wait_for("the slack message", lambda: world.http.of("slack"))
    expect(b"Out of stock" in world.http.of("slack")[0]["body"], "slack text")
    settled(hub)
    current = {e["kind"]: e for e in alerts(hub)}
    expect(set(current) == {"low", "out"}, f"episodes {current}")
    expect(all(d["status"] == "sent" for d in current["low"]["deliveries"]) and
           len(current["low"]["deliveries"]) == 3, f"deliveries {current['low']['deliveries']}")
    metrics = subprocess.run(["curl", "-s", "-H", f"Authorization: Bearer {hub.token('admin')}",
                              f"http://127.0.0.1:{hub.port}/metrics"], capture_output=True, text=True).stdout
    for name in ['stockroom_notifications_total{channel="email",result="sent"}', 'stockroom_outbox_messages{status="pending"}',
                 "stockroom_outbox_oldest_undelivered_seconds"]:
        expect(name in metrics, f"/metrics lacks {name}")


def test_flapping_gives_one_message_per_episode(world):
    world.recipients = [{"id": "buyer", "channel": "email", "to": "buyer@chain.example"}]
    world.notify = world.write_notify(world.recipients)
    hub = world.hub()
    hub.call("PUT", "/v1/alert-rules", {"kind": "low", "sku": "TEA-1", "threshold": 5, "hysteresis": 4})
    scan(hub, "TEA-1", 7, "receive")
    rng = random.Random(SEED)
    for _ in range(100):  # 7 → 4 → 7 … around the threshold, never above 5 + 4
        scan(hub, "TEA-1", 3, rng.choice(["sale", "damage"]))
        scan(hub, "TEA-1", 3, "receive")
    settled(hub)
    time.sleep(1)
    expect(len(world.smtp.mailbox.messages) == 1,
           f"100 swings around the threshold sent {len(world.smtp.mailbox.messages)} messages, not 1")
    scan(hub, "TEA-1", 10, "receive")  # 17 > 9: recovered, re-armed
    scan(hub, "TEA-1", 14, "sale")     # 3: a real second episode
    wait_for("the second message", lambda: len(world.smtp.mailbox.messages) == 2)
    episodes = alerts(hub)
    expect(len(episodes) == 2 and sum(1 for e in episodes if e["status"] == "recovered") == 1,
           f"expected one recovered and one open episode: {episodes}")


def test_outages_retry_and_permanent_failures_die(world):
    world.recipients = [
        {"id": "buyer", "channel": "email", "to": "buyer@chain.example"},
        {"id": "nobody", "channel": "email", "to": "nobody@chain.example"},
        {"id": "ops", "channel": "webhook", "to": world.http.url("/hook/ops")},
        {"id": "gone", "channel": "webhook", "to": world.http.url("/hook/gone")},
        {"id": "slow", "channel": "slack", "to": world.http.url("/slack/slow")},
        {"id": "badphone", "channel": "sms", "to": "+15550001234"},
    ]
    world.notify = world.write_notify(world.recipients)
    port = world.smtp.port
    world.smtp.stop()  # refused connections
    world.http.plan("/hook/ops", [500, 503])
    world.http.plan("/hook/gone", [410])
    world.http.plan("/slack/slow", ["timeout"])
    hub = world.hub()
    hub.call("PUT", "/v1/alert-rules", {"kind": "low", "threshold": 2})
    scan(hub, "SOAP-1", 1, "receive")
    wait_for("the first failed e-mail attempts", lambda: any(
        m["recipient"] == "buyer" and m["attempts"] >= 2 for m in messages(hub)))
    buyer = next(m for m in messages(hub) if m["recipient"] == "buyer")
    expect(buyer["status"] == "pending" and "Connection refused" in (buyer["last_error"] or "")
           or "connect" in (buyer["last_error"] or "").lower(), f"refused SMTP: {buyer}")
    world.smtp = SMTPServer(world.work, port=port)
    world.smtp.start()
    wait_for("the e-mail once SMTP is back", lambda: any(
        m["to"] == ["buyer@chain.example"] for m in world.smtp.mailbox.messages), 30)
    wait_for("webhook after two 5xx", lambda: [h for h in world.http.of("webhook") if h["verified"]])
    wait_for("slack after a timeout", lambda: world.http.of("slack"))
    time.sleep(2)
    by_id = {m["recipient"]: m for m in messages(hub)}
    expect(by_id["ops"]["status"] == "sent" and by_id["ops"]["attempts"] == 3, f"ops: {by_id['ops']}")
    expect(by_id["slow"]["status"] == "sent" and by_id["slow"]["attempts"] == 2, f"slow: {by_id['slow']}")
    for name, answer in [("gone", "HTTP 410"), ("nobody", "550"), ("badphone", "21211")]:
        # nobody@ first met the refused connections (retried), then the 550 (dead at once).
        attempts = by_id[name]["attempts"]
        expect(by_id[name]["status"] == "dead" and (attempts == 1 or name == "nobody") and
               answer in by_id[name]["last_error"], f"{name} should be dead at its first '{answer}': {by_id[name]}")
    nobody_attempts = by_id["nobody"]["attempts"]
    code, one = hub.call("GET", f"/v1/notifications/message?id={by_id['ops']['id']}")
    expect(code == 200 and [a["outcome"] for a in one["history"]] == ["retry", "retry", "sent"],
           f"attempt history {one}")
    expect("HTTP 500" in one["history"][0]["detail"], f"the first attempt's answer: {one['history'][0]}")
    time.sleep(1.5)  # well past several backoffs: the dead ones are not tried again
    expect(len(world.http.of("failed")) == 3, f"a 4xx was retried: {len(world.http.of('failed'))} failed requests")
    expect(next(m for m in messages(hub) if m["recipient"] == "nobody")["attempts"] == nobody_attempts,
           "a 550 was retried")
    dead = {m["recipient"] for m in messages(hub, "dead")}
    expect(dead == {"gone", "nobody", "badphone"}, f"GET /v1/notifications?status=dead shows {dead}")


def test_killed_mid_delivery_loses_nothing_and_repeats_only_with_the_same_id(world):
    world.recipients = [{"id": "ops", "channel": "webhook", "to": world.http.url("/hook/ops")},
                        {"id": "buyer", "channel": "email", "to": "buyer@chain.example"}]
    world.notify = world.write_notify(world.recipients, timeout_seconds=30)
    world.http.plan("/hook/ops", ["hang"])
    hub = world.hub()
    hub.call("PUT", "/v1/alert-rules", {"kind": "low", "threshold": 3})
    scan(hub, "EGGS-6", 2, "receive")
    wait_for("the webhook request in flight", lambda: world.http.of("hang"))
    hub.kill(signal.SIGKILL)
    world.http.release.set()
    world.start(hub)
    wait_for("the webhook after the restart", lambda: [h for h in world.http.of("webhook") if h["verified"]], 30)
    wait_for("the e-mail", lambda: world.smtp.mailbox.messages)
    ids = [h["headers"]["webhook-id"] for h in world.http.of("hang") + world.http.of("webhook")]
    expect(len(set(ids)) == 1, f"a resend must carry the same webhook-id: {ids}")
    emails = [m["message"]["Message-ID"] for m in world.smtp.mailbox.messages]
    expect(len(set(emails)) == 1, f"e-mails: {emails}")
    expect(len(alerts(hub)) == 1, "the restart derived a second episode")


def test_store_and_hub_see_the_crossing_one_message_per_episode(world):
    world.recipients = [{"id": "buyer", "channel": "email", "to": "buyer@chain.example"},
                        {"id": "ops", "channel": "webhook", "to": world.http.url("/hook/ops")}]
    world.notify = world.write_notify(world.recipients)
    hub = world.hub()
    token = hub.run("token", "create", "--role", "peer", "--node", "store-1").stdout.strip().splitlines()[-1]
    store = Node(BINARY, world.work, "store-1", ["--node", "store-1", "--hub", f"http://127.0.0.1:{hub.port}",
                                                 "--hub-token", token, "--notify", world.notify])
    world.start(store)
    hub.call("PUT", "/v1/alert-rules", {"kind": "low", "threshold": 5})
    wait_for("the store to have the rule and the catalogue", lambda: store.call("GET", "/v1/alert-rules")[1]["items"]
             and store.call("GET", "/v1/status")[1].get("items") == 4)
    scan(store, "MILK-1", 10, "receive")
    scan(store, "MILK-1", 6, "sale")
    store_episode = wait_for("the store's episode", lambda: alerts(store))[0]
    store.kill(signal.SIGKILL)  # before or after its push: either way
    world.start(store)
    hub_episode = wait_for("the hub's episode", lambda: alerts(hub))[0]
    expect(hub_episode["id"] == store_episode["id"],
           f"store and hub derived different episodes: {store_episode['id']} vs {hub_episode['id']}")
    wait_for("one e-mail", lambda: world.smtp.mailbox.messages)
    for _ in range(3):  # duplicate syncs: the hub pulls and is pushed the same ops again
        store.call("POST", "/v1/sync")
        time.sleep(0.5)
    settled(hub)
    time.sleep(1)
    expect(len(world.smtp.mailbox.messages) == 1 and len(world.http.of("webhook")) == 1,
           f"the hub delivers by default and the store not at all: {len(world.smtp.mailbox.messages)} e-mails, "
           f"{len(world.http.of('webhook'))} webhooks")
    expect(not messages(store), "the store queued messages although the hub delivers its alerts")
    # The store takes over its own alerts (it must reach the receivers itself, e.g. while the hub is down).
    code, _ = hub.call("PUT", "/v1/alert-delivery/store-1", {"node": "store-1"})
    expect(code == 204, f"PUT alert-delivery answered {code}")
    wait_for("the store to learn it delivers", lambda: store.call("GET", "/v1/ops?kind=setting")[0] == 200 and any(
        op.get("document") == "alert_delivery/store-1" for op in store.call("GET", "/v1/ops?kind=setting")[1]["items"]))
    scan(store, "MILK-1", 20, "receive")  # recovered
    scan(store, "MILK-1", 22, "sale")     # a second episode
    wait_for("the second e-mail", lambda: len(world.smtp.mailbox.messages) == 2)
    store.call("POST", "/v1/sync")
    wait_for("the hub to see the second episode", lambda: len(alerts(hub)) == 2)
    time.sleep(1.5)
    expect(len(world.smtp.mailbox.messages) == 2 and len(world.http.of("webhook")) == 2,
           "one message per episode per recipient when the store delivers")
    expect(len([m for m in messages(hub) if m["alert"] != hub_episode["id"]]) == 0,
           "the hub queued messages for an episode the store delivers")


def test_acknowledge_and_snooze(world):
    world.recipients = [{"id": "ops", "channel": "webhook", "to": world.http.url("/hook/ops")}]
    world.notify = world.write_notify(world.recipients, retry_base_seconds=5)
    world.http.plan("/hook/ops", [503])
    hub = world.hub()
    hub.call("PUT", "/v1/alert-rules", {"kind": "low", "threshold": 3, "hysteresis": 1})
    scan(hub, "TEA-1", 2, "receive")
    episode = wait_for("the episode", lambda: alerts(hub))[0]
    wait_for("the first failed attempt", lambda: messages(hub)[0]["attempts"] == 1)
    code, acked = hub.call("POST", f"/v1/alerts/{episode['id']}/ack")
    expect(code == 200 and acked["acknowledged"] and acked["status"] == "acknowledged", f"ack answered {code} {acked}")
    wait_for("the unsent message to be cancelled", lambda: messages(hub)[0]["status"] == "cancelled", 15)
    expect(not world.http.of("webhook"), "an acknowledged alert was still delivered")
    # Snooze through the CLI: the cell's next episode opens, and waits.
    out = subprocess.run([BINARY, "alerts", "snooze", episode["id"], "--hours", "2", "--data", hub.data],
                         capture_output=True, text=True)
    expect(out.returncode == 0 and "snoozed low alerts of TEA-1@store-1" in out.stdout, f"snooze CLI: {out}")
    scan(hub, "TEA-1", 5, "receive")  # 7 > 4: recovered
    scan(hub, "TEA-1", 6, "sale")     # 1: a new episode, snoozed
    wait_for("the second episode", lambda: len(alerts(hub)) == 2)
    time.sleep(1.5)
    pending = messages(hub, "pending")
    expect(len(pending) == 1 and pending[0]["due_at"] > time.strftime("%Y-%m-%dT%H", time.gmtime(time.time() + 3600)),
           f"the snoozed message should wait about 2 hours: {pending}")
    listing = subprocess.run([BINARY, "alerts", "--data", hub.data], capture_output=True, text=True).stdout
    expect("TEA-1@store-1" in listing and "open" in listing, f"stockroom alerts: {listing}")


def test_replenishment_orders_the_right_amount(world):
    world.recipients = [{"id": "buyer", "channel": "email", "to": "buyer@chain.example"}]
    world.notify = world.write_notify(world.recipients)
    hub = world.hub("--replenish-every", "1")
    code, _ = hub.call("POST", "/v1/suppliers", {"id": "dairyco", "name": "DairyCo", "email": "orders@dairyco.example",
                                                "lead_time_days": 2, "minimum_order": 30, "pack_size": 12})
    expect(code == 201, f"supplier create answered {code}")
    hub.call("PUT", "/v1/suppliers/dairyco/items/EGGS-6", {"supplier_sku": "DC-EGG6", "unit_cost": "1.10",
                                                          "pack_size": 10})
    # Bad input changes nothing.
    for body, what in [
        ({"sku": "MILK-1", "location": "store-1", "min": 10, "max": 5}, "max < min"),
        ({"sku": "MILK-1", "location": "store-1", "min": -1, "max": 5}, "negative min"),
        ({"sku": "MILK-1", "location": "store-1", "min": 1, "max": 5, "supplier": "nobody"}, "unknown supplier"),
        ({"sku": "MILK-1", "location": "store-1", "min": 1, "max": 5, "route": "teleport"}, "bad route"),
    ]:
        code, body = hub.call("PUT", "/v1/reorder-rules", body)
        expect(code == 422 and body["error"]["code"] in ("invalid_value", "unknown_supplier"),
               f"{what} answered {code} {body}")
    for body, what in [({"kind": "low", "threshold": -1}, "negative threshold"),
                       ({"kind": "low", "threshold": 3, "location": "bad location\t"}, "bad location")]:
        code, body = hub.call("PUT", "/v1/alert-rules", body)
        expect(code in (400, 422), f"{what} answered {code} {body}")
    expect(hub.call("GET", "/v1/reorder-rules")[1]["items"] == [] and
           hub.call("GET", "/v1/alert-rules")[1]["items"] == [], "refused rules left something behind")
    # store-1 needs milk and eggs; store-2 is overstocked with milk.
    scan(hub, "MILK-1", 4, "receive", "store-1")
    scan(hub, "MILK-1", 60, "receive", "store-2")
    scan(hub, "EGGS-6", 3, "receive", "store-1")
    rules = [
        {"sku": "MILK-1", "location": "store-1", "min": 10, "max": 30, "multiple": 6, "supplier": "dairyco"},
        {"sku": "MILK-1", "location": "store-2", "min": 5, "max": 20, "supplier": "dairyco"},
        {"sku": "EGGS-6", "location": "store-1", "min": 8, "max": 20, "multiple": 1, "safety": 2,
         "supplier": "dairyco"},
    ]
    for rule in rules:
        code, body = hub.call("PUT", "/v1/reorder-rules", rule)
        expect(code == 200, f"reorder rule answered {code} {body}")
    code, report = hub.call("GET", "/v1/replenishment")
    expect(code == 200, f"GET /v1/replenishment answered {code}")
    by = {(s["sku"], s["action"]): s for s in report["items"]}
    milk = by.get(("MILK-1", "transfer"))
    # store-1 milk: position 4 < 10: order up to 30 → 26, rounded to 6 → 30; store-2 holds
    # 60 − 20 = 40 above its order-up-to level: all 30 come from there.
    expect(milk and milk["from"] == "store-2" and milk["quantity"] == 30 and ("MILK-1", "purchase") not in by,
           f"milk should be a transfer of 30 from store-2: {report['items']}")
    eggs = by.get(("EGGS-6", "purchase"))
    # eggs: position 3 < 8 + 2: up to 22 → 19; supplier minimum 30, pack of 10 → 30.
    expect(eggs and eggs["quantity"] == 30 and eggs["supplier"] == "dairyco" and eggs["erpnext_quantity"] == 12,
           f"eggs should be a purchase of 30: {eggs}")
    expect(any("minimum order 30, pack of 10: 30" in line for line in eggs["arithmetic"]), eggs["arithmetic"])
    expect("store-2" in milk["data_age_seconds"], f"staleness of the source: {milk}")
    code, applied = hub.call("POST", "/v1/replenishment/apply", {})
    expect(code == 200 and len(applied["created"]) == 2, f"apply answered {code} {applied}")
    kinds = sorted(d["kind"] for d in applied["created"])
    expect(kinds == ["purchase_order", "transfer"], f"created {kinds}")
    code, again = hub.call("GET", "/v1/replenishment")
    expect(again["items"] == [], f"the drafts must count: a second run suggests {again['items']}")
    code, twice = hub.call("POST", "/v1/replenishment/apply", {})
    expect(twice["created"] == [], "applying twice drafted again")
    po = next(d for d in applied["created"] if d["kind"] == "purchase_order")
    code, sent = hub.call("POST", f"/v1/purchase-orders/{po['id']}/email")
    expect(code == 200 and sent["address"] == "orders@dairyco.example", f"PO e-mail answered {code} {sent}")
    mail = wait_for("the PO e-mail", lambda: [m for m in world.smtp.mailbox.messages
                                               if m["to"] == ["orders@dairyco.example"]])[0]["message"]
    attachment = next(mail.iter_attachments())
    expect(attachment.get_filename() == f"{po['id']}.csv", f"attachment {attachment.get_filename()}")
    csv = attachment.get_content()
    csv = csv.decode() if isinstance(csv, bytes) else csv
    expect("EGGS-6,DC-EGG6,Free-range eggs 6,30,1.10" in csv, f"the CSV attachment: {csv!r}")
    code, status = hub.call("GET", f"/v1/purchase-orders/{po['id']}")
    expect(status["status"] == "sent", f"e-mailing a draft PO sends it: {status['status']}")
    # An automatic rule is drafted by the hub's background pass, once.
    hub.call("PUT", "/v1/reorder-rules", {"sku": "SOAP-1", "location": "store-1", "min": 5, "max": 12,
                                          "supplier": "dairyco", "trigger": "auto"})
    wait_for("the automatic draft", lambda: [d for d in hub.call("GET", "/v1/purchase-orders?status=draft")[1]["items"]
                                            if any(line["sku"] == "SOAP-1" for line in d["lines"])], 15)
    time.sleep(3)
    drafts = [d for d in hub.call("GET", "/v1/purchase-orders?status=draft")[1]["items"]
              if any(line["sku"] == "SOAP-1" for line in d["lines"])]
    expect(len(drafts) == 1, f"the automatic pass drafted {len(drafts)} POs over several runs, not 1")
    out = subprocess.run([BINARY, "replenish", "--data", hub.data], capture_output=True, text=True)
    expect(out.returncode == 0 and "0 suggestion(s)" in out.stdout, f"stockroom replenish: {out.stdout}{out.stderr}")


def test_configuration_and_test_messages(world):
    hub = world.hub(notify=False)
    out = subprocess.run([BINARY, "notify", "test", "--channel", "email", "--to", "buyer@chain.example",
                          "--notify", world.notify, "--data", hub.data], capture_output=True, text=True,
                         env=dict(os.environ, STOCKROOM_SMTP_PASSWORD="s3cret-smtp", STOCKROOM_SMS_AUTH_TOKEN=TWILIO_TOKEN))
    expect(out.returncode == 0 and "sent" in out.stdout and "250" in out.stdout, f"notify test: {out}")
    expect("s3cret-smtp" not in out.stdout + out.stderr, "the SMTP password was printed")
    wrong = subprocess.run([BINARY, "notify", "test", "--channel", "email", "--to", "buyer@chain.example",
                            "--notify", world.notify, "--data", hub.data], capture_output=True, text=True,
                           env=dict(os.environ, STOCKROOM_SMTP_PASSWORD="wrong", STOCKROOM_SMS_AUTH_TOKEN=TWILIO_TOKEN))
    expect(wrong.returncode != 0 and "535" in wrong.stdout, f"bad credentials must fail with the server's answer: {wrong}")
    bad = subprocess.run([BINARY, "notify", "test", "--channel", "email", "--to", "not-an-address",
                          "--notify", world.notify, "--data", hub.data], capture_output=True, text=True,
                         env=dict(os.environ, STOCKROOM_SMS_AUTH_TOKEN=TWILIO_TOKEN))
    expect(bad.returncode != 0 and "not an e-mail address" in bad.stderr, f"bad address: {bad}")
    for recipients, message in [
        ([{"id": "x", "channel": "email", "to": "buyer at chain"}], "not an e-mail address"),
        ([{"id": "x", "channel": "webhook", "to": "ftp://hooks.example/x"}], "not an http:// or https:// URL"),
        ([{"id": "x", "channel": "pigeon", "to": "roof"}], "'channel' must be"),
    ]:
        path = world.write_notify(recipients, name="bad.json")
        run = subprocess.run([BINARY, "serve", "--data", os.path.join(world.work, "other"), "--notify", path,
                              "--listen", "127.0.0.1:0"], capture_output=True, text=True, timeout=30,
                             env=dict(os.environ, STOCKROOM_SMS_AUTH_TOKEN=TWILIO_TOKEN))
        expect(run.returncode != 0 and message in run.stderr, f"a bad notify file must stop the start: {run.stderr}")
    code, body = hub.call("POST", "/v1/notifications/test", {"channel": "email", "to": "buyer@chain.example"})
    expect(code == 409 and body["error"]["code"] == "not_configured", f"test without a notify file: {code} {body}")
    log = open(os.path.join(world.work, "hub.log")).read()
    expect("s3cret-smtp" not in log and TWILIO_TOKEN not in log, "a secret reached the log")


def test_doctor_checks_the_channels_without_sending(world):
    """`stockroom doctor` logs in to the real SMTP server (STARTTLS, AUTH, NOOP) and reaches
    the SMS gateway and the webhook receiver, sending nothing; a wrong password fails with
    the server's 535, and an unreachable webhook is named."""
    hub = world.hub(notify=False)
    sent_before = len(world.smtp.mailbox.messages)
    env = dict(os.environ, STOCKROOM_SMTP_PASSWORD="s3cret-smtp", STOCKROOM_SMS_AUTH_TOKEN=TWILIO_TOKEN)
    good = subprocess.run([BINARY, "doctor", "--notify", world.notify, "--data", hub.data], capture_output=True,
                          text=True, env=env)
    expect("ok    email (SMTP)" in good.stdout and "ok    SMS gateway" in good.stdout
           and "ok    webhook" in good.stdout, f"doctor: {good.stdout}{good.stderr}")
    expect(len(world.smtp.mailbox.messages) == sent_before, "doctor sent an e-mail")
    expect("s3cret-smtp" not in good.stdout + good.stderr, "the SMTP password was printed")
    wrong = subprocess.run([BINARY, "doctor", "--notify", world.notify, "--data", hub.data], capture_output=True,
                           text=True, env=dict(env, STOCKROOM_SMTP_PASSWORD="wrong"))
    expect(wrong.returncode == 1 and "FAIL  email (SMTP)" in wrong.stdout and "535" in wrong.stdout,
           f"a wrong SMTP password: {wrong.stdout}")
    path = world.write_notify([{"id": "gone", "channel": "webhook", "to": "http://127.0.0.1:9/hook"}], name="gone.json")
    gone = subprocess.run([BINARY, "doctor", "--notify", path, "--data", hub.data], capture_output=True, text=True,
                          env=env)
    expect(gone.returncode == 1 and "FAIL  webhook: http://127.0.0.1:9/hook" in gone.stdout, f"{gone.stdout}")


TESTS = [value for name, value in list(globals().items()) if name.startswith("test_")]


def main():
    only = os.environ.get("NOTIFY_TESTS")
    failures, ran = 0, 0
    for test in TESTS:
        if only and test.__name__ not in only.split(","):
            continue
        ran += 1
        random.seed(SEED)
        work = tempfile.mkdtemp(prefix="stockroom-notify-")
        world = World(work)
        started = time.time()
        try:
            test(world)
            print(f"✔ {test.__name__} ({time.time() - started:.1f} s)", flush=True)
            world.close()
            shutil.rmtree(work, ignore_errors=True)
        except Exception as error:  # noqa: BLE001 — report every failure with its context
            failures += 1
            world.close()
            detail = str(error) if isinstance(error, Check) else traceback.format_exc()
            print(f"✘ {test.__name__}: {detail}\n  seed {SEED}; nodes' logs in {work}", flush=True)
    print(f"notify tests: {ran - failures} passed, {failures} failed (seed {SEED})")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
