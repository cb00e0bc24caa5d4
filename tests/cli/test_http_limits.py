#!/usr/bin/env python3
"""The HTTP servers of `webhooks serve` and `webhooks listen` against hostile clients, on
127.0.0.1 only, with raw sockets (curl cannot send most of these requests).

    test_http_limits.py WEBHOOKS_BINARY

- malformed requests are answered at once (400, 414 or 431), never left to a timeout: two
  Content-Length headers that disagree, a NUL in a header value, 1 000 query parameters, %00 in
  the path or the query;
- up to the documented number of header fields reach the API (an Authorization header as the
  71st authenticates), more get 431;
- slowloris: while many connections trickle their headers one byte at a time from the same
  address, at least 95 % of a fresh client's requests succeed.
Every loop is bounded in count and time; the servers are always stopped.
"""
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

BIN = sys.argv[1]
KEY = "k1"
fails = 0


def check(name, got, want):
    global fails
    if got == want:
        print("ok: %s" % name)
    else:
        print("FAIL: %s: got %r, want %r" % (name, got, want))
        fails += 1


def start(*args):
    """Start BIN with args on port 0; return (process, port, stderr file)."""
    err = tempfile.NamedTemporaryFile(prefix="wh-limits-", delete=False)
    p = subprocess.Popen([BIN, *args, "--listen", "127.0.0.1:0"], stdout=subprocess.DEVNULL,
                         stderr=err)
    deadline = time.time() + 10
    while time.time() < deadline:
        with open(err.name) as f:
            m = re.search(r"(?:listening on|API on) http://127\.0\.0\.1:(\d+)/", f.read())
        if m:
            return p, int(m.group(1)), err.name
        if p.poll() is not None:
            break
        time.sleep(0.05)
    p.kill()
    sys.exit("FAIL: %s did not start: %s" % (args[0], open(err.name).read()))


def stop(p, err):
    p.send_signal(signal.SIGTERM)
    try:
        p.wait(timeout=10)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
    os.unlink(err)


def raw(port, data, timeout=5.0):
    """Send raw bytes, return (status or None, seconds taken)."""
    t0 = time.time()
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        s.sendall(data)
        got = b""
        while b"\r\n" not in got:
            chunk = s.recv(4096)
            if not chunk:
                break
            got += chunk
    except (socket.timeout, ConnectionResetError):
        got = b""
    finally:
        s.close()
    m = re.match(rb"HTTP/1\.[01] (\d{3})", got)
    return (int(m.group(1)) if m else None), time.time() - t0


def request(method, target, headers=(), body=b""):
    lines = ["%s %s HTTP/1.1" % (method, target), "Host: 127.0.0.1"]
    lines += ["%s: %s" % h for h in headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def malformed_requests(port):
    auth = ("x-api-key", KEY)
    status, took = raw(port, request("POST", "/events", [auth, ("Content-Type", "application/json"),
                                                         ("Content-Length", "2"),
                                                         ("Content-Length", "5")], b"{}"))
    check("two Content-Length headers that disagree", status, 400)
    check("... answered at once", took < 2, True)
    status, _ = raw(port, request("GET", "/webhooks", [auth]).replace(
        b"x-api-key: k1", b"x-api-key: k1\x00junk"))
    check("a NUL in a header value", status, 400)
    status, _ = raw(port, request("GET", "/webhooks", [auth]).replace(b"\r\n", b"\n"))
    check("header lines ended by a bare LF", status, 400)
    query = "&".join("p%d=1" % i for i in range(1000))
    status, took = raw(port, request("GET", "/webhooks?" + query, [auth]))
    check("1 000 query parameters", status, 414)
    check("... answered at once", took < 2, True)
    status, _ = raw(port, request("GET", "/webhooks%00x", [auth]))
    check("%00 in the path", status, 400)
    status, _ = raw(port, request("GET", "/webhooks?limit=1%00", [auth]))
    check("%00 in the query", status, 400)
    status, _ = raw(port, request("GET", "/webhooks?limit=5", [auth]))
    check("a plain request still works", status, 200)


def many_headers(port):
    filler = [("X-F%d" % i, "v") for i in range(70)]
    status, _ = raw(port, request("GET", "/webhooks", filler + [("x-api-key", KEY)]))
    check("x-api-key as the 71st header field authenticates", status, 200)
    filler = [("X-F%d" % i, "v") for i in range(120)]
    status, _ = raw(port, request("GET", "/webhooks", filler + [("x-api-key", KEY)]))
    check("more than 100 header fields", status, 431)


def slowloris(port, attackers=300, seconds=8.0):
    """Attackers trickle a header one byte every 0.5 s and reconnect when cut; a prober sends
    a request every 100 ms. Returns the share of probes answered 200."""
    stop_at = time.time() + seconds
    cut = [0]

    def attacker():
        while time.time() < stop_at:
            try:
                s = socket.create_connection(("127.0.0.1", port), timeout=2)
                s.sendall(b"GET /webhooks HTTP/1.1\r\nHost: x\r\nX-Slow: ")
                while time.time() < stop_at:
                    s.sendall(b"a")
                    time.sleep(0.5)
            except OSError:
                cut[0] += 1
                time.sleep(0.05)
            finally:
                try:
                    s.close()
                except Exception:
                    pass

    threads = [threading.Thread(target=attacker, daemon=True) for _ in range(attackers)]
    for t in threads:
        t.start()
    time.sleep(1.0)  # let the attack fill the server
    ok = total = 0
    while time.time() < stop_at - 0.2:
        status, _ = raw(port, request("GET", "/webhooks", [("x-api-key", KEY)]), timeout=2)
        total += 1
        ok += status == 200
        time.sleep(0.1)
    for t in threads:
        t.join(timeout=5)
    print("slowloris: %d of %d probes answered 200; attacker connections cut %d times"
          % (ok, total, cut[0]))
    return ok / max(total, 1), total


def main():
    db = tempfile.mkdtemp(prefix="wh-limits-db-")
    p, port, err = start("serve", "--db", os.path.join(db, "h.db"), "--api-key",
                         KEY + ":bob:*", "--quiet")
    try:
        malformed_requests(port)
        many_headers(port)
        share, total = slowloris(port)
        check("slowloris: at least 95 % of the probes succeed", share >= 0.95, True)
        check("slowloris: probes were sent", total >= 30, True)
    finally:
        stop(p, err)
    # `webhooks listen` runs on the same server code: one malformed request is enough here.
    p, port, err = start("listen", "--secret", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
    try:
        status, _ = raw(port, request("POST", "/h?" + "&".join("a=%d" % i for i in range(500))))
        check("listen: too many query parameters", status, 414)
    finally:
        stop(p, err)
    print("%d failures" % fails)
    sys.exit(1 if fails else 0)


if __name__ == "__main__":
    main()
