#!/usr/bin/env node
// examples/embed.mjs: the smallest complete host of libwebhooks in Node.js.
//
// A hub (a memory store and libcurl), one webhook registered in code, one event emitted, and
// the hub's loop run until the delivery is done. Usage:
//
//     node embed.mjs URL [SECRET]
//
// URL is the receiver's (default http://127.0.0.1:9000/hooks, where `webhooks listen` listens);
// SECRET the one it verifies with (default: a generated one, printed). Install the package first (npm install ./bindings/node) and the library (cmake --install), or
// set WEBHOOKS_LIB to libwebhooks.so. Exits 0 only when the receiver answered 2xx.
import { Hub } from 'libwebhooks';

const url = process.argv[2] ?? 'http://127.0.0.1:9000/hooks';
const webhook = { url, events: ['order.*'] };
if (process.argv[3]) webhook.secrets = [process.argv[3]]; // without: one is generated when added

// The SSRF guard refuses private addresses such as 127.0.0.1 unless allowed: the receiver of
// this example runs on loopback.
const hub = new Hub({ allowCidrs: ['127.0.0.0/8'] });
const webhookId = hub.add(webhook);
console.log(`webhook ${webhookId} signs with ${hub.get(webhookId).secrets[0]}`);
hub.emit('order.created', { orderId: 42, total: '19.90' });
await hub.runUntilIdle({ timeoutMs: 10000 });
const [delivery] = hub.deliveries({ webhookId });
console.log(`delivery ${delivery.id}: ${delivery.status} (${delivery.lastStatus})`);
hub.close();
process.exitCode = delivery.status === 'succeeded' ? 0 : 1;
