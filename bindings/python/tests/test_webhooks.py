"""Tests of the Python package (bindings/python) against the shared library named by
WEBHOOKS_LIB, run by ctest (bindings.python) from the installed package, not the source folder:
tests/bindings/python_package.sh installs it into a virtual environment first.
"""

import base64
import hashlib
import hmac
import http.server
import json
import os
import re
import select
import subprocess
import sys
import tempfile
import typing
import threading
import time
import unittest

import webhooks

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


class TestPackage(unittest.TestCase):
    def test_imported_from_the_installed_package(self):
        if os.environ.get("WH_EXPECT_INSTALLED"):
            self.assertIn("site-packages", webhooks.__file__)
        self.assertTrue(os.path.exists(os.path.join(os.path.dirname(webhooks.__file__),
                                                    "py.typed")))

    def test_missing_library_names_webhooks_lib(self):
        env = dict(os.environ, WEBHOOKS_LIB="/nonexistent/libwebhooks.so")
        env.pop("LD_PRELOAD", None)
        r = subprocess.run([sys.executable, "-c", "import webhooks"], env=env,
                           capture_output=True, text=True, timeout=60)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("WEBHOOKS_LIB", r.stderr)
        self.assertIn("/nonexistent/libwebhooks.so", r.stderr)

    def test_type_hints(self):
        hints = typing.get_type_hints(webhooks.Hub.deliveries)
        self.assertEqual(hints["return"], webhooks.Page)
        self.assertIn("webhook_id", hints)

    def test_errors_carry_the_library_name(self):
        with webhooks.Hub() as hub, self.assertRaises(webhooks.NotFoundError) as cm:
            hub.get("absent")
        self.assertEqual(cm.exception.error_name, "WH_ENOTFOUND")
        self.assertEqual(cm.exception.text, "not found")
        self.assertEqual(webhooks.error_name(-1), "WH_EINVAL")
        self.assertEqual(webhooks.strerror(-1), "invalid argument")


class TestExample(unittest.TestCase):
    """examples/embed.py, run as a user runs it: one event, signed with the secret given (or a
    generated one it prints), that the receiver verifies."""

    def run_example(self, *secret):
        example = os.environ.get("WH_EXAMPLE")
        if not example:
            self.skipTest("WH_EXAMPLE names examples/embed.py (run_tests.sh sets it)")
        recv = Receiver()
        try:
            r = subprocess.run([sys.executable, example, recv.url("/hooks"), *secret],
                               capture_output=True, text=True, timeout=60)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertIn("succeeded (200)", r.stdout)
            printed = re.search(r"signs with (whsec_\S+)", r.stdout).group(1)
            self.assertEqual(recv.count(), 1)
            _, path, headers, body = recv.requests[0]
            self.assertEqual(path, "/hooks")
            self.assertTrue(verify_standard_by_hand(secret[0] if secret else printed, headers,
                                                    body))
            self.assertEqual(json.loads(body)["type"], "order.created")
            return printed
        finally:
            recv.close()

    def test_with_the_receivers_secret(self):
        self.assertEqual(self.run_example(SECRET), SECRET)

    def test_with_a_generated_secret(self):
        self.assertNotEqual(self.run_example(), SECRET)


class Receiver:
    """A loopback HTTP receiver (http.server in a thread) that records every request and
    answers with the status set for its path (200 by default)."""

    def __init__(self):
        self.requests = []
        self.statuses = {}
        self.lock = threading.Lock()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def handle_any(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                with receiver.lock:
                    receiver.requests.append((self.command, self.path, self.headers, body))
                status = receiver.statuses.get(self.path.split("?")[0], 200)
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            do_POST = do_PUT = do_PATCH = do_GET = do_DELETE = handle_any

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path="/"):
        return "http://127.0.0.1:%d%s" % (self.server.server_address[1], path)

    def count(self):
        with self.lock:
            return len(self.requests)

    def close(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


def verify_standard_by_hand(secret, headers, body):
    """The Standard Webhooks check written with hmac/hashlib/base64 only."""
    msg_id, ts = headers["webhook-id"], headers["webhook-timestamp"]
    key = base64.b64decode(secret[len("whsec_"):])
    signed = msg_id.encode() + b"." + ts.encode() + b"." + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    sigs = [s.split(",", 1)[1] for s in headers["webhook-signature"].split(" ")]
    return any(hmac.compare_digest(expected, s) for s in sigs)


class TestSignatures(unittest.TestCase):
    def test_standard_known_answer(self):
        body = b'{"test": 2432232314}'
        h = webhooks.sign("standard", SECRET, body, msg_id="msg_p5jXN8AQM9LWM0D4loKWxJek",
                          timestamp=1614265330)
        self.assertEqual(h["webhook-signature"], "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
        self.assertEqual(h["webhook-id"], "msg_p5jXN8AQM9LWM0D4loKWxJek")
        self.assertEqual(h["webhook-timestamp"], "1614265330")
        self.assertTrue(webhooks.verify("standard", SECRET, h, body, now=1614265330))
        self.assertTrue(verify_standard_by_hand(SECRET, h, body))

    def test_github_known_answer(self):
        h = webhooks.sign("github", "It's a Secret to Everybody", "Hello, World!")
        self.assertEqual(h["X-Hub-Signature-256"],
                         "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17")
        self.assertTrue(webhooks.verify("github", ["It's a Secret to Everybody"], h,
                                        b"Hello, World!"))

    def test_stripe_round_trip_and_rotation(self):
        h = webhooks.sign("stripe", ["whsec_new", "whsec_old"], b"{}", timestamp=1700000000)
        self.assertEqual(h["Stripe-Signature"].count("v1="), 2)
        self.assertTrue(webhooks.verify("stripe", "whsec_old", h, "{}", now=1700000001))

    def test_failures_raise_the_right_exception(self):
        body = b'{"test": 2432232314}'
        h = webhooks.sign("standard", SECRET, body, msg_id="msg_1", timestamp=1614265330)
        with self.assertRaises(webhooks.SignatureMismatchError) as cm:
            webhooks.verify("standard", SECRET, h, body + b" ", now=1614265330)
        self.assertEqual(cm.exception.code, -15)
        self.assertIsInstance(cm.exception, webhooks.SignatureError)
        with self.assertRaises(webhooks.SignatureTooOldError):
            webhooks.verify("standard", SECRET, h, body, now=1614265330 + 3600)
        with self.assertRaises(webhooks.SignatureTooNewError):
            webhooks.verify("standard", SECRET, h, body, now=1614265330 - 3600)
        missing = {k: v for k, v in h.items() if k != "webhook-signature"}
        with self.assertRaises(webhooks.SignatureMissingError):
            webhooks.verify("standard", SECRET, missing, body, now=1614265330)
        bad = dict(h, **{"webhook-signature": "v1,!!!"})
        with self.assertRaises(webhooks.SignatureMalformedError):
            webhooks.verify("standard", SECRET, bad, body, now=1614265330)
        with self.assertRaises(webhooks.InvalidError):
            webhooks.sign("no-such-scheme", SECRET, body)
        with self.assertRaises(webhooks.InvalidError) as cm:
            webhooks.sign("standard", "whsec_!!notbase64", body)
        self.assertNotIn("notbase64", str(cm.exception))  # secrets never appear in errors

    def test_body_bytes_with_nul(self):
        body = b"a\x00b\xff"
        h = webhooks.sign("github", "k", body)
        self.assertTrue(webhooks.verify("github", "k", h, body))
        with self.assertRaises(webhooks.SignatureMismatchError):
            webhooks.verify("github", "k", h, b"a")

    def test_version(self):
        self.assertRegex(webhooks.version(), r"^\d+\.\d+\.\d+")


class TestObjects(unittest.TestCase):
    def test_subscription_json_round_trip(self):
        doc = {"name": "Sistema ERP \u00e9", "url": "https://erp.example.com/hooks",
               "events": ["order.*", "invoice.paid"], "headers": {"X-Source": "shop"},
               "secrets": [SECRET], "retry": {"schedule": [600, 600, 600]},
               "metadata": {"k": [1, 2]}}
        with webhooks.Subscription.from_json(doc) as sub:
            self.assertEqual(sub.name, "Sistema ERP \u00e9")
            self.assertEqual(sub.events, ["order.*", "invoice.paid"])
            self.assertEqual(sub.secrets, [SECRET])
            self.assertNotIn("secrets", sub.to_dict())
            full = sub.to_json(secrets=True)
            with webhooks.Subscription.from_json(full) as again:
                self.assertEqual(again.to_dict(secrets=True), json.loads(full))
                self.assertEqual(again.id, sub.id)
        self.assertTrue(sub.closed)
        with self.assertRaises(webhooks.StateError):
            sub.url

    def test_subscription_setters_and_patch(self):
        with webhooks.Subscription("https://example.com/a", ["a.b"], name="n") as sub:
            self.assertEqual(sub.url, "https://example.com/a")
            self.assertEqual(sub.name, "n")
            self.assertEqual(sub.status, "active")
            self.assertTrue(sub.secrets[0].startswith("whsec_"))
            sub.patch({"status": "disabled", "events": ["x.*"]})
            self.assertEqual(sub.status, "disabled")
            self.assertEqual(sub.events, ["x.*"])
            with self.assertRaises(webhooks.InvalidError):
                sub.url = "ftp://example.com"
            self.assertEqual(sub.url, "https://example.com/a")  # unchanged on error
            with self.assertRaises(webhooks.InvalidError):
                sub.set_header("webhook-signature", "forged")

    def test_invalid_subscription_lists_every_problem(self):
        bad = ('{"name":"","url":"ftp://example.com","events":["order..x"],'
               '"headers":{"Webhook-Signature":"forged"}}')
        with self.assertRaises(webhooks.InvalidError) as cm:
            webhooks.Subscription.from_json(bad)
        e = cm.exception
        self.assertEqual(e.code, -1)
        self.assertEqual(len(e.details), 4)
        self.assertTrue(any(d.startswith("url") for d in e.details), e.details)
        self.assertIsInstance(e, ValueError)
        with self.assertRaises(webhooks.InvalidError):
            webhooks.Subscription.from_json("{not json")

    def test_event(self):
        with webhooks.Event("order.created", {"total": 9.5, "name": "caf\u00e9"},
                            entity="Order", action="create", ids=["1", "2"],
                            attributes={"account": "acme"}, occurred_at=1700000000000) as ev:
            self.assertEqual(ev.type, "order.created")
            self.assertEqual(ev.data, {"total": 9.5, "name": "caf\u00e9"})
            self.assertEqual(ev.occurred_at, 1700000000000)
            d = ev.to_dict()
            self.assertEqual(d["ids"], ["1", "2"])
            self.assertEqual(d["attributes"], {"account": "acme"})
            with webhooks.Event.from_json(ev.to_json()) as again:
                self.assertEqual(again.to_dict(), d)
        with self.assertRaises(webhooks.InvalidError):
            webhooks.Event("bad type with spaces")
        with self.assertRaises(webhooks.InvalidError):
            webhooks.Event("a.b", data=b"{broken")


class TestHub(unittest.TestCase):
    def setUp(self):
        self.recv = Receiver()
        self.hub = webhooks.Hub(allow_cidrs=["127.0.0.0/8"], jitter_percent=0,
                                user_agent="py-test")

    def tearDown(self):
        self.hub.close()
        self.recv.close()

    def add(self, path, **extra):
        doc = {"url": self.recv.url(path), "events": ["order.*"], "secrets": [SECRET]}
        doc.update(extra)
        return self.hub.add(doc)

    def test_emit_and_deliver_signed(self):
        sub_id = self.add("/orders")
        data = {"id": 42, "note": "gr\u00fc\u00dfe"}
        self.assertEqual(self.hub.emit("order.created", data), 1)
        self.assertEqual(self.hub.emit("invoice.paid", {}), 0)
        self.assertTrue(self.hub.run_until(lambda: self.recv.count() >= 1, timeout_ms=10000))
        self.assertTrue(self.hub.run_until_idle(timeout_ms=10000))
        method, path, headers, body = self.recv.requests[0]
        self.assertEqual((method, path), ("POST", "/orders"))
        self.assertEqual(headers["User-Agent"], "py-test")
        self.assertEqual(headers["Content-Type"], "application/json")
        # verified here with hmac, independently of the library
        self.assertTrue(verify_standard_by_hand(SECRET, headers, body))
        self.assertTrue(webhooks.verify("standard", SECRET, headers, body))
        sent = json.loads(body.decode("utf-8"))
        self.assertEqual(sent["type"], "order.created")
        self.assertEqual(sent["data"], data)
        # the outcome is recorded
        dl = self.hub.deliveries(sub_id)
        self.assertEqual(dl.total, 1)
        self.assertEqual(dl[0]["status"], "succeeded")
        self.assertEqual(dl[0]["lastStatus"], 200)
        full = self.hub.delivery(dl[0]["id"])
        self.assertEqual(full["body"].encode("utf-8"), body)
        attempts = self.hub.attempts(delivery_id=dl[0]["id"])
        self.assertEqual([a["httpStatus"] for a in attempts], [200])
        self.assertEqual(self.hub.get(sub_id).to_dict()["lastDeliveryStatus"], 200)

    def test_failure_disables_and_callbacks_fire(self):
        disabled, lines = [], []
        self.hub.close()
        self.hub = webhooks.Hub(allow_cidrs=["127.0.0.0/8"],
                                on_disable=lambda sid, reason: disabled.append((sid, reason)),
                                log=lambda level, msg: lines.append((level, msg)),
                                log_level=webhooks.LOG_DEBUG)
        self.recv.statuses["/gone"] = 410
        sub_id = self.add("/gone")
        self.hub.emit("order.created", {})
        self.assertTrue(self.hub.run_until(lambda: disabled, timeout_ms=10000))
        self.assertEqual(disabled[0][0], sub_id)
        self.assertIn("410", disabled[0][1])
        self.assertTrue(lines)
        self.assertEqual(self.hub.get(sub_id).status, "disabled")
        self.assertEqual(self.hub.deliveries(sub_id, status="failed").total, 1)

    def test_retry_then_replay(self):
        self.recv.statuses["/flaky"] = 500
        sub_id = self.add("/flaky", retry={"enabled": False})
        self.hub.emit("order.updated", {})
        self.assertTrue(self.hub.run_until(
            lambda: self.hub.deliveries(sub_id, status="failed").total == 1, timeout_ms=10000))
        self.recv.statuses["/flaky"] = 200
        delivery_id = self.hub.deliveries(sub_id)[0]["id"]
        self.hub.replay(delivery_id)
        self.assertTrue(self.hub.run_until(
            lambda: self.hub.delivery(delivery_id)["status"] == "succeeded", timeout_ms=10000))
        self.assertEqual(self.recv.count(), 2)
        # the same idempotency key on both attempts
        keys = {h["webhook-id"] for _, _, h, _ in self.recv.requests}
        self.assertEqual(len(keys), 1)

    def test_recover_after_disabling(self):
        sub_id = self.add("/back", retry={"enabled": False})
        self.hub.emit("order.updated", {})  # queued: the hub has not run
        self.hub.patch(sub_id, {"status": "disabled"})
        failed = self.hub.deliveries(sub_id, status="failed")
        self.assertEqual(failed.total, 1)  # failed at once, never sent
        self.assertIn("disabled", failed[0]["lastError"])
        with self.assertRaises(webhooks.StateError):
            self.hub.recover(sub_id)
        self.hub.patch(sub_id, {"status": "active"})
        self.assertEqual(self.hub.recover(sub_id), 1)
        self.assertTrue(self.hub.run_until(
            lambda: self.hub.deliveries(sub_id, status="succeeded").total == 1, timeout_ms=10000))

    def test_emit_batch(self):
        self.add("/batch")
        events = [webhooks.Event("order.created", {"n": i}) for i in range(3)]
        try:
            self.assertEqual(self.hub.emit_batch(events), 3)
        finally:
            for ev in events:
                ev.close()
        self.assertTrue(self.hub.run_until(lambda: self.recv.count() >= 3, timeout_ms=10000))
        got = sorted(json.loads(b)["data"]["n"] for _, _, _, b in self.recv.requests)
        self.assertEqual(got, [0, 1, 2])

    def test_crud_and_errors(self):
        sub_id = self.add("/crud", name="first")
        with self.assertRaises(webhooks.ConflictError):
            self.hub.add({"id": sub_id, "url": self.recv.url("/x"), "events": ["a.b"]})
        with self.assertRaises(webhooks.NotFoundError) as cm:
            self.hub.get("no-such-id")
        self.assertEqual(cm.exception.code, -2)
        patched = self.hub.patch(sub_id, {"name": "second"})
        self.assertEqual(patched.name, "second")
        self.assertEqual([s["name"] for s in self.hub.subscriptions()], ["second"])
        new = self.hub.rotate_secret(sub_id)
        self.assertTrue(new.startswith("whsec_"))
        self.assertEqual(self.hub.get(sub_id).secrets[0], new)
        self.hub.delete(sub_id)
        with self.assertRaises(webhooks.NotFoundError):
            self.hub.delete(sub_id)
        self.assertEqual(self.hub.subscriptions().total, 0)
        with self.assertRaises(webhooks.InvalidError) as cm:
            self.hub.add({"url": "http://10.0.0.1/x", "events": ["a.b"]})  # SSRF guard
        self.assertTrue(cm.exception.details)

    def test_bad_hub_options_name_the_key(self):
        with self.assertRaises(webhooks.InvalidError) as cm:
            webhooks.Hub(max_in_fligth=3)
        self.assertIn("max_in_fligth", str(cm.exception))
        with self.assertRaises(webhooks.InvalidError) as cm:
            webhooks.Hub(jitter_percent=500)
        self.assertIn("jitter_percent", str(cm.exception))
        self.assertEqual(cm.exception.error_name, "WH_EINVAL")
        with self.assertRaises(webhooks.InvalidError):
            webhooks.Hub(allow_cidrs=["300.1.1.1"])

    def test_pollfds_and_timeout(self):
        fds = self.hub.pollfds()
        self.assertTrue(fds)
        self.assertTrue(all(isinstance(fd, int) and fd >= 0 for fd, _ in fds))
        self.assertEqual(fds[-1][1], select.POLLIN)
        self.assertEqual(self.hub.timeout_ms(), -1)
        self.add("/p")
        self.hub.emit("order.created", {})
        self.assertEqual(self.hub.timeout_ms(), 0)

    def test_clock_injection(self):
        with webhooks.Hub(clock=lambda: 1900000000000) as hub:
            self.assertEqual(hub.now(), 1900000000000)
        self.assertLess(self.hub.now(), 1900000000000)

    def test_default_retry_schedule(self):
        with webhooks.Hub(allow_cidrs=["127.0.0.0/8"], default_retry_schedule=[7, 8, 9]) as hub:
            sub_id = hub.add({"url": self.recv.url("/r"), "events": ["a.b"]})
            self.assertEqual(hub.get(sub_id).to_dict()["retry"]["schedule"], [7, 8, 9])


    def test_payload_filter(self):
        sub_id = self.add("/filtered", filter={"data.total": {"$gte": 100}})
        self.assertEqual(self.hub.get(sub_id).to_dict()["filter"], {"data.total": {"$gte": 100}})
        self.assertEqual(self.hub.emit("order.created", {"total": 150}), 1)
        self.assertEqual(self.hub.emit("order.created", {"total": 50}), 0)
        self.assertEqual(self.hub.emit("order.created", {"total": "150"}), 0)
        with self.assertRaises(webhooks.InvalidError) as cm:
            self.add("/bad", filter={"data.total": {"$gtx": 1}})
        self.assertTrue(any("data.total" in d for d in cm.exception.details))

    def test_event_accepted_once(self):
        with webhooks.Hub(allow_cidrs=["127.0.0.0/8"]) as hub:
            sub_id = hub.add({"url": self.recv.url("/once"), "events": ["order.*"]})
            self.assertEqual(hub.emit("order.created", {}, id="evt_once"), 1)
            with self.assertRaises(webhooks.ConflictError) as raised:
                hub.emit("order.created", {}, id="evt_once")
            self.assertIn("evt_once", str(raised.exception))
            self.assertEqual(hub.deliveries(sub_id).total, 1)
        with webhooks.Store.memory(max_event_ids=1) as store:
            with webhooks.Hub(store, event_id_window_ms=0) as hub:  # off: accepted again
                hub.emit("order.created", {}, id="evt_twice")
                hub.emit("order.created", {}, id="evt_twice")

    def test_memory_cap_and_retention(self):
        with webhooks.Store.memory(max_finished=2) as store:
            with webhooks.Hub(store, allow_cidrs=["127.0.0.0/8"]) as hub:
                sub_id = hub.add({"url": self.recv.url("/cap"), "events": ["order.*"]})
                for i in range(5):
                    hub.emit("order.created", {"n": i})
                self.assertTrue(hub.run_until(lambda: self.recv.count() >= 5, timeout_ms=10000))
                self.assertTrue(hub.run_until_idle(timeout_ms=10000))
                self.assertEqual(hub.deliveries(sub_id).total, 2)  # the newest two
        with self.assertRaises(webhooks.InvalidError):
            webhooks.Store.memory(max_finshed=2)
        now = [1900000000000]
        with webhooks.Hub(allow_cidrs=["127.0.0.0/8"], clock=lambda: now[0],
                          retention_ms=3600000, slow_after_ms=500) as hub:
            sub_id = hub.add({"url": self.recv.url("/old"), "events": ["order.*"]})
            hub.emit("order.created", {})
            self.assertTrue(hub.run_until(
                lambda: hub.deliveries(sub_id, status="succeeded").total == 1, timeout_ms=10000))
            now[0] += 2 * 3600000  # two hours later the delivery is past retention
            self.assertTrue(hub.run_until(lambda: hub.deliveries(sub_id).total == 0,
                                          timeout_ms=10000))


class TestPostgres(unittest.TestCase):
    """Against a throw-away server (the wh_pg_server helper make test builds and names in
    WH_PG_SERVER; it stops the server when its standard input closes)."""

    @classmethod
    def setUpClass(cls):
        helper = os.environ.get("WH_PG_SERVER")
        if not helper:
            raise unittest.SkipTest("WH_PG_SERVER is not set")
        cls.pg = subprocess.Popen([helper], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  text=True)
        cls.uri = cls.pg.stdout.readline().strip()
        if not cls.uri:  # its reason is on stderr
            cls.pg.wait(60)
            raise RuntimeError("the PostgreSQL helper started no server")

    @classmethod
    def tearDownClass(cls):
        cls.pg.stdin.close()
        cls.pg.wait(60)

    def test_two_hubs_share_the_database(self):
        recv = Receiver()
        try:
            with webhooks.Store.postgres(self.uri, max_connections=2) as s1, \
                    webhooks.Store.postgres(self.uri) as s2:
                with webhooks.Hub(s1, allow_cidrs=["127.0.0.0/8"], shared_queue=True) as a, \
                        webhooks.Hub(s2, allow_cidrs=["127.0.0.0/8"], shared_queue=True) as b:
                    a.add({"url": recv.url("/pg"), "events": ["order.*"]})
                    # b learns the webhook from the database; then b delivers what it emits
                    self.assertTrue(b.run_until(lambda: b.emit("order.created", {}) == 1,
                                                timeout_ms=5000))
                    self.assertTrue(b.run_until(lambda: recv.count() >= 1, timeout_ms=10000))
            with self.assertRaises(webhooks.InvalidError):
                webhooks.Store.postgres(self.uri, colour="blue")
        finally:
            recv.close()


class TestSqliteAndApi(unittest.TestCase):
    def test_sqlite_store_persists(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "hooks.db")
            with webhooks.Store.sqlite(path, synchronous="normal") as store:
                with webhooks.Hub(store, allow_cidrs=["127.0.0.0/8"]) as hub:
                    sub_id = hub.add({"url": "http://127.0.0.1:9/x", "events": ["a.b"]})
                    with self.assertRaises(webhooks.StateError):
                        store.close()  # the hub still uses it
            with webhooks.Store.sqlite(path, read_only=True) as store:
                self.assertEqual([s["id"] for s in store.subscriptions()], [sub_id])
            with self.assertRaises(webhooks.InvalidError):
                webhooks.Store.sqlite(path, colour="blue")
            with self.assertRaises(webhooks.NotFoundError):
                webhooks.Store.sqlite(os.path.join(d, "absent.db"), read_only=True)

    def test_registration_api(self):
        with webhooks.Hub(allow_cidrs=["127.0.0.0/8"]) as hub, webhooks.Api(hub) as api:
            api.add_key("pk_test_1", "user-1")
            api.add_event_type("order.created", "Order created")
            r = api.handle("POST", "/webhooks", headers={"x-api-key": "pk_test_1"},
                           body=json.dumps({"url": "http://127.0.0.1:9/h",
                                            "events": ["order.created"]}))
            self.assertEqual(r.status, 201, r.body)
            self.assertEqual(r.header("content-type"), "application/json")
            created = r.json()
            r = api.handle("GET", "/webhooks", query="limit=10",
                           headers=[("Authorization", "Bearer pk_test_1")])
            self.assertEqual(r.status, 200)
            self.assertEqual([w["id"] for w in r.json()["webhooks"]], [created["id"]])
            self.assertEqual(api.handle("GET", "/webhooks").status, 401)
            # a host's own authentication callback
            api.set_auth(lambda cred: ("user-2", "webhooks:read") if cred == "sess" else None)
            r = api.handle("GET", "/webhooks", headers={"x-api-key": "sess"})
            self.assertEqual((r.status, r.json()["webhooks"]), (200, []))
            self.assertEqual(api.handle("GET", "/webhooks", headers={"x-api-key": "x"}).status,
                             401)
            r = api.handle("POST", "/webhooks", headers={"x-api-key": "sess"}, body="{}")
            self.assertEqual(r.status, 403)
            with self.assertRaises(webhooks.StateError):
                hub.close()  # the Api still borrows it


if __name__ == "__main__":
    unittest.main()
