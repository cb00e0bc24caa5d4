// Tests of the Node package (bindings/node) against the shared library named by WEBHOOKS_LIB,
// run by ctest (bindings.node) from the package installed with npm from the tarball `npm pack`
// makes, not from the source folder (run_tests.sh).
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

import * as wh from 'libwebhooks';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

/** A loopback receiver (node:http on 127.0.0.1, port 0) recording every request and answering
 *  with the status set for its path (200 by default). */
async function startReceiver() {
  const r = { requests: [], statuses: {} };
  r.server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      r.requests.push({ method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks) });
      res.writeHead(r.statuses[req.url.split('?')[0]] ?? 200, { 'content-type': 'text/plain' });
      res.end('ok');
    });
  });
  await new Promise((resolve) => r.server.listen(0, '127.0.0.1', resolve));
  r.url = (p) => `http://127.0.0.1:${r.server.address().port}${p}`;
  r.close = () => new Promise((resolve) => {
    r.server.closeAllConnections();
    r.server.close(resolve);
  });
  return r;
}

/** The Standard Webhooks check written with node:crypto only. */
function verifyStandardByHand(secret, headers, body) {
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
  const signed = Buffer.concat([
    Buffer.from(`${headers['webhook-id']}.${headers['webhook-timestamp']}.`), body]);
  const expected = crypto.createHmac('sha256', key).update(signed).digest();
  return headers['webhook-signature'].split(' ').some((s) => {
    const sig = Buffer.from(s.split(',')[1] ?? '', 'base64');
    return sig.length === expected.length && crypto.timingSafeEqual(sig, expected);
  });
}

describe('signatures', () => {
  test('Standard Webhooks known answer', () => {
    const body = '{"test": 2432232314}';
    const h = wh.sign('standard', SECRET, body,
      { msgId: 'msg_p5jXN8AQM9LWM0D4loKWxJek', timestamp: 1614265330 });
    assert.equal(h['webhook-signature'], 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
    assert.equal(h['webhook-id'], 'msg_p5jXN8AQM9LWM0D4loKWxJek');
    assert.equal(h['webhook-timestamp'], '1614265330');
    assert.equal(wh.verify('standard', SECRET, h, body, { now: 1614265330 }), true);
    assert.ok(verifyStandardByHand(SECRET, h, Buffer.from(body)));
  });

  test('GitHub known answer', () => {
    const h = wh.sign('github', "It's a Secret to Everybody", 'Hello, World!');
    assert.equal(h['X-Hub-Signature-256'],
      'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17');
    assert.ok(wh.verify('github', ["It's a Secret to Everybody"], h, Buffer.from('Hello, World!')));
  });

  test('Stripe round trip with two secrets', () => {
    const h = wh.sign('stripe', ['whsec_new', 'whsec_old'], '{}', { timestamp: 1700000000 });
    assert.equal(h['Stripe-Signature'].match(/v1=/g).length, 2);
    assert.ok(wh.verify('stripe', 'whsec_old', h, '{}', { now: 1700000001 }));
  });

  test('failures throw the right error', () => {
    const body = Buffer.from('{"test": 2432232314}');
    const h = wh.sign('standard', SECRET, body, { msgId: 'msg_1', timestamp: 1614265330 });
    const now = { now: 1614265330 };
    assert.throws(() => wh.verify('standard', SECRET, h, Buffer.concat([body, Buffer.from(' ')]), now),
      (e) => e instanceof wh.SignatureMismatchError && e instanceof wh.SignatureError && e.code === -15);
    assert.throws(() => wh.verify('standard', SECRET, h, body, { now: 1614265330 + 3600 }),
      wh.SignatureTooOldError);
    assert.throws(() => wh.verify('standard', SECRET, h, body, { now: 1614265330 - 3600 }),
      wh.SignatureTooNewError);
    const { 'webhook-signature': _, ...missing } = h;
    assert.throws(() => wh.verify('standard', SECRET, missing, body, now), wh.SignatureMissingError);
    assert.throws(() => wh.verify('standard', SECRET, { ...h, 'webhook-signature': 'v1,!!!' }, body, now),
      wh.SignatureMalformedError);
    assert.throws(() => wh.sign('no-such-scheme', SECRET, body), wh.InvalidError);
    assert.throws(() => wh.sign('standard', 'whsec_!!notbase64', body),
      (e) => e instanceof wh.InvalidError && !e.message.includes('notbase64'));
  });

  test('binary bodies with NUL bytes', () => {
    const body = Buffer.from([0x61, 0x00, 0x62, 0xff]);
    const h = wh.sign('github', 'k', body);
    assert.ok(wh.verify('github', 'k', h, body));
    assert.throws(() => wh.verify('github', 'k', h, Buffer.from('a')), wh.SignatureMismatchError);
  });

  test('version', () => assert.match(wh.version(), /^\d+\.\d+\.\d+/));
});

describe('objects', () => {
  test('subscription JSON round trip', () => {
    const doc = {
      name: 'Sistema ERP é', url: 'https://erp.example.com/hooks', events: ['order.*', 'invoice.paid'],
      headers: { 'X-Source': 'shop' }, secrets: [SECRET], retry: { schedule: [600, 600, 600] },
      metadata: { k: [1, 2] },
    };
    const sub = wh.Subscription.fromJson(doc);
    assert.equal(sub.name, 'Sistema ERP é');
    assert.deepEqual(sub.events, ['order.*', 'invoice.paid']);
    assert.deepEqual(sub.secrets, [SECRET]);
    assert.equal(sub.toObject().secrets, undefined);
    const full = sub.toJson({ secrets: true });
    const again = wh.Subscription.fromJson(full);
    assert.deepEqual(again.toObject({ secrets: true }), JSON.parse(full));
    assert.equal(again.id, sub.id);
    again.close();
    sub.close();
    assert.ok(sub.closed);
    assert.throws(() => sub.url, wh.StateError);
  });

  test('subscription setters and patch', () => {
    const sub = new wh.Subscription({ url: 'https://example.com/a', events: ['a.b'], name: 'n' });
    assert.equal(sub.url, 'https://example.com/a');
    assert.equal(sub.status, 'active');
    assert.match(sub.secrets[0], /^whsec_/);
    sub.patch({ status: 'disabled', events: ['x.*'] });
    assert.equal(sub.status, 'disabled');
    assert.deepEqual(sub.events, ['x.*']);
    assert.throws(() => { sub.url = 'ftp://example.com'; }, wh.InvalidError);
    assert.equal(sub.url, 'https://example.com/a');
    assert.throws(() => sub.setHeader('webhook-signature', 'forged'), wh.InvalidError);
    sub.close();
  });

  test('an invalid subscription lists every problem', () => {
    const bad = '{"name":"","url":"ftp://example.com","events":["order..x"],' +
      '"headers":{"Webhook-Signature":"forged"}}';
    assert.throws(() => wh.Subscription.fromJson(bad), (e) => {
      assert.ok(e instanceof wh.InvalidError);
      assert.equal(e.code, -1);
      assert.equal(e.details.length, 4);
      assert.ok(e.details.some((d) => d.startsWith('url')), e.details.join('|'));
      assert.equal(e.text, 'invalid argument');
      assert.equal(e.errorName, 'WH_EINVAL');
      return true;
    });
    assert.throws(() => wh.Subscription.fromJson('{not json'), wh.InvalidError);
  });

  test('event', () => {
    const ev = new wh.Event('order.created', { total: 9.5, name: 'café' }, {
      entity: 'Order', action: 'create', ids: ['1', '2'], attributes: { account: 'acme' },
      occurredAt: 1700000000000,
    });
    assert.equal(ev.type, 'order.created');
    assert.deepEqual(ev.data, { total: 9.5, name: 'café' });
    assert.equal(ev.occurredAt, 1700000000000);
    const d = ev.toObject();
    assert.deepEqual(d.ids, ['1', '2']);
    assert.deepEqual(d.attributes, { account: 'acme' });
    const again = wh.Event.fromJson(ev.toJson());
    assert.deepEqual(again.toObject(), d);
    again.close();
    ev.close();
    assert.throws(() => new wh.Event('bad type with spaces'), wh.InvalidError);
    assert.throws(() => new wh.Event('a.b', Buffer.from('{broken')), wh.InvalidError);
  });
});

describe('hub', () => {
  let recv, hub;
  before(async () => { recv = await startReceiver(); });
  after(async () => { await recv.close(); });

  const fresh = (extra = {}) => {
    hub?.close();
    recv.requests.length = 0;
    hub = new wh.Hub({ allowCidrs: ['127.0.0.0/8'], jitterPercent: 0, userAgent: 'node-test', ...extra });
    return hub;
  };
  const add = (p, extra = {}) => hub.add({ url: recv.url(p), events: ['order.*'], secrets: [SECRET], ...extra });
  after(() => hub?.close());

  test('emit and deliver, signed', async () => {
    fresh();
    const subId = add('/orders');
    const data = { id: 42, note: 'grüße' };
    assert.equal(hub.emit('order.created', data), 1); // a plain object is the payload
    assert.equal(hub.emit('invoice.paid', {}), 0);
    assert.ok(await hub.runUntil(() => recv.requests.length >= 1));
    assert.ok(await hub.runUntilIdle());
    const { method, url, headers, body } = recv.requests[0];
    assert.equal(method, 'POST');
    assert.equal(url, '/orders');
    assert.equal(headers['user-agent'], 'node-test');
    assert.equal(headers['content-type'], 'application/json');
    // verified here with node:crypto, independently of the library, and with the library
    assert.ok(verifyStandardByHand(SECRET, headers, body));
    assert.ok(wh.verify('standard', SECRET, headers, body));
    const sent = JSON.parse(body.toString('utf8'));
    assert.equal(sent.type, 'order.created');
    assert.deepEqual(sent.data, data);
    const dl = hub.deliveries({ webhookId: subId });
    assert.equal(dl.total, 1);
    assert.equal(dl[0].status, 'succeeded');
    assert.equal(dl[0].lastStatus, 200);
    assert.deepEqual(Buffer.from(hub.delivery(dl[0].id).body, 'utf8'), body);
    assert.deepEqual(hub.attempts({ deliveryId: dl[0].id }).map((a) => a.httpStatus), [200]);
    assert.equal(hub.get(subId).toObject().lastDeliveryStatus, 200);
  });

  test('a 410 disables; log and onDisable are told', async () => {
    const disabled = [], lines = [];
    fresh({
      onDisable: (id, reason) => disabled.push([id, reason]),
      log: (level, msg) => lines.push([level, msg]),
      logLevel: wh.LOG_DEBUG,
    });
    recv.statuses['/gone'] = 410;
    const subId = add('/gone');
    hub.emit('order.created', {});
    assert.ok(await hub.runUntil(() => disabled.length > 0));
    assert.equal(disabled[0][0], subId);
    assert.match(disabled[0][1], /410/);
    assert.ok(lines.length > 0);
    assert.equal(hub.get(subId).status, 'disabled');
    assert.equal(hub.deliveries({ webhookId: subId, status: 'failed' }).total, 1);
  });

  test('a failure, then a replay with the same idempotency key', async () => {
    fresh();
    recv.statuses['/flaky'] = 500;
    const subId = add('/flaky', { retry: { enabled: false } });
    hub.emit('order.updated', {});
    assert.ok(await hub.runUntil(() => hub.deliveries({ webhookId: subId, status: 'failed' }).total === 1));
    recv.statuses['/flaky'] = 200;
    const id = hub.deliveries({ webhookId: subId })[0].id;
    hub.replay(id);
    assert.ok(await hub.runUntil(() => hub.delivery(id).status === 'succeeded'));
    assert.equal(recv.requests.length, 2);
    assert.equal(new Set(recv.requests.map((r) => r.headers['webhook-id'])).size, 1);
  });

  test('recover after disabling', async () => {
    fresh();
    const subId = add('/back', { retry: { enabled: false } });
    hub.emit('order.updated', {}); // queued: the hub has not run
    hub.patch(subId, { status: 'disabled' });
    const failed = hub.deliveries({ webhookId: subId, status: 'failed' });
    assert.equal(failed.total, 1); // failed at once, never sent
    assert.match(failed[0].lastError, /disabled/);
    assert.throws(() => hub.recover(subId), wh.StateError);
    hub.patch(subId, { status: 'active' });
    assert.equal(hub.recover(subId), 1);
    assert.ok(await hub.runUntil(() => hub.deliveries({ webhookId: subId, status: 'succeeded' }).total === 1));
  });

  test('payload filter', () => {
    fresh();
    const subId = add('/filtered', { filter: { 'data.total': { $gte: 100 } } });
    assert.deepEqual(hub.get(subId).toObject().filter, { 'data.total': { $gte: 100 } });
    assert.equal(hub.emit('order.created', { total: 150 }), 1);
    assert.equal(hub.emit('order.created', { total: 50 }), 0);
    assert.equal(hub.emit('order.created', { total: '150' }), 0);
    assert.throws(() => add('/bad', { filter: { 'data.total': { $gtx: 1 } } }),
      (e) => e instanceof wh.InvalidError && e.details.some((d) => d.includes('data.total')));
  });

  test('an event id is accepted once', () => {
    fresh();
    const hub = new wh.Hub({ allowCidrs: ['127.0.0.0/8'] });
    try {
      const subId = hub.add({ url: recv.url('/once'), events: ['order.*'] });
      assert.equal(hub.emit('order.created', {}, { id: 'evt_once' }), 1);
      assert.throws(() => hub.emit('order.created', {}, { id: 'evt_once' }),
        (e) => e instanceof wh.ConflictError && e.message.includes('evt_once'));
      assert.equal(hub.deliveries({ webhookId: subId }).total, 1);
    } finally {
      hub.close();
    }
    const store = wh.Store.memory({ maxEventIds: 1 });
    const off = new wh.Hub(store, { eventIdWindowMs: 0 });
    try {
      off.emit('order.created', {}, { id: 'evt_twice' });
      off.emit('order.created', {}, { id: 'evt_twice' }); // off: accepted again
    } finally {
      off.close();
      store.close();
    }
  });

  test('memory cap and retention', async () => {
    fresh();
    const store = wh.Store.memory({ maxFinished: 2 });
    const capped = new wh.Hub(store, { allowCidrs: ['127.0.0.0/8'] });
    try {
      const subId = capped.add({ url: recv.url('/cap'), events: ['order.*'] });
      for (let n = 0; n < 5; n++) capped.emit('order.created', { n });
      assert.ok(await capped.runUntil(() => recv.requests.length >= 5));
      assert.ok(await capped.runUntilIdle());
      assert.equal(capped.deliveries({ webhookId: subId }).total, 2); // the newest two
    } finally {
      capped.close();
      store.close();
    }
    assert.throws(() => wh.Store.memory({ maxFinshed: 2 }), wh.InvalidError);
    let now = 1900000000000;
    const aging = new wh.Hub({ allowCidrs: ['127.0.0.0/8'], clock: () => now, retentionMs: 3600000,
      slowAfterMs: 500 });
    try {
      const subId = aging.add({ url: recv.url('/old'), events: ['order.*'] });
      aging.emit('order.created', {});
      assert.ok(await aging.runUntil(() => aging.deliveries({ webhookId: subId, status: 'succeeded' }).total === 1));
      now += 2 * 3600000; // two hours later the delivery is past retention
      assert.ok(await aging.runUntil(() => aging.deliveries({ webhookId: subId }).total === 0));
    } finally {
      aging.close();
    }
  });

  test('emitBatch', async () => {
    fresh();
    add('/batch');
    const events = [0, 1, 2].map((n) => new wh.Event('order.created', { n }));
    assert.equal(hub.emitBatch(events), 3);
    events.forEach((e) => e.close());
    assert.ok(await hub.runUntil(() => recv.requests.length >= 3));
    assert.deepEqual(recv.requests.map((r) => JSON.parse(r.body).data.n).sort(), [0, 1, 2]);
  });

  test('CRUD and errors', () => {
    fresh();
    const subId = add('/crud', { name: 'first' });
    assert.throws(() => hub.add({ id: subId, url: recv.url('/x'), events: ['a.b'] }), wh.ConflictError);
    assert.throws(() => hub.get('no-such-id'), (e) => e instanceof wh.NotFoundError && e.code === -2);
    assert.equal(hub.patch(subId, { name: 'second' }).name, 'second');
    assert.deepEqual(hub.subscriptions().map((s) => s.name), ['second']);
    const secret = hub.rotateSecret(subId);
    assert.match(secret, /^whsec_/);
    assert.equal(hub.get(subId).secrets[0], secret);
    hub.delete(subId);
    assert.throws(() => hub.delete(subId), wh.NotFoundError);
    assert.equal(hub.subscriptions().total, 0);
    assert.throws(() => hub.add({ url: 'http://10.0.0.1/x', events: ['a.b'] }),
      (e) => e instanceof wh.InvalidError && e.details.length > 0); // the SSRF guard
  });

  test('bad options name the key', () => {
    assert.throws(() => new wh.Hub({ maxInFligth: 3 }),
      (e) => e instanceof wh.InvalidError && e.message.includes('maxInFligth'));
    assert.throws(() => new wh.Hub({ jitterPercent: 500 }),
      (e) => e instanceof wh.InvalidError && e.message.includes('jitter_percent') &&
        e.errorName === 'WH_EINVAL');
    assert.throws(() => new wh.Hub({ allowCidrs: ['300.1.1.1'] }), wh.InvalidError);
  });

  test('pollfds, timeout and clock', () => {
    fresh();
    const fds = hub.pollfds();
    assert.ok(fds.length >= 1);
    assert.ok(fds.every(({ fd }) => Number.isInteger(fd) && fd >= 0));
    assert.equal(fds.at(-1).events, 1); // POLLIN on the wake-up descriptor
    assert.equal(hub.timeoutMs(), -1);
    add('/p');
    hub.emit('order.created', {});
    assert.equal(hub.timeoutMs(), 0);
    const clocked = new wh.Hub({ clock: () => 1900000000000 });
    assert.equal(clocked.now(), 1900000000000);
    clocked.close();
    assert.ok(hub.now() < 1900000000000);
  });

  test('start() drives the hub in the background', async () => {
    fresh();
    add('/bg');
    hub.start();
    hub.emit('order.created', { n: 1 });
    const end = Date.now() + 10000;
    while (recv.requests.length < 1 && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
    hub.stop();
    assert.equal(recv.requests.length, 1);
  });
});

describe('the package', () => {
  test('is the installed one, with its type declarations', () => {
    const pkg = path.dirname(fileURLToPath(import.meta.resolve('libwebhooks')));
    assert.ok(pkg.includes(`node_modules${path.sep}libwebhooks`), pkg);
    assert.ok(fs.existsSync(path.join(pkg, 'webhooks.d.ts')));
    const meta = JSON.parse(fs.readFileSync(path.join(pkg, 'package.json'), 'utf8'));
    assert.equal(meta.license, 'MIT');
    assert.equal(wh.libraryPath(), process.env.WEBHOOKS_LIB);
  });

  test('a missing library names the file and WEBHOOKS_LIB', () => {
    const env = { ...process.env, WEBHOOKS_LIB: '/nonexistent/libwebhooks.so' };
    delete env.LD_PRELOAD;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', "import 'libwebhooks';"],
      { env, encoding: 'utf8', timeout: 60000 });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /WEBHOOKS_LIB/);
    assert.match(r.stderr, /\/nonexistent\/libwebhooks\.so/);
  });

  test('errors carry the library name of their code', () => {
    const hub = new wh.Hub();
    try {
      assert.throws(() => hub.get('absent'), (e) => e instanceof wh.NotFoundError &&
        e.errorName === 'WH_ENOTFOUND' && e.text === 'not found');
    } finally {
      hub.close();
    }
    assert.equal(wh.errorName(-1), 'WH_EINVAL');
    assert.equal(wh.strerror(-1), 'invalid argument');
  });
});

describe('the example', () => {
  /** Run examples/embed.mjs against a receiver; check the delivery verifies with the secret
   *  given, or else with the one the example printed; return the printed one. */
  async function runExample(t, ...secret) {
    if (!process.env.WH_EXAMPLE) return t.skip('WH_EXAMPLE names examples/embed.mjs (run_tests.sh sets it)');
    const recv = await startReceiver();
    try {
      // Asynchronous: the receiver answers from this process's event loop.
      const child = spawn(process.execPath, [process.env.WH_EXAMPLE, recv.url('/hooks'), ...secret],
        { cwd: path.dirname(process.env.WH_EXAMPLE), timeout: 60000 });
      let out = '';
      child.stdout.on('data', (d) => { out += d; });
      child.stderr.on('data', (d) => { out += d; });
      const code = await new Promise((resolve) => child.on('close', resolve));
      assert.equal(code, 0, out);
      assert.match(out, /succeeded \(200\)/);
      const printed = out.match(/signs with (whsec_\S+)/)[1];
      assert.equal(recv.requests.length, 1);
      const [req] = recv.requests;
      assert.equal(req.url, '/hooks');
      assert.ok(verifyStandardByHand(secret[0] ?? printed, req.headers, req.body));
      assert.equal(JSON.parse(req.body).type, 'order.created');
      return printed;
    } finally {
      await recv.close();
    }
  }

  test('examples/embed.mjs signs with the secret given', async (t) => {
    const printed = await runExample(t, SECRET);
    if (printed !== undefined) assert.equal(printed, SECRET);
  });

  test('examples/embed.mjs prints the secret it generated', async (t) => {
    const printed = await runExample(t);
    if (printed !== undefined) assert.notEqual(printed, SECRET);
  });
});

describe('postgres store', () => {
  // A throw-away server from the wh_pg_server helper (WH_PG_SERVER, set by make test); it stops
  // the server when its standard input closes.
  const helper = process.env.WH_PG_SERVER;
  let pg, uri;
  before(async () => {
    if (!helper) return;
    pg = spawn(helper, [], { stdio: ['pipe', 'pipe', 'inherit'] });
    uri = await new Promise((resolve) => {
      let text = '';
      pg.stdout.on('data', (d) => {
        text += d;
        if (text.includes('\n')) resolve(text.split('\n')[0].trim());
      });
      pg.on('exit', () => resolve('')); // it could not start a server: fail at once
    });
  });
  after(async () => {
    if (!pg) return;
    pg.stdin.end();
    await new Promise((resolve) => pg.on('exit', resolve));
  });

  test('two hubs share the database', { skip: !helper && 'WH_PG_SERVER is not set' }, async () => {
    assert.ok(uri, 'the PostgreSQL helper started no server (its reason is on stderr)');
    const recv = await startReceiver();
    const s1 = wh.Store.postgres(uri, { maxConnections: 2 });
    const s2 = wh.Store.postgres(uri);
    const a = new wh.Hub(s1, { allowCidrs: ['127.0.0.0/8'], sharedQueue: true });
    const b = new wh.Hub(s2, { allowCidrs: ['127.0.0.0/8'], sharedQueue: true });
    try {
      a.add({ url: recv.url('/pg'), events: ['order.*'] });
      assert.ok(await b.runUntil(() => b.emit('order.created', {}) === 1, { timeoutMs: 5000 }));
      assert.ok(await b.runUntil(() => recv.requests.length >= 1));
      assert.throws(() => wh.Store.postgres(uri, { colour: 'blue' }), wh.InvalidError);
    } finally {
      a.close();
      b.close();
      s1.close();
      s2.close();
      await recv.close();
    }
  });
});

describe('sqlite store and registration API', () => {
  test('the SQLite store keeps subscriptions', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wh-node-'));
    try {
      const file = path.join(dir, 'hooks.db');
      const store = wh.Store.sqlite(file, { synchronous: 'normal' });
      const hub = new wh.Hub(store, { allowCidrs: ['127.0.0.0/8'] });
      const id = hub.add({ url: 'http://127.0.0.1:9/x', events: ['a.b'] });
      assert.throws(() => store.close(), wh.StateError); // the hub still uses it
      hub.close();
      store.close();
      const ro = wh.Store.sqlite(file, { readOnly: true });
      assert.deepEqual(ro.subscriptions().map((s) => s.id), [id]);
      ro.close();
      assert.throws(() => wh.Store.sqlite(file, { colour: 'blue' }), wh.InvalidError);
      assert.throws(() => wh.Store.sqlite(path.join(dir, 'absent.db'), { readOnly: true }), wh.NotFoundError);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('registration API with keys and a host auth callback', () => {
    const hub = new wh.Hub({ allowCidrs: ['127.0.0.0/8'] });
    const api = new wh.Api(hub);
    try {
      api.addKey('pk_test_1', 'user-1');
      api.addEventType('order.created', 'Order created');
      let r = api.handle('POST', '/webhooks', {
        headers: { 'x-api-key': 'pk_test_1' },
        body: JSON.stringify({ url: 'http://127.0.0.1:9/h', events: ['order.created'] }),
      });
      assert.equal(r.status, 201, r.body.toString());
      assert.equal(r.header('content-type'), 'application/json');
      const created = r.json();
      r = api.handle('GET', '/webhooks', { query: 'limit=10', headers: [['Authorization', 'Bearer pk_test_1']] });
      assert.equal(r.status, 200);
      assert.deepEqual(r.json().webhooks.map((w) => w.id), [created.id]);
      assert.equal(api.handle('GET', '/webhooks').status, 401);
      api.setAuth((cred) => (cred === 'sess' ? { owner: 'user-2', scopes: 'webhooks:read' } : null));
      r = api.handle('GET', '/webhooks', { headers: { 'x-api-key': 'sess' } });
      assert.deepEqual([r.status, r.json().webhooks], [200, []]);
      assert.equal(api.handle('GET', '/webhooks', { headers: { 'x-api-key': 'x' } }).status, 401);
      assert.equal(api.handle('POST', '/webhooks', { headers: { 'x-api-key': 'sess' }, body: '{}' }).status, 403);
      assert.throws(() => hub.close(), wh.StateError); // the Api still borrows it
    } finally {
      api.close();
      hub.close();
    }
  });
});
