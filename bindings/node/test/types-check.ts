// Compiled (never run) by run_tests.sh with tsc --strict against the installed package: the
// declarations in webhooks.d.ts cover the API the way the README and the tests use it.
import { Api, Event, Hub, Store, WebhooksError, errorName, sign, verify } from 'libwebhooks';
import type { Attempt, Delivery, Page } from 'libwebhooks';

async function tour(): Promise<void> {
  const store: Store = Store.memory();
  const hub = new Hub(store, {
    allowCidrs: ['127.0.0.0/8'],
    jitterPercent: 0,
    log: (level: number, message: string) => console.log(level, message),
    onDisable: (id: string, reason: string) => console.log(id, reason),
  });
  const id: string = hub.add({ url: 'http://127.0.0.1:9/hooks', events: ['order.*'] });
  const secret: string = hub.get(id).secrets[0];
  const queued: number = hub.emit('order.created', { total: 12.5 }, { ids: ['1'] });
  const ev = new Event('order.paid', { n: 1 }, { occurredAt: new Date() });
  hub.emitTo(ev, id);
  ev.close();
  const done: boolean = await hub.runUntilIdle({ timeoutMs: 5000 });
  const page: Page<Delivery> = hub.deliveries({ webhookId: id, status: 'succeeded', limit: 10 });
  const attempts: Page<Attempt> = hub.attempts({ webhookId: id });
  const api = new Api(hub, { revealSecrets: false });
  api.addKey('pk_1', 'alice', ['webhooks:read']);
  const answer = api.handle('GET', '/webhooks', { headers: { 'x-api-key': 'pk_1' } });
  const status: number = answer.status;
  const headers = sign('standard', secret, '{}', { msgId: 'msg_1', timestamp: 1 });
  try {
    verify('standard', secret, headers, '{}', { now: 1 });
  } catch (e) {
    if (e instanceof WebhooksError) console.log(e.errorName, e.text, e.details, errorName(e.code));
  }
  console.log(queued, done, page.total, attempts.length, status);
  api.close();
  hub.close();
  store.close();
}

void tour;
