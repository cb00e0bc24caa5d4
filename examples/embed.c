/*
 * examples/embed.c: the smallest complete host of libwebhooks.
 *
 * A hub over a SQLite store (a file in a temporary directory), one webhook registered in code,
 * one event emitted, and the hub's loop run until the delivery is done. Usage:
 *
 *     example_embed URL [SECRET]
 *
 * URL is the receiver's (default http://127.0.0.1:9000/hooks, where `webhooks listen` listens);
 * SECRET the one it verifies with (default: a generated one, printed). Exits 0 only when the
 * receiver answered 2xx.
 */
#define _DEFAULT_SOURCE /* mkdtemp */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <webhooks.h>

static int fail(const char *what)
{
    const wh_error *e = wh_error_last(); /* the thread's last error: message plus details */
    fprintf(stderr, "%s: %s\n", what, e->message);
    for (size_t i = 0; i < e->details_count; i++)
        fprintf(stderr, "  - %s\n", e->details[i]);
    return 1;
}

int main(int argc, char **argv)
{
    const char *url = argc > 1 ? argv[1] : "http://127.0.0.1:9000/hooks";
    const char *secret = argc > 2 ? argv[2] : NULL;
    char dir[] = "/tmp/webhooks-embed-XXXXXX", db[64];
    if (!mkdtemp(dir)) return perror("mkdtemp"), 1;
    snprintf(db, sizeof(db), "%s/webhooks.db", dir);

    /* 1. A durable store: registered webhooks and accepted events survive a crash. */
    wh_store *store;
    if (wh_store_sqlite_open(&store, db) != WH_OK) return fail("open the store");

    /* 2. The hub, owning the store. The SSRF guard refuses private addresses such as
     *    127.0.0.1 unless allowed: this demo's receiver runs on loopback. */
    wh_hub_options *opts;
    wh_hub *hub;
    if (wh_hub_options_new(&opts) != WH_OK || wh_hub_options_set_store(opts, store, 1) != WH_OK ||
        wh_hub_options_allow_cidr(opts, "127.0.0.0/8") != WH_OK || wh_hub_new(&hub, opts) != WH_OK)
        return fail("create the hub");
    wh_hub_options_free(opts); /* the hub keeps its own copy */

    /* 3. One webhook, registered in code (hosts usually take them from their users as JSON:
     *    wh_subscription_from_json, or the registration API). Without a secret, one is
     *    generated when it is added. */
    wh_subscription *sub;
    if (wh_subscription_new(&sub) != WH_OK || wh_subscription_set_url(sub, url) != WH_OK ||
        wh_subscription_list_add(sub, WH_LIST_EVENTS, "order.*") != WH_OK ||
        (secret && wh_subscription_add_secret(sub, secret, 0) != WH_OK) ||
        wh_hub_subscription_add(hub, sub) != WH_OK)
        return fail("register the webhook");
    /* The receiver verifies with this secret (a user is shown it once, like a password). */
    printf("webhook %s signs with %s\n", wh_subscription_id(sub),
           wh_subscription_secret_at(sub, 0));

    /* 4. Emit an event: it is matched, rendered and stored before wh_hub_emit returns. */
    wh_event *ev;
    const char *data = "{\"orderId\":42,\"total\":\"19.90\"}";
    size_t queued = 0;
    if (wh_event_new(&ev, "order.created") != WH_OK ||
        wh_event_set_data(ev, data, strlen(data)) != WH_OK ||
        wh_hub_emit(hub, ev, &queued) != WH_OK)
        return fail("emit the event");

    /* 5. Run the loop until the webhook's first attempt is recorded (10 s at most). */
    int status = 0;
    for (int i = 0; i < 500 && status == 0; i++) {
        wh_subscription *now;
        if (wh_hub_run(hub, 20) != WH_OK ||
            wh_hub_subscription_get(hub, wh_subscription_id(sub), &now) != WH_OK)
            return fail("run the hub");
        status = wh_subscription_last_delivery_status(now); /* HTTP status, or a WH_E* code */
        wh_subscription_free(now);
    }

    /* 6. The outcome. */
    printf("event %s -> %zu delivery to %s: %d %s\n", wh_event_id(ev), queued, url, status,
           status < 0                      ? wh_strerror(status)
           : status >= 200 && status < 300 ? "OK"
                                           : "failed");
    wh_event_free(ev);
    wh_subscription_free(sub);
    wh_hub_free(hub); /* frees the store too */
    unlink(db);
    rmdir(dir);
    return status >= 200 && status < 300 ? 0 : 1;
}
