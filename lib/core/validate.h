/* Field checks shared by subscriptions, events and the API. Each returns NULL when the value is
 * acceptable, or a short reason ("must be 1..255 bytes") to put after the field's name. */
#ifndef WEBHOOKS_VALIDATE_H
#define WEBHOOKS_VALIDATE_H

#include <stdbool.h>
#include <stddef.h>

const char *whi_check_id(const char *s);                /* 1..255 of [A-Za-z0-9._~:-] */
const char *whi_check_label(const char *s, size_t max); /* 1..max bytes of UTF-8, no controls */
const char *whi_check_text(const char *s, size_t max);  /* 0..max bytes of UTF-8 */
const char *whi_check_url(const char *s);               /* absolute http(s), <= 2048, no spaces */
const char *whi_check_event_type(const char *s, bool allow_wildcards);
const char *whi_check_attr_name(const char *s); /* 1..64 of [A-Za-z0-9_.-] */

#endif
