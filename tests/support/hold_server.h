/* A loopback HTTP/1.1 server for concurrency tests: one thread, epoll, any number of
 * connections. It reads each request (headers and a Content-Length body), holds it unanswered,
 * and answers 204 only when the test releases it: the newest first or all. Keep-alive: a
 * released connection may carry the next request. */
#ifndef WH_TEST_HOLD_SERVER_H
#define WH_TEST_HOLD_SERVER_H

#include <stddef.h>

typedef struct hold_server hold_server;

/* Listen on 127.0.0.1 (an ephemeral port); NULL on failure. */
hold_server *hold_server_start(void);
void hold_server_stop(hold_server *s);
int hold_server_port(const hold_server *s);
/* Requests read and not yet answered, and answered in all. */
size_t hold_server_held(hold_server *s);
size_t hold_server_answered(hold_server *s);
/* Answer the n requests that arrived last (all: n = (size_t)-1). */
void hold_server_release_newest(hold_server *s, size_t n);

#endif
