/*
 * The PostgreSQL store against a real server this test starts (tests/support/pg_server.h): the
 * conformance suite and the built-in limits, each case on a schema of its own.
 */
#include <stdio.h>
#include <stdlib.h>

#include <webhooks/conformance.h>
#include "pg_server.h"
#include "store_limits.h"
#include "wh_test.h"

static wh_pg_server *g_pg;
static int g_schemas;

/* A fresh schema per case. */
static int make_postgres(wh_store **out, void *user_data)
{
    (void)user_data;
    char name[32], conninfo[512];
    snprintf(name, sizeof(name), "case_%d", g_schemas++);
    if (!wh_pg_server_schema(g_pg, name, conninfo, sizeof(conninfo))) return WH_EIO;
    return wh_store_postgres_open(out, conninfo);
}

int main(void)
{
    if (!(g_pg = wh_pg_server_start(600))) return 1;
    int failed = wh_store_conformance_run("store_postgres", make_postgres, NULL);
    failed += wh_store_limits_run("store_postgres_limits", make_postgres, NULL);
    wh_pg_server_free(g_pg);
    return failed ? 1 : 0;
}
