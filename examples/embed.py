#!/usr/bin/env python3
"""examples/embed.py: the smallest complete host of libwebhooks in Python.

A hub (a memory store and libcurl), one webhook registered in code, one event emitted, and the
hub's loop run until the delivery is done. Usage:

    python3 embed.py http://127.0.0.1:9000/hooks      (the receiver's URL)

Install the package first (pip install ./bindings/python) and the library (cmake --install), or
set WEBHOOKS_LIB to libwebhooks.so. Exits 0 only when the receiver answered 2xx.
"""
import sys

import webhooks

url = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:9000/hooks"

# The SSRF guard refuses private addresses such as 127.0.0.1 unless allowed: the receiver of
# this example runs on loopback.
with webhooks.Hub(allow_cidrs=["127.0.0.0/8"]) as hub:
    webhook_id = hub.add({"url": url, "events": ["order.*"]})
    secret = hub.get(webhook_id).secrets[0]
    print("webhook %s signs with %s" % (webhook_id, secret))
    print("  check its deliveries with: webhooks listen --secret %s" % secret)
    hub.emit("order.created", {"orderId": 42, "total": "19.90"})
    hub.run_until_idle(timeout_ms=10000)
    delivery = hub.deliveries(webhook_id)[0]
    print("delivery %s: %s (%s)" % (delivery["id"], delivery["status"], delivery["lastStatus"]))
    sys.exit(0 if delivery["status"] == "succeeded" else 1)
