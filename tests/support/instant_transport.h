/*
 * A transport that answers every request at the next perform() with a fixed status, without a
 * socket: for tests and benchmarks about what the hub and the store do per delivery (memory,
 * retention), where a real HTTP peer would only add time.
 */
#ifndef WH_TEST_INSTANT_TRANSPORT_H
#define WH_TEST_INSTANT_TRANSPORT_H

#include <webhooks/sys/transport.h>

/* A new transport answering status (e.g. 200); free with its free member (or give it to a hub
 * with ownership). Asserts on failure. */
wh_transport *instant_transport_new(int status);
/* Requests it has answered so far. */
size_t instant_transport_answered(const wh_transport *t);

#endif
