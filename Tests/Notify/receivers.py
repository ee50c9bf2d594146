"""The real servers the notification tests send to, on loopback:

- an SMTP server (aiosmtpd) that requires STARTTLS and AUTH and keeps every message;
- one HTTP server with three receivers:
  - /hook/...: Standard Webhooks, verifying each signature (a bad one is refused, 401);
  - /2010-04-01/Accounts/{sid}/Messages.json: the subset of Twilio's Messages API we call
    (Basic auth, form body To/From/Body; 201 with a sid; 400 code 21211 for a bad number);
  - /slack/...: a Slack-compatible incoming webhook (200 "ok").

Each HTTP receiver can be told to fail: `plan(path_prefix, [500, 500])` answers the next
requests with those statuses, `"timeout"` holds the request past the client's timeout,
`"hang"` holds it until released (to kill the sender mid-delivery)."""

import base64
import hashlib
import hmac
import http.server
import json
import ssl
import subprocess
import threading
import time
import urllib.parse
from email import message_from_bytes, policy

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, SMTP


class Mailbox:
    def __init__(self):
        self.messages = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        with self.lock:
            self.messages.append({
                "from": envelope.mail_from, "to": list(envelope.rcpt_tos), "message": parsed,
                "tls": session.ssl is not None, "auth": session.authenticated,
            })
        return "250 Message accepted for delivery"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("nobody@"):
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = auth_data.login == b"stockroom" and auth_data.password == b"s3cret-smtp"
    return AuthResult(success=ok, handled=False)


def make_certificate(folder):
    key, cert = f"{folder}/smtp.key", f"{folder}/smtp.crt"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                    "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True)
    return key, cert


class SMTPServer:
    def __init__(self, folder, port=0):
        self.key, self.cert = make_certificate(folder)
        self.mailbox = Mailbox()
        self.port = port
        self.controller = None

    def start(self):
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert, self.key)
        self.controller = Controller(
            self.mailbox, hostname="127.0.0.1", port=self.port or 0, require_starttls=True, tls_context=context,
            authenticator=authenticator, auth_require_tls=True, auth_exclude_mechanism=["CRAM-MD5"])
        if not self.port:
            # aiosmtpd needs a port; take a free one.
            import socket
            probe = socket.socket()
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
            probe.close()
            self.controller.port = self.port
        self.controller.start()

    def stop(self):
        if self.controller:
            self.controller.stop()
            self.controller = None


WEBHOOK_SECRET = "whsec_" + base64.b64encode(b"stockroom-test-webhook-key-0123456789").decode()
TWILIO_SID, TWILIO_TOKEN = "AC0123456789abcdef", "twilio-auth-token"


class HTTPReceivers:
    def __init__(self):
        self.received = []  # (kind, headers, body, verified)
        self.plans = {}
        self.lock = threading.Lock()
        self.release = threading.Event()
        receivers = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def reply(self, status, body, content_type="application/json"):
                data = body.encode() if isinstance(body, str) else body
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self):
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                planned = receivers.next_plan(self.path)
                if planned == "timeout":
                    time.sleep(4)
                    return self.reply(504, "{}")
                if planned == "hang":
                    receivers.record("hang", self.headers, body, None)
                    receivers.release.wait(60)
                    return self.reply(503, "{}")
                if isinstance(planned, int):
                    receivers.record("failed", self.headers, body, None)
                    return self.reply(planned, json.dumps({"error": f"planned {planned}"}))
                if self.path.startswith("/hook"):
                    verified = verify_standard_webhook(self.headers, body)
                    receivers.record("webhook", self.headers, body, verified)
                    return self.reply(204 if verified else 401, "" if verified else "bad signature")
                if self.path.startswith("/2010-04-01/Accounts/"):
                    expected = "Basic " + base64.b64encode(f"{TWILIO_SID}:{TWILIO_TOKEN}".encode()).decode()
                    if self.headers.get("Authorization") != expected or TWILIO_SID not in self.path:
                        return self.reply(401, json.dumps({"code": 20003, "message": "Authenticate", "status": 401}))
                    form = urllib.parse.parse_qs(body.decode())
                    to = form.get("To", [""])[0]
                    if to.startswith("+1555000"):
                        return self.reply(400, json.dumps({
                            "code": 21211, "message": f"The 'To' number {to} is not a valid phone number.",
                            "status": 400}))
                    receivers.record("sms", self.headers, body, True)
                    return self.reply(201, json.dumps({"sid": "SM" + hashlib.md5(body).hexdigest(), "status": "queued",
                                                       "to": to, "body": form.get("Body", [""])[0]}))
                if self.path.startswith("/slack"):
                    receivers.record("slack", self.headers, body, True)
                    return self.reply(200, "ok", "text/plain")
                return self.reply(404, "{}")

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def plan(self, prefix, outcomes):
        with self.lock:
            self.plans.setdefault(prefix, []).extend(outcomes)

    def next_plan(self, path):
        with self.lock:
            for prefix, outcomes in self.plans.items():
                if path.startswith(prefix) and outcomes:
                    return outcomes.pop(0)
        return None

    def record(self, kind, headers, body, verified):
        with self.lock:
            self.received.append({"kind": kind, "headers": dict(headers), "body": body, "verified": verified})

    def of(self, kind):
        with self.lock:
            return [r for r in self.received if r["kind"] == kind]

    def stop(self):
        self.release.set()
        self.server.shutdown()


def verify_standard_webhook(headers, body, secret=WEBHOOK_SECRET, tolerance=300):
    """The receiver's side of Standard Webhooks: HMAC-SHA256 of id.timestamp.body with the
    secret's key, compared in constant time, and a timestamp within the tolerance."""
    msg_id, stamp, signatures = (headers.get("webhook-id"), headers.get("webhook-timestamp"),
                                 headers.get("webhook-signature"))
    if not (msg_id and stamp and signatures):
        return False
    if abs(time.time() - int(stamp)) > tolerance:
        return False
    key = base64.b64decode(secret[len("whsec_"):])
    expected = base64.b64encode(hmac.new(key, f"{msg_id}.{stamp}.".encode() + body, hashlib.sha256).digest()).decode()
    return any(hmac.compare_digest(expected, part.split(",", 1)[1]) for part in signatures.split() if "," in part)
