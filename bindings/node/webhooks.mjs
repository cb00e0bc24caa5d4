// libwebhooks for Node.js: the C library's API through koffi. Install with
// `npm install ./bindings/node` (or the tarball `npm pack` makes there). TypeScript declarations:
// webhooks.d.ts.
//
// The shared library libwebhooks.so is found through the WEBHOOKS_LIB environment variable (its
// path), else by the system's loader (an installed library, LD_LIBRARY_PATH), else in a build
// tree beside a source checkout.
//
//   import { Hub } from 'libwebhooks';
//   const hub = new Hub({ allowCidrs: ['127.0.0.0/8'] });
//   hub.add({ url: 'http://127.0.0.1:8080/hooks', events: ['order.*'] });
//   hub.emit('order.created', { id: 42 });
//   await hub.runUntilIdle();
//   hub.close();
//
// The API is the C library's and the REST API's, the same as the Python package's (camelCase
// here, snake_case there): the same classes and methods, the same argument shapes, times and
// durations in milliseconds, a webhook named webhookId as the REST answers name it. Every
// failing call throws a WebhooksError subclass carrying the library's code, its name
// (errorName, e.g. "WH_EINVAL"), message and details. Bodies are Buffers (strings are encoded
// as UTF-8). Objects are freed by close(). A Hub borrows the Store it is given and an Api
// borrows its Hub: close them in the reverse order.
//
// The hub never blocks the event loop unless asked to: run(0) does the work that is ready and
// returns; runUntil / runUntilIdle / start interleave run(0) with timers, so a receiver or any
// other work in the same process keeps running. (koffi's .async calls are not used: callbacks
// made from a worker thread while the main thread waits on the hub's lock would deadlock.)

import koffi from 'koffi';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const LOG_ERROR = 0, LOG_WARN = 1, LOG_INFO = 2, LOG_DEBUG = 3;
export const SCOPE_WEBHOOKS_READ = 0x1, SCOPE_WEBHOOKS_WRITE = 0x2, SCOPE_EVENTS_WRITE = 0x4,
  SCOPE_ALL = 0x7;
const DELIVERY_STATUS = { pending: 0, in_flight: 1, succeeded: 2, failed: 3 };

// ---- loading the library ----

const SONAME = 'libwebhooks.so.0';

/** The candidates, in order: WEBHOOKS_LIB alone when set, else the system's loader, then a build
 *  tree beside a source checkout (bindings/node -> build/lib). */
function candidates() {
  if (process.env.WEBHOOKS_LIB) return [process.env.WEBHOOKS_LIB];
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
  const built = path.join(root, 'build', 'lib', 'libwebhooks.so');
  return existsSync(built) ? [SONAME, built] : [SONAME];
}

let loadedFrom = null;

function load() {
  const tried = [];
  for (const candidate of candidates()) {
    try {
      const handle = koffi.load(candidate);
      loadedFrom = candidate;
      return handle;
    } catch (e) {
      tried.push(`${candidate} (${e.message})`);
    }
  }
  throw new Error(`libwebhooks not found: tried ${tried.join('; ')}. Install the library ` +
    '(cmake --install) or set WEBHOOKS_LIB to the path of libwebhooks.so');
}

const lib = load();

/** The library file loaded (WEBHOOKS_LIB, or the name the loader resolved). */
export function libraryPath() { return loadedFrom; }
const fn = (decl) => lib.func(decl);

const LogCb = koffi.proto('void wh_log_cb(int level, const char *message, void *user_data)');
const DisableCb = koffi.proto(
  'void wh_disable_cb(const char *subscription_id, const char *reason, void *user_data)');
const ClockCb = koffi.proto('int64_t wh_clock_cb(void *user_data)');
const AuthCb = koffi.proto('int wh_api_auth_cb(const char *credential, void *owner, ' +
  'size_t owner_size, void *scopes, void *user_data)');

const c = {
  strerror: fn('const char *wh_strerror(int code)'),
  errorName: fn('const char *wh_error_name(int code)'),
  errCode: fn('int wh_error_last_code(void)'),
  errMessage: fn('const char *wh_error_last_message(void)'),
  errCount: fn('size_t wh_error_last_details_count(void)'),
  errDetail: fn('const char *wh_error_last_detail(size_t i)'),
  version: fn('const char *wh_version(void)'),
  free: fn('void wh_free(void *ptr)'),

  subNew: fn('int wh_subscription_new(_Out_ void **out)'),
  subFree: fn('void wh_subscription_free(void *sub)'),
  subFromJson: fn('int wh_subscription_from_json(_Out_ void **out, const uint8_t *json, size_t len)'),
  subPatchJson: fn('int wh_subscription_patch_json(void *sub, const uint8_t *json, size_t len)'),
  subToJson: fn('int wh_subscription_to_json(void *sub, unsigned int flags, _Out_ void **out, _Out_ size_t *len)'),
  subId: fn('const char *wh_subscription_id(void *sub)'),
  subUrl: fn('const char *wh_subscription_url(void *sub)'),
  subSetUrl: fn('int wh_subscription_set_url(void *sub, const char *url)'),
  subName: fn('const char *wh_subscription_name(void *sub)'),
  subSetName: fn('int wh_subscription_set_name(void *sub, const char *name)'),
  subStatus: fn('int wh_subscription_status(void *sub)'),
  statusName: fn('const char *wh_status_name(int status)'),
  subListCount: fn('size_t wh_subscription_list_count(void *sub, int which)'),
  subListAt: fn('const char *wh_subscription_list_at(void *sub, int which, size_t i)'),
  subListAdd: fn('int wh_subscription_list_add(void *sub, int which, const char *value)'),
  subSecretCount: fn('size_t wh_subscription_secret_count(void *sub)'),
  subSecretAt: fn('const char *wh_subscription_secret_at(void *sub, size_t i)'),
  subSetHeader: fn('int wh_subscription_set_header(void *sub, const char *name, const char *value)'),
  schemeParse: fn('int wh_scheme_parse(const char *name, _Out_ int *out)'),

  evNew: fn('int wh_event_new(_Out_ void **out, const char *type)'),
  evFree: fn('void wh_event_free(void *ev)'),
  evFromJson: fn('int wh_event_from_json(_Out_ void **out, const uint8_t *json, size_t len)'),
  evToJson: fn('int wh_event_to_json(void *ev, _Out_ void **out, _Out_ size_t *len)'),
  evId: fn('const char *wh_event_id(void *ev)'),
  evSetId: fn('int wh_event_set_id(void *ev, const char *id)'),
  evType: fn('const char *wh_event_type(void *ev)'),
  evSetEntity: fn('int wh_event_set_entity(void *ev, const char *v)'),
  evSetAction: fn('int wh_event_set_action(void *ev, const char *v)'),
  evSetIdentifier: fn('int wh_event_set_identifier(void *ev, const char *v)'),
  evSetSource: fn('int wh_event_set_source(void *ev, const char *v)'),
  evAddId: fn('int wh_event_add_id(void *ev, const char *id)'),
  evAddProduct: fn('int wh_event_add_product(void *ev, const char *id)'),
  evSetAttribute: fn('int wh_event_set_attribute(void *ev, const char *name, const char *value)'),
  evSetData: fn('int wh_event_set_data(void *ev, const uint8_t *json, size_t len)'),
  evData: fn('const char *wh_event_data(void *ev)'),
  evSetRelation: fn('int wh_event_set_relation(void *ev, const char *name, const uint8_t *json, size_t len)'),
  evSetOccurredAt: fn('int wh_event_set_occurred_at(void *ev, int64_t at)'),
  evOccurredAt: fn('int64_t wh_event_occurred_at(void *ev)'),

  sign: fn('int wh_sign(_Out_ void **out, int scheme, const char **secrets, size_t nsecrets, ' +
    'const char *msg_id, int64_t timestamp, const uint8_t *body, size_t body_len)'),
  headersCount: fn('size_t wh_headers_count(void *h)'),
  headersName: fn('const char *wh_headers_name(void *h, size_t i)'),
  headersValue: fn('const char *wh_headers_value(void *h, size_t i)'),
  headersFree: fn('void wh_headers_free(void *h)'),
  verify: fn('int wh_verify(int scheme, const char **secrets, size_t nsecrets, ' +
    'const char **names, const char **values, size_t nheaders, const uint8_t *body, ' +
    'size_t body_len, int64_t now, int64_t tolerance_s)'),

  storeMemoryNew: fn('int wh_store_memory_new_opts(_Out_ void **out, void *options)'),
  memoryOptsNew: fn('int wh_memory_options_new(_Out_ void **out)'),
  memoryOptsFree: fn('void wh_memory_options_free(void *o)'),
  storeSqliteNew: fn('int wh_store_sqlite_new(_Out_ void **out, const char *path, void *options)'),
  storePostgresNew: fn('int wh_store_postgres_new(_Out_ void **out, const char *conninfo, void *options)'),
  pgOptsNew: fn('int wh_postgres_options_new(_Out_ void **out)'),
  pgOptsFree: fn('void wh_postgres_options_free(void *o)'),
  sqliteOptsNew: fn('int wh_sqlite_options_new(_Out_ void **out)'),
  sqliteOptsFree: fn('void wh_sqlite_options_free(void *o)'),
  storeFree: fn('void wh_store_free(void *s)'),
  storeSubList: fn('int wh_store_subscription_list_json(void *s, const char *owner, unsigned int flags, ' +
    'size_t limit, size_t page, _Out_ void **out)'),
  storeDlvList: fn('int wh_store_delivery_list_json(void *s, const char *sub_id, int status, ' +
    'size_t limit, size_t page, _Out_ void **out)'),
  storeDlvGet: fn('int wh_store_delivery_get_json(void *s, const char *id, _Out_ void **out)'),
  storeAttList: fn('int wh_store_attempt_list_json(void *s, const char *delivery_id, ' +
    'const char *sub_id, size_t limit, size_t page, _Out_ void **out)'),
  storePurge: fn('int wh_store_purge(void *s, int64_t older_than, _Out_ size_t *removed)'),

  hubNew: fn('int wh_hub_new(_Out_ void **out, void *options)'),
  hubFree: fn('void wh_hub_free(void *hub)'),
  hubOptsNew: fn('int wh_hub_options_new(_Out_ void **out)'),
  hubOptsFree: fn('void wh_hub_options_free(void *o)'),
  hubOptsStore: fn('int wh_hub_options_set_store(void *o, void *store, int own)'),
  hubOptsLog: fn('int wh_hub_options_set_log(void *o, void *cb, int level, void *ud)'),
  hubOptsOnDisable: fn('int wh_hub_options_set_on_disable(void *o, void *cb, void *ud)'),
  hubOptsClock: fn('int wh_hub_options_set_clock(void *o, void *cb, void *ud)'),
  hubOptsAllowCidr: fn('int wh_hub_options_allow_cidr(void *o, const char *cidr)'),
  hubOptsRetry: fn('int wh_hub_options_set_default_retry_schedule(void *o, const uint32_t *delays, size_t n)'),
  hubEmit: fn('int wh_hub_emit(void *hub, void *ev, _Out_ size_t *queued)'),
  hubEmitBatch: fn('int wh_hub_emit_batch(void *hub, void **events, size_t count, _Out_ size_t *queued)'),
  hubEmitTo: fn('int wh_hub_emit_to(void *hub, void *ev, const char *sub_id)'),
  hubRun: fn('int wh_hub_run(void *hub, int timeout_ms)'),
  hubTimeoutMs: fn('int wh_hub_timeout_ms(void *hub)'),
  hubPollfdsFlat: fn('int wh_hub_pollfds_flat(void *hub, _Out_ int *fds, _Out_ int *events, size_t max, _Out_ size_t *count)'),
  hubInFlight: fn('size_t wh_hub_in_flight(void *hub)'),
  hubSubAdd: fn('int wh_hub_subscription_add(void *hub, void *sub)'),
  hubSubGet: fn('int wh_hub_subscription_get(void *hub, const char *id, _Out_ void **out)'),
  hubSubReplace: fn('int wh_hub_subscription_replace(void *hub, void *sub)'),
  hubSubPatch: fn('int wh_hub_subscription_patch(void *hub, const char *id, const uint8_t *json, size_t len, _Out_ void **out)'),
  hubSubDelete: fn('int wh_hub_subscription_delete(void *hub, const char *id)'),
  hubSubRotate: fn('int wh_hub_subscription_rotate_secret(void *hub, const char *id, const char *secret, int64_t overlap_ms, _Out_ void **out)'),
  hubReplay: fn('int wh_hub_replay(void *hub, const char *delivery_id)'),
  hubReplaySince: fn('int wh_hub_replay_since(void *hub, const char *sub_id, int64_t since, _Out_ size_t *count)'),
  hubRecover: fn('int wh_hub_recover(void *hub, const char *sub_id, int64_t since, _Out_ size_t *count)'),
  hubStore: fn('void *wh_hub_store(void *hub)'),
  hubNow: fn('int64_t wh_hub_now(void *hub)'),

  apiNew: fn('int wh_api_new(_Out_ void **out, void *hub)'),
  apiFree: fn('void wh_api_free(void *api)'),
  apiAddKey: fn('int wh_api_add_key(void *api, const char *key, const char *owner, unsigned int scopes)'),
  apiRemoveKey: fn('int wh_api_remove_key(void *api, const char *key)'),
  apiScopesParse: fn('int wh_api_scopes_parse(const char *text, _Out_ unsigned int *out)'),
  apiSetAuth: fn('int wh_api_set_auth(void *api, void *cb, void *ud)'),
  apiSetReveal: fn('int wh_api_set_reveal_secrets(void *api, int on)'),
  apiSetServerIds: fn('int wh_api_set_server_ids(void *api, int on)'),
  apiAddType: fn('int wh_api_catalogue_add_type(void *api, const char *name, const char *display, const char *custom_id)'),
  apiAddEntity: fn('int wh_api_catalogue_add_entity(void *api, const char *entity, const char **actions, size_t n)'),
  apiAddRelation: fn('int wh_api_catalogue_add_relation(void *api, const char *relation)'),
  apiLoadCatalogue: fn('int wh_api_catalogue_load_json(void *api, const uint8_t *json, size_t len)'),
  apiHandleSimple: fn('int wh_api_handle_simple(void *api, const char *method, const char *path, ' +
    'const char *query, const char **names, const char **values, size_t count, const uint8_t *body, ' +
    'size_t body_len, _Out_ int *status, _Out_ void **headers, _Out_ void **body_out, _Out_ size_t *body_len_out)'),
};

// ---- errors ----

export class WebhooksError extends Error {
  constructor(code, message, details = []) {
    super(details.length ? `${message} [${details.join('; ')}]` : message);
    this.name = new.target.name;
    this.code = code;
    this.details = details;
    this.libraryMessage = message;
  }

  /** The code's name in the C headers (wh_error_name), e.g. "WH_EINVAL". */
  get errorName() { return errorName(this.code); }

  /** The fixed text of the code (wh_strerror), e.g. "invalid argument". */
  get text() { return strerror(this.code); }
}

/** wh_error_name: the name of an error code, e.g. "WH_ENOTFOUND". */
export function errorName(code) { return c.errorName(code); }
/** wh_strerror: the fixed text of an error code, e.g. "not found". */
export function strerror(code) { return c.strerror(code); }
export class InvalidError extends WebhooksError {}
export class NotFoundError extends WebhooksError {}
export class ConflictError extends WebhooksError {}
export class OutOfMemoryError extends WebhooksError {}
export class UnauthorizedError extends WebhooksError {}
export class ForbiddenError extends WebhooksError {}
export class TooLargeError extends WebhooksError {}
export class StorageError extends WebhooksError {}
export class StateError extends WebhooksError {}
export class UnsupportedError extends WebhooksError {}
export class TimedOutError extends WebhooksError {}
export class RenderError extends WebhooksError {}
export class SignatureError extends WebhooksError {}
export class SignatureMissingError extends SignatureError {}
export class SignatureMalformedError extends SignatureError {}
export class SignatureMismatchError extends SignatureError {}
export class SignatureTooOldError extends SignatureError {}
export class SignatureTooNewError extends SignatureError {}
export class CorruptError extends StorageError {}
export class FullError extends StorageError {}
export class ReadOnlyError extends StorageError {}
export class VersionError extends StorageError {}
export class RefusedError extends WebhooksError {}
export class BusyError extends WebhooksError {}
export class TransportError extends WebhooksError {}

const ERRORS = {
  [-1]: InvalidError, [-2]: NotFoundError, [-3]: ConflictError, [-4]: OutOfMemoryError,
  [-5]: UnauthorizedError, [-6]: ForbiddenError, [-7]: TooLargeError, [-8]: StorageError,
  [-9]: StateError, [-10]: UnsupportedError, [-11]: TimedOutError, [-12]: RenderError,
  [-13]: SignatureMissingError, [-14]: SignatureMalformedError, [-15]: SignatureMismatchError,
  [-16]: SignatureTooOldError, [-17]: SignatureTooNewError, [-18]: CorruptError,
  [-19]: FullError, [-20]: ReadOnlyError, [-21]: VersionError, [-22]: RefusedError,
  [-23]: BusyError, [-24]: TransportError,
};

/** The error for return code rc, with the thread's last error when it is rc's. */
function errorFor(rc) {
  let message = c.strerror(rc), details = [];
  if (c.errCode() === rc) {
    message = c.errMessage() ?? message;
    const n = Number(c.errCount());
    for (let i = 0; i < n; i++) details.push(c.errDetail(i) ?? '');
  }
  return new (ERRORS[rc] ?? WebhooksError)(rc, message, details);
}

function check(rc) {
  if (rc !== 0) throw errorFor(rc);
}

// ---- conversions ----

/** A string, Buffer or typed array as a Buffer of bytes (strings as UTF-8). */
function bytes(value) {
  if (value === undefined || value === null) return Buffer.alloc(0);
  if (Buffer.isBuffer(value)) return value;
  if (ArrayBuffer.isView(value)) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  return Buffer.from(String(value), 'utf8');
}

/** A value as JSON text bytes: strings and Buffers are taken as JSON text already. */
function jsonBytes(value) {
  if (typeof value === 'string' || Buffer.isBuffer(value)) return bytes(value);
  return Buffer.from(JSON.stringify(value), 'utf8');
}

/** Copy a library-allocated buffer out (len bytes, or up to its NUL) and wh_free it. */
function take(ptr, len) {
  if (ptr === null || ptr === 0n) return null;
  try {
    return len === undefined ? koffi.decode.string(ptr)
      : Buffer.from(new Uint8Array(koffi.view(ptr, Number(len))));
  } finally {
    c.free(ptr);
  }
}

function takeText(ptr, len) {
  const b = take(ptr, len);
  return b === null ? null : typeof b === 'string' ? b : b.toString('utf8');
}

function takeJson(ptr) {
  return JSON.parse(takeText(ptr));
}

function scheme(value) {
  if (typeof value === 'number') return value;
  const out = [0];
  check(c.schemeParse(value, out));
  return out[0];
}

function headerPairs(headers) {
  if (!headers) return [];
  if (headers instanceof Map || typeof headers.entries === 'function' && !Array.isArray(headers)) {
    return [...headers.entries()].map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : String(v)]);
  }
  if (Array.isArray(headers)) return headers.map(([k, v]) => [k, String(v)]);
  return Object.entries(headers).filter(([, v]) => v !== undefined)
    .map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : String(v)]);
}

const closedError = (what) => new StateError(-9, `${what} is closed`);

class Handle {
  #ptr;
  constructor(ptr, what) {
    this.#ptr = ptr;
    this.what = what;
  }

  get ptr() {
    if (this.#ptr === null) throw closedError(this.what);
    return this.#ptr;
  }

  get closed() { return this.#ptr === null; }

  /** Forget the pointer and return it (the caller frees it). */
  release() {
    const p = this.#ptr;
    this.#ptr = null;
    return p;
  }
}
if (Symbol.dispose) Handle.prototype[Symbol.dispose] = function () { this.close(); };

// ---- subscriptions and events ----

const LIST = { events: 0, actions: 1, products: 2, identifiers: 3, relations: 4 };

export class Subscription extends Handle {
  /** new Subscription(): a new id and secret; new Subscription({url, events, ...fields}). */
  constructor(fields = {}, ptr = null) {
    if (ptr === null) {
      const out = [null];
      check(c.subNew(out));
      ptr = out[0];
    }
    super(ptr, 'subscription');
    if (Object.keys(fields).length) {
      try {
        this.patch(fields);
      } catch (e) {
        this.close();
        throw e;
      }
    }
  }

  static fromJson(value) {
    const text = jsonBytes(value);
    const out = [null];
    check(c.subFromJson(out, text, text.length));
    return new Subscription({}, out[0]);
  }

  close() {
    const p = this.release();
    if (p !== null) c.subFree(p);
  }

  toJson({ secrets = false } = {}) {
    const out = [null], len = [0];
    check(c.subToJson(this.ptr, secrets ? 1 : 0, out, len));
    return takeText(out[0], len[0]);
  }

  toObject(options) { return JSON.parse(this.toJson(options)); }

  /** Apply a JSON merge patch (object or JSON text); all or nothing. */
  patch(changes) {
    const text = jsonBytes(changes);
    check(c.subPatchJson(this.ptr, text, text.length));
    return this;
  }

  get id() { return c.subId(this.ptr); }
  get url() { return c.subUrl(this.ptr); }
  set url(v) { check(c.subSetUrl(this.ptr, v)); }
  get name() { return c.subName(this.ptr); }
  set name(v) { check(c.subSetName(this.ptr, v)); }
  get status() { return c.statusName(c.subStatus(this.ptr)); }

  #list(which) {
    const n = Number(c.subListCount(this.ptr, which));
    return Array.from({ length: n }, (_, i) => c.subListAt(this.ptr, which, i));
  }

  get events() { return this.#list(LIST.events); }
  addEvent(pattern) {
    check(c.subListAdd(this.ptr, LIST.events, pattern));
    return this;
  }

  get secrets() {
    const n = Number(c.subSecretCount(this.ptr));
    return Array.from({ length: n }, (_, i) => c.subSecretAt(this.ptr, i));
  }

  /** Set a custom header (null removes it). */
  setHeader(name, value) {
    check(c.subSetHeader(this.ptr, name, value));
    return this;
  }
}

export class Event extends Handle {
  /** new Event(type, data, {id, entity, action, ids, products, attributes, relations,
   *  identifier, source, occurredAt}): data is the event's payload (any JSON value). */
  constructor(type, data = undefined, fields = {}, ptr = null) {
    if (ptr === null) {
      const out = [null];
      check(c.evNew(out, type ?? null));
      ptr = out[0];
    }
    super(ptr, 'event');
    try {
      if (data !== undefined) this.data = data;
      this.#apply(fields ?? {});
    } catch (e) {
      this.close();
      throw e;
    }
  }

  #apply(f) {
    const setters = { id: c.evSetId, entity: c.evSetEntity, action: c.evSetAction,
      identifier: c.evSetIdentifier, source: c.evSetSource };
    for (const [key, setter] of Object.entries(setters))
      if (f[key] !== undefined && f[key] !== null) check(setter(this.ptr, f[key]));
    for (const id of f.ids ?? []) check(c.evAddId(this.ptr, id));
    for (const p of f.products ?? []) check(c.evAddProduct(this.ptr, p));
    for (const [k, v] of Object.entries(f.attributes ?? {})) this.setAttribute(k, v);
    for (const [k, v] of Object.entries(f.relations ?? {})) {
      const text = jsonBytes(v);
      check(c.evSetRelation(this.ptr, k, text, text.length));
    }
    if (f.occurredAt !== undefined) this.occurredAt = f.occurredAt;
  }

  static fromJson(value) {
    const text = jsonBytes(value);
    const out = [null];
    check(c.evFromJson(out, text, text.length));
    return new Event(null, undefined, {}, out[0]);
  }

  close() {
    const p = this.release();
    if (p !== null) c.evFree(p);
  }

  toJson() {
    const out = [null], len = [0];
    check(c.evToJson(this.ptr, out, len));
    return takeText(out[0], len[0]);
  }

  toObject() { return JSON.parse(this.toJson()); }

  get id() { return c.evId(this.ptr); }
  get type() { return c.evType(this.ptr); }
  /** The payload, parsed from JSON. */
  get data() { return JSON.parse(c.evData(this.ptr)); }
  /** Any JSON-serialisable value (strings and Buffers are taken as JSON text). */
  set data(value) {
    const text = jsonBytes(value);
    check(c.evSetData(this.ptr, text, text.length));
  }

  /** ms since the Unix epoch. */
  get occurredAt() { return Number(c.evOccurredAt(this.ptr)); }
  set occurredAt(ms) { check(c.evSetOccurredAt(this.ptr, ms instanceof Date ? ms.getTime() : ms)); }

  setAttribute(name, value) {
    check(c.evSetAttribute(this.ptr, name, value));
    return this;
  }
}

// ---- stores ----

function page(doc, key) {
  const items = doc[key];
  return Object.assign(items, { total: doc.total, page: doc.page, limit: doc.limit });
}

export class Store extends Handle {
  #owner;
  users = new Set();

  constructor(ptr, owner = null) {
    super(ptr, 'store');
    this.#owner = owner;
  }

  /** A memory store. Options: maxFinished (finished deliveries kept, the oldest dropped first;
   *  default 10 000, 0: no cap), maxEventIds (event ids remembered for event idempotency;
   *  default 100 000, 0: no cap). */
  static memory(options = {}) {
    const o = [null];
    check(c.memoryOptsNew(o));
    const out = [null];
    try {
      applyOptions(o[0], MEMORY_SETTERS, options ?? {}, 'memory store');
      check(c.storeMemoryNew(out, o[0]));
    } finally {
      c.memoryOptsFree(o[0]);
    }
    return new Store(out[0]);
  }

  /** Called by a hub that owned this store and freed it with itself. */
  ownerClosed(hub) {
    if (this.#owner === hub) this.release();
  }

  /** Connect to a PostgreSQL database (any libpq connection string or URI) that several
   *  processes may share. Options: maxConnections, migrate. */
  static postgres(conninfo, options = {}) {
    const o = [null];
    check(c.pgOptsNew(o));
    const out = [null];
    try {
      applyOptions(o[0], POSTGRES_SETTERS, options ?? {}, 'PostgreSQL store');
      check(c.storePostgresNew(out, String(conninfo), o[0]));
    } finally {
      c.pgOptsFree(o[0]);
    }
    return new Store(out[0]);
  }

  /** Open or create a SQLite store. Options: busyTimeoutMs, synchronous ("full" or "normal"),
   *  maxPageCount, readOnly. */
  static sqlite(file, options = {}) {
    const o = [null];
    check(c.sqliteOptsNew(o));
    const out = [null];
    try {
      applyOptions(o[0], SQLITE_SETTERS, options ?? {}, 'SQLite store');
      check(c.storeSqliteNew(out, String(file), o[0]));
    } finally {
      c.sqliteOptsFree(o[0]);
    }
    return new Store(out[0]);
  }

  close() {
    if (this.#owner) { // the hub owns it: just forget it
      this.release();
      return;
    }
    if (!this.closed && this.users.size)
      throw new StateError(-9, 'store is still used by an open hub: close the hub first');
    const p = this.release();
    if (p !== null) c.storeFree(p);
  }

  subscriptions({ owner = null, secrets = false, limit = 0, page: p = 1 } = {}) {
    const out = [null];
    check(c.storeSubList(this.ptr, owner, secrets ? 1 : 0, limit, p, out));
    return page(takeJson(out[0]), 'subscriptions');
  }

  /** status: undefined (any), "pending", "in_flight", "succeeded" or "failed". */
  deliveries({ webhookId = null, status, limit = 0, page: p = 1 } = {}) {
    const code = status === undefined || status === null ? -1 : DELIVERY_STATUS[status] ?? -2;
    const out = [null];
    check(c.storeDlvList(this.ptr, webhookId, code, limit, p, out));
    return page(takeJson(out[0]), 'deliveries');
  }

  /** One delivery with its headers and body. */
  delivery(id) {
    const out = [null];
    check(c.storeDlvGet(this.ptr, id, out));
    return takeJson(out[0]);
  }

  attempts({ deliveryId = null, webhookId = null, limit = 0, page: p = 1 } = {}) {
    const out = [null];
    check(c.storeAttList(this.ptr, deliveryId, webhookId, limit, p, out));
    return page(takeJson(out[0]), 'attempts');
  }

  /** Delete finished deliveries older than the time (ms); returns how many went. */
  purge(olderThanMs) {
    const n = [0];
    check(c.storePurge(this.ptr, olderThanMs, n));
    return Number(n[0]);
  }
}

// ---- options objects: one C setter per option ----

const setter = (name, type) => fn(`int wh_${name}(void *o, ${type} v)`);
const flag = (v) => (v ? 1 : 0);
const SQLITE_SETTERS = {
  busyTimeoutMs: [setter('sqlite_options_set_busy_timeout_ms', 'int'), Number],
  synchronous: [setter('sqlite_options_set_synchronous', 'int'),
    (v) => ({ full: 0, normal: 1 })[v] ?? -1],
  maxPageCount: [setter('sqlite_options_set_max_page_count', 'uint32_t'), Number],
  readOnly: [setter('sqlite_options_set_read_only', 'int'), flag],
};
const POSTGRES_SETTERS = {
  maxConnections: [setter('postgres_options_set_max_connections', 'size_t'), Number],
  migrate: [setter('postgres_options_set_migrate', 'int'), flag],
};
const MEMORY_SETTERS = {
  maxFinished: [setter('memory_options_set_max_finished', 'size_t'), Number],
  maxEventIds: [setter('memory_options_set_max_event_ids', 'size_t'), Number],
};
const HUB_SETTERS = {
  maxInFlight: [setter('hub_options_set_max_in_flight', 'size_t'), Number],
  maxInFlightPerSubscription: [setter('hub_options_set_max_in_flight_per_subscription', 'size_t'), Number],
  slowAfterMs: [setter('hub_options_set_slow_after_ms', 'uint32_t'), Number],
  retentionMs: [setter('hub_options_set_retention_ms', 'int64_t'), Number],
  eventIdWindowMs: [setter('hub_options_set_event_id_window_ms', 'int64_t'), Number],
  connectTimeoutMs: [setter('hub_options_set_connect_timeout_ms', 'uint32_t'), Number],
  totalTimeoutMs: [setter('hub_options_set_total_timeout_ms', 'uint32_t'), Number],
  maxResponseBytes: [setter('hub_options_set_max_response_bytes', 'size_t'), Number],
  maxBodyBytes: [setter('hub_options_set_max_body_bytes', 'size_t'), Number],
  leaseMs: [setter('hub_options_set_lease_ms', 'uint32_t'), Number],
  sharedQueue: [setter('hub_options_set_shared_queue', 'int'), flag],
  userAgent: [setter('hub_options_set_user_agent', 'const char *'), (v) => v],
  jitterPercent: [setter('hub_options_set_jitter_percent', 'int'), Number],
  retryAfterCapS: [setter('hub_options_set_retry_after_cap_s', 'uint32_t'), Number],
  disableAfterFailures: [setter('hub_options_set_disable_after_failures', 'uint32_t'), Number],
  disableAfterMs: [setter('hub_options_set_disable_after_ms', 'int64_t'), Number],
  defaultRetryOff: [setter('hub_options_set_default_retry_off', 'int'), flag],
  requireHttps: [setter('hub_options_set_require_https', 'int'), flag],
  caFile: [setter('hub_options_set_ca_file', 'const char *'), (v) => v],
  maxIdleConnections: [setter('hub_options_set_max_idle_connections', 'size_t'), Number],
};

/** Call one setter per option on the options object o; an unknown name throws. */
function applyOptions(o, setters, options, what) {
  const unknown = Object.keys(options).filter((k) => !(k in setters)).sort();
  if (unknown.length) throw new InvalidError(-1, `unknown ${what} option: ${unknown.join(', ')}`);
  for (const [name, value] of Object.entries(options)) {
    const [set, convert] = setters[name];
    check(set(o, convert(value)));
  }
}

// ---- the hub ----

function asSubscription(value) {
  return value instanceof Subscription ? [value, false] : [Subscription.fromJson(value), true];
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export class Hub extends Handle {
  #store;
  #callbacks = {};
  #timer = null;
  users = new Set();

  /** new Hub(options) or new Hub(store, options). Options are the wh_hub_options_set_*
   *  setters' names in camelCase: maxInFlight, maxInFlightPerSubscription, connectTimeoutMs,
   *  totalTimeoutMs, maxResponseBytes, maxBodyBytes, retryAfterCapS, disableAfterFailures,
   *  disableAfterMs, jitterPercent, userAgent, allowCidrs (an array), requireHttps, leaseMs,
   *  sharedQueue, defaultRetrySchedule (an array of seconds), defaultRetryOff, caFile,
   *  maxIdleConnections. Callbacks: log(level, message) with logLevel,
   *  onDisable(subscriptionId, reason), clock() -> ms since the epoch. Without a store, a
   *  memory store owned by the hub is used. */
  constructor(store = null, options = {}) {
    if (store !== null && !(store instanceof Store)) [store, options] = [null, store];
    const { allowCidrs = [], defaultRetrySchedule = null, log = null, logLevel = LOG_INFO,
      onDisable = null, clock = null, ...rest } = options ?? {};
    const callbacks = Hub.#makeCallbacks(log, onDisable, clock);
    const o = [null];
    check(c.hubOptsNew(o));
    const out = [null];
    try {
      applyOptions(o[0], HUB_SETTERS, rest, 'hub');
      for (const cidr of allowCidrs) check(c.hubOptsAllowCidr(o[0], cidr));
      if (defaultRetrySchedule !== null)
        check(c.hubOptsRetry(o[0], new Uint32Array(defaultRetrySchedule), defaultRetrySchedule.length));
      if (store) check(c.hubOptsStore(o[0], store.ptr, 0));
      check(c.hubOptsLog(o[0], callbacks.log, logLevel, null));
      check(c.hubOptsOnDisable(o[0], callbacks.disable, null));
      check(c.hubOptsClock(o[0], callbacks.clock, null));
      check(c.hubNew(out, o[0]));
    } catch (e) {
      for (const cb of Object.values(callbacks)) if (cb) koffi.unregister(cb);
      throw e;
    } finally {
      c.hubOptsFree(o[0]);
    }
    super(out[0], 'hub');
    this.#callbacks = callbacks;
    if (store) {
      this.#store = store;
      store.users.add(this);
    } else {
      this.#store = new Store(c.hubStore(out[0]), this);
    }
  }

  close() {
    if (this.closed) return;
    if (this.users.size) throw new StateError(-9, 'hub is still used by an open Api: close it first');
    this.stop();
    c.hubFree(this.release());
    this.#store.users.delete(this);
    this.#store.ownerClosed(this);
    for (const cb of Object.values(this.#callbacks)) if (cb) koffi.unregister(cb);
    this.#callbacks = {};
  }

  get store() { return this.#store; }

  // ---- subscriptions ----
  /** Register a Subscription, an object or JSON text; returns its id. */
  add(subscription) {
    const [sub, made] = asSubscription(subscription);
    try {
      check(c.hubSubAdd(this.ptr, sub.ptr));
      return sub.id;
    } finally {
      if (made) sub.close();
    }
  }

  get(id) {
    const out = [null];
    check(c.hubSubGet(this.ptr, id, out));
    return new Subscription({}, out[0]);
  }

  replace(subscription) {
    const [sub, made] = asSubscription(subscription);
    try {
      check(c.hubSubReplace(this.ptr, sub.ptr));
    } finally {
      if (made) sub.close();
    }
  }

  patch(id, changes) {
    const text = jsonBytes(changes);
    const out = [null];
    check(c.hubSubPatch(this.ptr, id, text, text.length, out));
    return new Subscription({}, out[0]);
  }

  delete(id) { check(c.hubSubDelete(this.ptr, id)); }

  /** Returns the new secret (shown this once). */
  rotateSecret(id, newSecret = null, overlapMs = 0) {
    const out = [null];
    check(c.hubSubRotate(this.ptr, id, newSecret, overlapMs, out));
    return takeText(out[0]);
  }

  subscriptions(options) { return this.#store.subscriptions(options); }

  // ---- events and deliveries ----
  /** Emit an Event, or a type with its data and Event's fields; returns how many deliveries
   *  were queued. */
  emit(event, data = undefined, fields = {}) {
    const made = !(event instanceof Event);
    const ev = made ? new Event(event, data, fields) : event;
    try {
      const n = [0];
      check(c.hubEmit(this.ptr, ev.ptr, n));
      return Number(n[0]);
    } finally {
      if (made) ev.close();
    }
  }

  /** Emit several Events in one atomic batch (one transaction for a SQLite store); returns how
   *  many deliveries were queued in all. */
  emitBatch(events) {
    const n = [0];
    check(c.hubEmitBatch(this.ptr, events.map((e) => e.ptr), events.length, n));
    return Number(n[0]);
  }

  /** Emit an Event (or a type with data and fields) to one webhook only, whatever its event
   *  filters say (the REST API's test event). */
  emitTo(event, webhookId, data = undefined, fields = {}) {
    const made = !(event instanceof Event);
    const ev = made ? new Event(event, data, fields) : event;
    try {
      check(c.hubEmitTo(this.ptr, ev.ptr, webhookId));
    } finally {
      if (made) ev.close();
    }
  }
  deliveries(options) { return this.#store.deliveries(options); }
  delivery(id) { return this.#store.delivery(id); }
  attempts(options) { return this.#store.attempts(options); }
  replay(deliveryId) { check(c.hubReplay(this.ptr, deliveryId)); }
  replaySince(webhookId, sinceMs = 0) {
    const n = [0];
    check(c.hubReplaySince(this.ptr, webhookId, sinceMs, n));
    return Number(n[0]);
  }
  /** Send again the failed deliveries of an active webhook made at or after sinceMs. */
  recover(webhookId, sinceMs = 0) {
    const n = [0];
    check(c.hubRecover(this.ptr, webhookId, sinceMs, n));
    return Number(n[0]);
  }

  // ---- the loop ----
  /** One bounded round of delivery work. With timeoutMs > 0 it blocks the event loop while it
   *  waits: prefer run(0) with the helpers below. */
  run(timeoutMs = 0) { check(c.hubRun(this.ptr, timeoutMs)); }
  /** ms until run() has work (0: now), -1 when nothing is scheduled. */
  timeoutMs() { return c.hubTimeoutMs(this.ptr); }
  get inFlight() { return Number(c.hubInFlight(this.ptr)); }
  /** Nothing in flight and nothing due now (retries may be scheduled later). */
  idle() { return this.inFlight === 0 && this.timeoutMs() !== 0; }
  now() { return Number(c.hubNow(this.ptr)); }

  /** [{fd, events}] to watch (POLLIN = 1, POLLOUT = 4) for hosts with their own poller. */
  pollfds() {
    const count = [0];
    check(c.hubPollfdsFlat(this.ptr, null, null, 0, count));
    const cap = Number(count[0]) + 8;
    const fds = new Int32Array(cap), events = new Int32Array(cap);
    check(c.hubPollfdsFlat(this.ptr, fds, events, cap, count));
    return Array.from({ length: Math.min(Number(count[0]), cap) },
      (_, i) => ({ fd: fds[i], events: events[i] }));
  }

  /** Run (never blocking the event loop for more than a step) until predicate() holds: true,
   *  or timeoutMs passes: false. */
  async runUntil(predicate, { timeoutMs = 10000, stepMs = 5 } = {}) {
    const end = Date.now() + timeoutMs;
    for (;;) {
      this.run(0);
      if (await predicate()) return true;
      if (Date.now() >= end) return false;
      const due = this.timeoutMs();
      await sleep(due === 0 ? 0 : due < 0 ? stepMs : Math.min(due, stepMs));
    }
  }

  async runUntilIdle(options) {
    const ok = await this.runUntil(() => this.idle(), options);
    this.run(0);
    return ok;
  }

  /** Drive the hub in the background from timers (every stepMs at most) until stop(). */
  start({ stepMs = 10 } = {}) {
    if (this.#timer) return;
    const tick = () => {
      if (this.closed) return;
      try {
        this.run(0);
      } catch (e) {
        console.error('webhooks: hub.run failed:', e);
      }
      const due = this.timeoutMs();
      this.#timer = setTimeout(tick, due < 0 ? stepMs : Math.min(due, stepMs));
      this.#timer.unref();
    };
    tick();
  }

  stop() {
    clearTimeout(this.#timer);
    this.#timer = null;
  }

  // ---- callbacks (registered for the hub's life) ----
  static #makeCallbacks(log, onDisable, clock) {
    const reg = (js, proto) => (js ? koffi.register(js, koffi.pointer(proto)) : null);
    return {
      log: reg(log && ((lvl, message) => {
        try { log(lvl, message); } catch (e) { console.error(e); }
      }), LogCb),
      disable: reg(onDisable && ((id, reason) => {
        try { onDisable(id, reason); } catch (e) { console.error(e); }
      }), DisableCb),
      clock: reg(clock && (() => {
        try { return Number(clock()); } catch (e) { console.error(e); return Date.now(); }
      }), ClockCb),
    };
  }
}

// ---- the registration API ----

/** Scope bits from a number or a list ("webhooks:read,webhooks:write" or an array). */
export function scopes(value) {
  if (typeof value === 'number') return value;
  const out = [0];
  check(c.apiScopesParse(Array.isArray(value) ? value.join(',') : value, out));
  return out[0];
}

export class Api extends Handle {
  #hub;
  #auth = null;

  constructor(hub, { revealSecrets = false, serverIds = false } = {}) {
    const out = [null];
    check(c.apiNew(out, hub.ptr));
    super(out[0], 'api');
    this.#hub = hub;
    hub.users.add(this);
    if (revealSecrets) check(c.apiSetReveal(this.ptr, 1));
    if (serverIds) check(c.apiSetServerIds(this.ptr, 1));
  }

  close() {
    const p = this.release();
    if (p === null) return;
    c.apiFree(p);
    this.#hub.users.delete(this);
    if (this.#auth) koffi.unregister(this.#auth);
    this.#auth = null;
  }

  addKey(key, owner, scope = 'webhooks:read,webhooks:write') {
    check(c.apiAddKey(this.ptr, key, owner, scopes(scope)));
  }

  removeKey(key) { check(c.apiRemoveKey(this.ptr, key)); }
  addEventType(name, displayName = null, customId = null) {
    check(c.apiAddType(this.ptr, name, displayName, customId));
  }

  addEntity(entity, actions = []) { check(c.apiAddEntity(this.ptr, entity, actions, actions.length)); }
  addRelation(relation) { check(c.apiAddRelation(this.ptr, relation)); }
  loadCatalogue(catalogue) {
    const text = jsonBytes(catalogue);
    check(c.apiLoadCatalogue(this.ptr, text, text.length));
  }

  /** callback(credential) -> {owner, scopes} for a valid credential, or null. */
  setAuth(callback) {
    const js = callback && ((credential, ownerBuf, ownerSize, scopesOut) => {
      try {
        const found = callback(credential);
        if (!found) return -5; // WH_EUNAUTHORIZED: 401
        const owner = Buffer.from(String(found.owner), 'utf8')
          .subarray(0, Number(ownerSize) - 1);
        koffi.encode(ownerBuf, koffi.array('uint8_t', owner.length + 1),
          [...owner, 0]);
        koffi.encode(scopesOut, 'unsigned int', scopes(found.scopes));
        return 0;
      } catch (e) {
        console.error(e);
        return -8; // WH_EIO: the host could not decide (500, not 401)
      }
    });
    const cb = js ? koffi.register(js, koffi.pointer(AuthCb)) : null;
    try {
      check(c.apiSetAuth(this.ptr, cb, null));
    } catch (e) {
      if (cb) koffi.unregister(cb);
      throw e;
    }
    if (this.#auth) koffi.unregister(this.#auth);
    this.#auth = cb;
  }

  /** Handle one request: {status, headers: [[name, value]], body: Buffer, json()}. */
  handle(method, urlPath, { query = null, headers = {}, body = null } = {}) {
    const pairs = headerPairs(headers);
    const raw = bytes(body);
    const status = [0], hdr = [null], out = [null], outLen = [0];
    check(c.apiHandleSimple(this.ptr, method, urlPath, query, pairs.map((p) => p[0]),
      pairs.map((p) => p[1]), pairs.length, raw, raw.length, status, hdr, out, outLen));
    const lines = (takeText(hdr[0]) ?? '').split('\r\n').filter((l) => l.includes(': '));
    const resBody = take(out[0], outLen[0]) ?? Buffer.alloc(0);
    const resHeaders = lines.map((l) => [l.slice(0, l.indexOf(': ')), l.slice(l.indexOf(': ') + 2)]);
    return {
      status: status[0],
      headers: resHeaders,
      body: resBody,
      header: (name) => resHeaders.find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1] ?? null,
      json: () => (resBody.length ? JSON.parse(resBody.toString('utf8')) : null),
    };
  }
}

// ---- signatures ----

/** Sign body; returns the headers a delivery carries as an object (in order).
 *  scheme: "standard", "github", "stripe" or "none"; secrets: a string or an array. */
export function sign(schemeName, secrets, body, { msgId = null, timestamp = 0 } = {}) {
  const list = Array.isArray(secrets) ? secrets : [secrets];
  const raw = bytes(body);
  const out = [null];
  check(c.sign(out, scheme(schemeName), list, list.length, msgId, timestamp, raw, raw.length));
  try {
    const h = {};
    const n = Number(c.headersCount(out[0]));
    for (let i = 0; i < n; i++) h[c.headersName(out[0], i)] = c.headersValue(out[0], i);
    return h;
  } finally {
    c.headersFree(out[0]);
  }
}

/** Verify a received delivery: returns true or throws a SignatureError subclass. headers: an
 *  object (e.g. node:http's req.headers), a Map or [name, value] pairs. */
export function verify(schemeName, secrets, headers, body, { now = 0, toleranceS = 0 } = {}) {
  const list = Array.isArray(secrets) ? secrets : [secrets];
  const pairs = headerPairs(headers);
  const raw = bytes(body);
  check(c.verify(scheme(schemeName), list, list.length, pairs.map((p) => p[0]),
    pairs.map((p) => p[1]), pairs.length, raw, raw.length, now, toleranceS));
  return true;
}

/** The version of the loaded library, e.g. "0.1.0". */
export function version() { return c.version(); }
