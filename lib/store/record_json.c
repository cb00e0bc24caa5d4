/* Deliveries and attempts as JSON (record_json.h): the one writer of their fields. */
#include <string.h>

#include <cjson/cJSON.h>

#include "record_json.h"
#include "json.h"

static void put_int_or_null(whi_buf *b, const char *key, int v)
{
    if (v)
        whi_buf_printf(b, ",\"%s\":%d", key, v);
    else
        whi_buf_printf(b, ",\"%s\":null", key);
}

static void put_key_str(whi_buf *b, const char *key, const char *s)
{
    whi_buf_printf(b, ",\"%s\":", key);
    whi_json_str(b, s);
}

static void put_key_time(whi_buf *b, const char *key, wh_time_ms at)
{
    whi_buf_printf(b, ",\"%s\":", key);
    whi_json_time(b, at);
}

/* Stored headers are a JSON object's text; anything else shows as an empty object. */
static void put_headers(whi_buf *b, const char *headers)
{
    cJSON *h = headers ? cJSON_Parse(headers) : NULL;
    if (cJSON_IsObject(h))
        whi_buf_printf(b, ",\"headers\":%s", headers);
    else
        whi_buf_puts(b, ",\"headers\":{}");
    cJSON_Delete(h);
}

void whi_delivery_json_members(whi_buf *b, const wh_delivery *d, bool full)
{
    const char *method = wh_method_name(d->method), *status = wh_delivery_status_name(d->status);
    whi_buf_puts(b, "\"id\":");
    whi_json_str(b, d->id);
    put_key_str(b, "webhookId", d->subscription_id);
    put_key_str(b, "ownerId", d->owner_id);
    put_key_str(b, "eventId", d->event_id);
    put_key_str(b, "eventType", d->event_type);
    put_key_str(b, "idempotencyKey", d->idempotency_key);
    put_key_str(b, "method", method ? method : "?");
    put_key_str(b, "url", d->url);
    put_key_str(b, "status", status ? status : "?");
    whi_buf_printf(b, ",\"attempts\":%u", (unsigned)d->attempts);
    put_int_or_null(b, "lastStatus", d->last_status);
    put_key_str(b, "lastError", d->last_error);
    put_key_time(b, "nextAttemptAt", d->status == WH_DELIVERY_PENDING ? d->next_attempt_at : 0);
    put_key_time(b, "leaseUntil", d->status == WH_DELIVERY_IN_FLIGHT ? d->lease_until : 0);
    put_key_time(b, "eventTime", d->event_time);
    put_key_time(b, "createdAt", d->created_at);
    put_key_time(b, "updatedAt", d->updated_at);
    whi_buf_printf(b, ",\"bodyLength\":%zu", d->body_len);
    if (!full) return;
    put_headers(b, d->headers);
    whi_buf_putc(b, ',');
    whi_json_bytes(b, "body", "bodyBase64", d->body, d->body_len);
}

void whi_attempt_json(whi_buf *b, const wh_attempt *a)
{
    whi_buf_puts(b, "{\"deliveryId\":");
    whi_json_str(b, a->delivery_id);
    put_key_str(b, "webhookId", a->subscription_id);
    whi_buf_printf(b, ",\"number\":%u", (unsigned)a->number);
    put_key_time(b, "startedAt", a->started_at);
    whi_buf_printf(b, ",\"durationMs\":%u", (unsigned)a->duration_ms);
    put_int_or_null(b, "httpStatus", a->http_status);
    put_int_or_null(b, "errorCode", a->error_code);
    put_key_str(b, "error", a->error);
    whi_buf_putc(b, ',');
    whi_json_bytes(b, "response", "responseBase64", a->response, a->response_len);
    whi_buf_putc(b, '}');
}
