/* Shared by the fuzz targets: a fixed, rich event (built once) and invariant checks that abort,
 * so a broken invariant is reported as a crash both by libFuzzer and by the corpus replay. */
#ifndef WH_FUZZ_SUPPORT_H
#define WH_FUZZ_SUPPORT_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <webhooks.h>
#include <webhooks/sys/store.h> /* tests reach the ports directly */
#include <webhooks/sys/transport.h>

#define FUZZ_CHECK(cond)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: invariant failed: %s (last error: %s)\n", __FILE__, __LINE__,  \
                    #cond, wh_error_last_message());                                               \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* The seed 003 commerce event with attributes that stress every escaping mode. Never freed:
 * it stays reachable for the whole run. */
static inline const wh_event *fuzz_fixed_event(void)
{
    static wh_event *ev;
    if (ev) return ev;
    FUZZ_CHECK(wh_event_new(&ev, "order.row.created") == WH_OK);
    FUZZ_CHECK(wh_event_set_entity(ev, "Order") == WH_OK);
    FUZZ_CHECK(wh_event_set_action(ev, "create") == WH_OK);
    FUZZ_CHECK(wh_event_add_id(ev, "1001") == WH_OK);
    FUZZ_CHECK(wh_event_add_id(ev, "a/b,c") == WH_OK);
    FUZZ_CHECK(wh_event_add_product(ev, "p1") == WH_OK);
    FUZZ_CHECK(wh_event_set_identifier(ev, "form-1") == WH_OK);
    FUZZ_CHECK(wh_event_set_source(ev, "CRM") == WH_OK);
    FUZZ_CHECK(wh_event_set_attribute(ev, "account", "myshop") == WH_OK);
    FUZZ_CHECK(wh_event_set_attribute(ev, "environment", "prod") == WH_OK);
    FUZZ_CHECK(wh_event_set_attribute(ev, "paymentName", "Visa \"gold\" / \\ é") == WH_OK);
    FUZZ_CHECK(wh_event_set_attribute(ev, "crlf", "a\r\nb") == WH_OK);
    FUZZ_CHECK(wh_event_set_attribute(ev, "ctl", "\x01\x1f\x7f") == WH_OK);
    FUZZ_CHECK(wh_event_set_data(ev, "{\"total\":1}", 11) == WH_OK);
    FUZZ_CHECK(wh_event_set_relation(ev, "COMPANY", "{\"n\":\"ACME\"}", 12) == WH_OK);
    FUZZ_CHECK(wh_event_set_occurred_at(ev, 1700000000123LL) == WH_OK);
    return ev;
}

/* Every mode; a template must compile in the non-header modes alike. */
static const wh_escape FUZZ_MODES[] = {WH_ESCAPE_RAW, WH_ESCAPE_URL, WH_ESCAPE_JSON,
                                       WH_ESCAPE_HEADER};

/* Render a template source in every mode against ev, checking the documented contracts. */
static inline void fuzz_render_all_modes(const char *src, size_t len, const wh_event *ev,
                                         const char *sub_id)
{
    int first_rc = 1;
    for (size_t m = 0; m < sizeof(FUZZ_MODES) / sizeof(FUZZ_MODES[0]); m++) {
        wh_template *t = (wh_template *)&first_rc;
        int rc = wh_template_compile(&t, src, len, FUZZ_MODES[m]);
        FUZZ_CHECK(rc == WH_OK || rc == WH_EINVAL || rc == WH_ETOOLARGE);
        if (rc != WH_OK) {
            FUZZ_CHECK(t == NULL);
            FUZZ_CHECK(wh_error_last_code() == rc && wh_error_last_message()[0] != '\0');
        }
        if (FUZZ_MODES[m] != WH_ESCAPE_HEADER) {
            if (first_rc == 1) first_rc = rc;
            FUZZ_CHECK(rc == first_rc); /* only header mode adds compile rules */
        }
        if (rc != WH_OK) continue;
        size_t n = wh_template_placeholder_count(t);
        for (size_t i = 0; i < n; i++) {
            const char *name = wh_template_placeholder_at(t, i);
            FUZZ_CHECK(name && name[0] && strlen(name) <= 64);
        }
        FUZZ_CHECK(wh_template_placeholder_at(t, n) == NULL);
        char *out = NULL;
        size_t olen = 0;
        rc = wh_template_render(t, ev, sub_id, 4096, &out, &olen);
        FUZZ_CHECK(rc == WH_OK || rc == WH_ERENDER || rc == WH_ETOOLARGE);
        FUZZ_CHECK((rc == WH_OK) == (out != NULL));
        if (out) {
            FUZZ_CHECK(olen <= 4096 && out[olen] == '\0');
            if (FUZZ_MODES[m] == WH_ESCAPE_HEADER)
                for (size_t i = 0; i < olen; i++)
                    FUZZ_CHECK(out[i] != '\r' && out[i] != '\n');
            wh_free(out);
        }
        rc = wh_template_render_url(t, ev, sub_id, &out, &olen);
        FUZZ_CHECK(rc == WH_OK || rc == WH_ERENDER || rc == WH_ETOOLARGE);
        if (out) {
            FUZZ_CHECK(olen <= 2048 && strlen(out) == olen);
            FUZZ_CHECK(out[0] == 'h' || out[0] == 'H'); /* an absolute http(s) URL */
            wh_free(out);
        }
        wh_template_free(t);
    }
}

#endif
