#!/usr/bin/env python3
"""examples/embed.py: the smallest complete host of libwebhooks in Python.

A hub (a memory store and libcurl), one webhook registered in code, one event emitted, and the
hub's loop run until the delivery is done. Usage:

    python3 embed.py URL [SECRET]

URL is the receiver's (default http://127.0.0.1:9000/hooks, where `webhooks listen` listens);
SECRET the one it verifies with (default: a generated one, printed). Install the package first (pip install ./bindings/python) and the library (cmake --install), or
set WEBHOOKS_LIB to libwebhooks.so. Exits 0 only when the receiver answered 2xx.
"""
import sys

import webhooks

url = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:9000/hooks"
webhook = {"url": url, "events": ["order.*"]}
if len(sys.argv) > 2:
    webhook["secrets"] = [sys.argv[2]]  # without: one is generated when the webhook is added

# The SSRF guard refuses private addresses such as 127.0.0.1 unless allowed: the receiver of
# this example runs on loopback.
with webhooks.Hub(allow_cidrs=["127.0.0.0/8"]) as hub:
    webhook_id = hub.add(webhook)
    print("webhook %s signs with %s" % (webhook_id, hub.get(webhook_id).secrets[0]))
    hub.emit("order.created", {"orderId": 42, "total": "19.90"})
    hub.run_until_idle(timeout_ms=10000)
    delivery = hub.deliveries(webhook_id)[0]
    print("delivery %s: %s (%s)" % (delivery["id"], delivery["status"], delivery["lastStatus"]))
    sys.exit(0 if delivery["status"] == "succeeded" else 1)
