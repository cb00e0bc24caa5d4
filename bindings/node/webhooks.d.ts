// TypeScript declarations of the libwebhooks Node package (webhooks.mjs). The API is the C
// library's and the REST API's, the same as the Python package's: see docs/bindings.md.

/// <reference types="node" />

export const LOG_ERROR: 0;
export const LOG_WARN: 1;
export const LOG_INFO: 2;
export const LOG_DEBUG: 3;
export const SCOPE_WEBHOOKS_READ: 0x1;
export const SCOPE_WEBHOOKS_WRITE: 0x2;
export const SCOPE_EVENTS_WRITE: 0x4;
export const SCOPE_ALL: 0x7;

/** The library file loaded (WEBHOOKS_LIB, or the name the loader resolved). */
export function libraryPath(): string;
/** The version of the loaded library, e.g. "0.1.0". */
export function version(): string;
/** wh_error_name: the name of an error code, e.g. "WH_ENOTFOUND". */
export function errorName(code: number): string;
/** wh_strerror: the fixed text of an error code, e.g. "not found". */
export function strerror(code: number): string;

/** A failed library call. */
export class WebhooksError extends Error {
  constructor(code: number, message: string, details?: string[]);
  /** The negative WH_E* number. */
  readonly code: number;
  /** One entry per problem, e.g. "url: must be an absolute http(s) URL". */
  readonly details: string[];
  /** The library's message alone (Error.message adds the details). */
  readonly libraryMessage: string;
  /** The code's name in the C headers, e.g. "WH_EINVAL". */
  readonly errorName: string;
  /** The fixed text of the code, e.g. "invalid argument". */
  readonly text: string;
}
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

/** JSON as the library reads and writes it. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
/** A JSON value, or JSON text (a string or a Buffer). */
export type JsonInput = Json | Buffer;

/** A listing page: the records, plus the paging the store answered. */
export interface Page<T> extends Array<T> {
  total: number;
  page: number;
  limit: number;
}

/** A delivery as JSON (the same fields as the REST API's). */
export interface Delivery {
  id: string;
  webhookId: string;
  ownerId: string | null;
  eventId: string;
  eventType: string;
  idempotencyKey: string;
  method: string;
  url: string | null;
  status: 'pending' | 'in_flight' | 'succeeded' | 'failed';
  attempts: number;
  lastStatus: number | null;
  lastError: string | null;
  nextAttemptAt: string | null;
  leaseUntil: string | null;
  eventTime: string | null;
  createdAt: string;
  updatedAt: string;
  bodyLength: number;
  /** Only from delivery(id): the rendered custom headers and the body. */
  headers?: Record<string, string>;
  body?: string;
  bodyBase64?: string;
}

/** One attempt of a delivery as JSON. */
export interface Attempt {
  deliveryId: string;
  webhookId: string;
  number: number;
  startedAt: string;
  durationMs: number;
  httpStatus: number | null;
  errorCode: number | null;
  error: string | null;
  response?: string;
  responseBase64?: string;
}

export type DeliveryStatus = 'pending' | 'in_flight' | 'succeeded' | 'failed';

export interface Paging {
  limit?: number;
  page?: number;
}

/** A webhook registration (wh_subscription). */
export class Subscription {
  /** A new id and secret; fields (the webhook JSON, camelCase) are applied as a merge patch. */
  constructor(fields?: Record<string, Json>);
  static fromJson(value: JsonInput): Subscription;
  readonly closed: boolean;
  close(): void;
  toJson(options?: { secrets?: boolean }): string;
  toObject(options?: { secrets?: boolean }): Record<string, Json>;
  /** Apply a JSON merge patch; all or nothing. */
  patch(changes: JsonInput): this;
  readonly id: string;
  url: string | null;
  name: string | null;
  readonly status: 'active' | 'disabled' | 'waiting_config';
  readonly events: string[];
  addEvent(pattern: string): this;
  readonly secrets: string[];
  /** Set a custom header (null removes it). */
  setHeader(name: string, value: string | null): this;
}

/** The fields of an event besides its type and data. */
export interface EventFields {
  id?: string;
  entity?: string;
  action?: string;
  ids?: string[];
  products?: string[];
  attributes?: Record<string, string>;
  relations?: Record<string, JsonInput>;
  identifier?: string;
  source?: string;
  /** ms since the Unix epoch, or a Date */
  occurredAt?: number | Date;
}

/** An event to emit (wh_event). */
export class Event {
  /** type, then the payload (any JSON value), then the other fields. */
  constructor(type: string, data?: JsonInput, fields?: EventFields);
  static fromJson(value: JsonInput): Event;
  readonly closed: boolean;
  close(): void;
  toJson(): string;
  toObject(): Record<string, Json>;
  readonly id: string;
  readonly type: string;
  data: Json;
  /** ms since the Unix epoch */
  occurredAt: number;
  setAttribute(name: string, value: string | null): this;
}

export interface SqliteOptions {
  busyTimeoutMs?: number;
  synchronous?: 'full' | 'normal';
  maxPageCount?: number;
  readOnly?: boolean;
}

/** Where webhooks, the delivery queue and the attempt log live (wh_store). */
/** The options of a memory store. */
export interface MemoryOptions {
  /** finished deliveries kept, the oldest dropped first (default 10 000; 0: no cap) */
  maxFinished?: number;
  /** event ids remembered for event idempotency, the oldest forgotten first (default 100 000; 0: no cap) */
  maxEventIds?: number;
}

/** The options of a PostgreSQL store. */
export interface PostgresOptions {
  /** connections for its calls, at most (default 4) */
  maxConnections?: number;
  /** create or upgrade the tables on open (default true) */
  migrate?: boolean;
}

export class Store {
  static memory(options?: MemoryOptions): Store;
  static postgres(conninfo: string, options?: PostgresOptions): Store;
  static sqlite(file: string, options?: SqliteOptions): Store;
  readonly closed: boolean;
  close(): void;
  subscriptions(options?: { owner?: string | null; secrets?: boolean } & Paging):
    Page<Record<string, Json>>;
  deliveries(options?: { webhookId?: string | null; status?: DeliveryStatus } & Paging):
    Page<Delivery>;
  delivery(id: string): Delivery;
  attempts(options: { deliveryId?: string | null; webhookId?: string | null } & Paging):
    Page<Attempt>;
  /** Delete finished deliveries older than the time (ms); returns how many went. */
  purge(olderThanMs: number): number;
}

/** The options of a hub: the wh_hub_options_set_* setters in camelCase, and its callbacks. */
export interface HubOptions {
  maxInFlight?: number;
  maxInFlightPerSubscription?: number;
  slowAfterMs?: number;
  /** finished deliveries are purged after this long (default 30 days; 0: kept forever) */
  retentionMs?: number;
  /** an event id is accepted once this long: emitting it again throws ConflictError (default a day; 0: off) */
  eventIdWindowMs?: number;
  connectTimeoutMs?: number;
  totalTimeoutMs?: number;
  maxResponseBytes?: number;
  maxBodyBytes?: number;
  retryAfterCapS?: number;
  disableAfterFailures?: number;
  disableAfterMs?: number;
  jitterPercent?: number;
  userAgent?: string;
  allowCidrs?: string[];
  requireHttps?: boolean;
  leaseMs?: number;
  sharedQueue?: boolean;
  defaultRetrySchedule?: number[];
  defaultRetryOff?: boolean;
  caFile?: string;
  maxIdleConnections?: number;
  log?: (level: number, message: string) => void;
  logLevel?: number;
  onDisable?: (webhookId: string, reason: string) => void;
  /** ms since the Unix epoch */
  clock?: () => number;
}

/** The delivery engine (wh_hub). */
export class Hub {
  constructor(options?: HubOptions);
  constructor(store: Store | null, options?: HubOptions);
  readonly closed: boolean;
  close(): void;
  readonly store: Store;
  /** Register a Subscription, an object or JSON text; returns its id. */
  add(subscription: Subscription | JsonInput): string;
  get(webhookId: string): Subscription;
  replace(subscription: Subscription | JsonInput): void;
  patch(webhookId: string, changes: JsonInput): Subscription;
  delete(webhookId: string): void;
  /** Returns the new secret (shown this once). */
  rotateSecret(webhookId: string, newSecret?: string | null, overlapMs?: number): string;
  subscriptions(options?: { owner?: string | null; secrets?: boolean } & Paging):
    Page<Record<string, Json>>;
  /** Emit an Event, or a type with its data and fields; returns how many deliveries were
   *  queued. */
  emit(event: Event | string, data?: JsonInput, fields?: EventFields): number;
  emitBatch(events: Event[]): number;
  emitTo(event: Event | string, webhookId: string, data?: JsonInput, fields?: EventFields): void;
  deliveries(options?: { webhookId?: string | null; status?: DeliveryStatus } & Paging):
    Page<Delivery>;
  delivery(id: string): Delivery;
  attempts(options: { deliveryId?: string | null; webhookId?: string | null } & Paging):
    Page<Attempt>;
  replay(deliveryId: string): void;
  replaySince(webhookId: string, sinceMs?: number): number;
  /** Send again the failed deliveries of an active webhook made at or after sinceMs. */
  recover(webhookId: string, sinceMs?: number): number;
  /** One bounded round of delivery work (blocks the event loop while timeoutMs > 0). */
  run(timeoutMs?: number): void;
  /** ms until run() has work (0: now), -1 when nothing is scheduled. */
  timeoutMs(): number;
  readonly inFlight: number;
  idle(): boolean;
  /** The hub's clock, ms since the Unix epoch. */
  now(): number;
  pollfds(): { fd: number; events: number }[];
  runUntil(predicate: () => boolean, options?: { timeoutMs?: number; stepMs?: number }):
    Promise<boolean>;
  runUntilIdle(options?: { timeoutMs?: number; stepMs?: number }): Promise<boolean>;
  /** Drive the hub from timers until stop(). */
  start(options?: { stepMs?: number }): void;
  stop(): void;
}

/** Scope bits from a number or a list ("webhooks:read,webhooks:write" or an array). */
export function scopes(value: number | string | string[]): number;

export interface ApiResponse {
  status: number;
  headers: [string, string][];
  body: Buffer;
  header(name: string): string | null;
  json(): Json;
}

/** The HTTP-agnostic registration API (wh_api) over a hub it borrows. */
export class Api {
  constructor(hub: Hub, options?: { revealSecrets?: boolean; serverIds?: boolean });
  readonly closed: boolean;
  close(): void;
  addKey(key: string, owner: string, scope?: number | string | string[]): void;
  removeKey(key: string): void;
  addEventType(name: string, displayName?: string | null, customId?: string | null): void;
  addEntity(entity: string, actions?: string[]): void;
  addRelation(relation: string): void;
  loadCatalogue(catalogue: JsonInput): void;
  /** callback(credential) -> [owner, scopes] for a valid credential, or null. */
  setAuth(callback: ((credential: string) => [string, number | string | string[]] | null) | null):
    void;
  handle(method: string, urlPath: string,
    request?: { query?: string | null; headers?: Record<string, string | string[]> |
      Map<string, string> | [string, string][]; body?: string | Buffer | null }): ApiResponse;
}

export type Scheme = 'standard' | 'github' | 'stripe' | 'none';

/** Sign body; returns the headers a delivery carries. */
export function sign(scheme: Scheme, secrets: string | string[], body: string | Buffer,
  options?: { msgId?: string | null; timestamp?: number }): Record<string, string>;
/** Verify a received delivery: true, or throws a SignatureError subclass. */
export function verify(scheme: Scheme, secrets: string | string[],
  headers: Record<string, string | string[] | undefined> | Map<string, string> |
    [string, string][],
  body: string | Buffer, options?: { now?: number; toleranceS?: number }): true;
