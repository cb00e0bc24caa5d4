// Cross-checks the `webhooks` CLI against each scheme's reference library:
//   (a) signatures the CLI makes verify with standardwebhooks, @octokit/webhooks-methods and
//       stripe's constructEvent;
//   (b) signatures those libraries make verify with the CLI.
// Negative controls (tampered body, wrong secret) make sure each check can fail.
// Usage: node crosscheck.mjs PATH_TO_WEBHOOKS_CLI
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { sign as ghSign, verify as ghVerify } from "@octokit/webhooks-methods";
import { Webhook } from "standardwebhooks";
import Stripe from "stripe";

const cli = process.argv[2];
if (!cli) {
  console.error("usage: node crosscheck.mjs PATH_TO_WEBHOOKS_CLI");
  process.exit(2);
}
const stripe = new Stripe("sk_test_crosscheck_no_network");
const dir = mkdtempSync(join(tmpdir(), "wh-crosscheck-"));
let passed = 0;
let failed = 0;

function check(cond, what) {
  if (cond) passed++;
  else {
    failed++;
    console.error(`FAIL: ${what}`);
  }
}

async function throwsOrFalse(fn) {
  try {
    const r = await fn();
    return r === false;
  } catch {
    return true;
  }
}

// Run the CLI with the body as a file (or on stdin when viaStdin); returns {status, stdout, stderr}.
let fileNo = 0;
function run(args, body, viaStdin = false) {
  const opts = { encoding: "utf8" };
  if (viaStdin) opts.input = body;
  else {
    const file = join(dir, `body${fileNo++}`);
    writeFileSync(file, body);
    args = [...args, file];
  }
  const r = spawnSync(cli, args, opts);
  if (r.error) throw r.error;
  return r;
}

// `webhooks sign` output -> { lowercased name: value }
function cliSign(scheme, secrets, body, extra = [], viaStdin = false) {
  const args = ["sign", "--scheme", scheme, ...secrets.flatMap((s) => ["--secret", s]), ...extra];
  const r = run(args, body, viaStdin);
  if (r.status !== 0) throw new Error(`sign failed (${r.status}): ${r.stderr}`);
  const headers = {};
  for (const line of r.stdout.split("\n").filter(Boolean)) {
    const i = line.indexOf(": ");
    headers[line.slice(0, i).toLowerCase()] = line.slice(i + 2);
  }
  return headers;
}

function cliVerify(scheme, secret, headers, body, viaStdin = false) {
  const args = ["verify", "--scheme", scheme, "--secret", secret];
  for (const [k, v] of Object.entries(headers)) args.push("--header", `${k}: ${v}`);
  return run(args, body, viaStdin);
}

const whsec = (n) => "whsec_" + randomBytes(n).toString("base64");
const bodies = [
  '{"type":"order.created","data":{"id":42,"total":"19.99"}}',
  '{"type":"contact.updated","name":"Zoë Ångström — 東京 🚀","note":"tab\\tquote\\""}',
  JSON.stringify({ big: "x".repeat(100000) }),
  '{"trailing":"newline"}\n',
];
const rawBodies = ["plain text, not JSON", "with\u0000NUL\u0000bytes", "", "a\r\nb\r\n"];

// ---- Standard Webhooks ----
for (const n of [24, 32, 64]) {
  const secret = whsec(n);
  const ref = new Webhook(secret);
  for (const body of [...bodies, ...rawBodies]) {
    const isJson = bodies.includes(body);
    const label = `standard ${n}-byte secret, body ${JSON.stringify(body).slice(0, 30)}`;
    // (a) the CLI signs (now, a new msg_ id) and the reference verifies.
    const h = cliSign("standard", [secret], body, [], body.length % 2 === 0);
    let ok = true;
    try {
      ref.verify(body, h, { jsonParse: isJson });
    } catch (e) {
      ok = false;
      console.error(`  reference says: ${e.message}`);
    }
    check(ok, `${label}: standardwebhooks verifies the CLI's signature`);
    check(
      await throwsOrFalse(() => ref.verify(body + " ", h, { jsonParse: false })),
      `${label}: standardwebhooks rejects a tampered body`,
    );
    // (b) the reference signs and the CLI verifies.
    const id = "msg_" + randomBytes(12).toString("hex");
    const now = new Date();
    const rh = {
      "webhook-id": id,
      "webhook-timestamp": String(Math.floor(now.getTime() / 1000)),
      "webhook-signature": ref.sign(id, now, body),
    };
    const r = cliVerify("standard", secret, rh, body, body.length % 2 === 1);
    check(r.status === 0 && r.stdout === "valid\n", `${label}: CLI verifies standardwebhooks' signature (${r.stdout}${r.stderr})`);
    const bad = cliVerify("standard", whsec(n), rh, body);
    check(bad.status === 1, `${label}: CLI rejects it with another secret`);
  }
}
{
  // The published vector, signed by the reference library, equals the CLI's output.
  const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
  const body = '{"test": 2432232314}';
  const ref = new Webhook(secret).sign("msg_p5jXN8AQM9LWM0D4loKWxJek", new Date(1614265330000), body);
  const h = cliSign("standard", [secret], body, ["--id", "msg_p5jXN8AQM9LWM0D4loKWxJek", "--timestamp", "1614265330"]);
  check(h["webhook-signature"] === ref, `standard vector: CLI ${h["webhook-signature"]} == reference ${ref}`);
  // Rotation: with two secrets the header lists two signatures; the reference accepts each.
  const a = whsec(32), b = whsec(32);
  const h2 = cliSign("standard", [a, b], bodies[0]);
  check(h2["webhook-signature"].split(" ").length === 2, "standard: two secrets give two signatures");
  for (const s of [a, b]) {
    let ok = true;
    try { new Webhook(s).verify(bodies[0], h2); } catch { ok = false; }
    check(ok, "standard: the reference verifies a two-secret header with either secret");
  }
}

// ---- GitHub ----
for (const secret of ["It's a Secret to Everybody", randomBytes(20).toString("hex"), "ünïcödé sécret"]) {
  for (const body of [...bodies, ...rawBodies.filter((b) => b !== "")]) {
    const label = `github secret ${JSON.stringify(secret).slice(0, 12)}, body ${JSON.stringify(body).slice(0, 30)}`;
    const h = cliSign("github", [secret], body, [], body.length % 2 === 0);
    const sig = h["x-hub-signature-256"];
    check((await ghVerify(secret, body, sig)) === true, `${label}: octokit verifies the CLI's signature`);
    check((await ghVerify(secret + "x", body, sig)) === false, `${label}: octokit rejects another secret`);
    const refSig = await ghSign(secret, body);
    check(refSig === sig, `${label}: octokit's signature equals the CLI's`);
    const r = cliVerify("github", secret, { "X-Hub-Signature-256": refSig }, body);
    check(r.status === 0 && r.stdout === "valid\n", `${label}: CLI verifies octokit's signature (${r.stdout}${r.stderr})`);
    const bad = cliVerify("github", secret, { "X-Hub-Signature-256": refSig }, body + "!");
    check(bad.status === 1, `${label}: CLI rejects a tampered body`);
  }
}

// ---- Stripe ----
for (const secret of [whsec(32), "whsec_" + randomBytes(24).toString("hex"), "any-string-secret"]) {
  for (const body of bodies) {
    const label = `stripe secret ${secret.slice(0, 10)}…, body ${JSON.stringify(body).slice(0, 30)}`;
    const h = cliSign("stripe", [secret], body, [], body.length % 2 === 0);
    let event = null;
    try {
      event = stripe.webhooks.constructEvent(body, h["stripe-signature"], secret);
    } catch (e) {
      console.error(`  stripe says: ${e.message}`);
    }
    check(event !== null && JSON.stringify(event) === JSON.stringify(JSON.parse(body)), `${label}: stripe constructEvent accepts the CLI's header`);
    check(
      await throwsOrFalse(() => stripe.webhooks.constructEvent(body, h["stripe-signature"], secret + "x")),
      `${label}: stripe rejects another secret`,
    );
    const ts = Math.floor(Date.now() / 1000);
    const refHeader = stripe.webhooks.generateTestHeaderString({ payload: body, secret, timestamp: ts });
    const mine = cliSign("stripe", [secret], body, ["--timestamp", String(ts)]);
    check(mine["stripe-signature"] === refHeader, `${label}: stripe's header equals the CLI's`);
    const r = cliVerify("stripe", secret, { "Stripe-Signature": refHeader }, body, true);
    check(r.status === 0 && r.stdout === "valid\n", `${label}: CLI verifies stripe's header (${r.stdout}${r.stderr})`);
    const old = stripe.webhooks.generateTestHeaderString({ payload: body, secret, timestamp: ts - 3600 });
    const stale = cliVerify("stripe", secret, { "Stripe-Signature": old }, body);
    check(stale.status === 1 && stale.stdout.includes("too old"), `${label}: CLI rejects an hour-old stripe header`);
  }
}
{
  // Rotation: one v1= per secret; stripe accepts the header with either secret.
  const a = whsec(32), b = whsec(32);
  const h = cliSign("stripe", [a, b], bodies[0]);
  check((h["stripe-signature"].match(/v1=/g) || []).length === 2, "stripe: two secrets give two v1=");
  for (const s of [a, b]) {
    let ok = true;
    try { stripe.webhooks.constructEvent(bodies[0], h["stripe-signature"], s); } catch { ok = false; }
    check(ok, "stripe: constructEvent accepts a two-secret header with either secret");
  }
}

rmSync(dir, { recursive: true, force: true });
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
