/*
 * The throw-away PostgreSQL server of tests/support/pg_server.c for shell tests: starts it,
 * prints its URI ("postgresql://wh@127.0.0.1:PORT/wh") on a line of its own, and stops it (and
 * removes its directory) when its standard input closes or after 300 s, whichever comes first.
 * A shell test runs it as a coprocess and closes the pipe to end it.
 */
#include <stdio.h>

#include "pg_server.h"

int main(void)
{
    wh_pg_server *pg = wh_pg_server_start(300);
    if (!pg) return 1;
    printf("%s\n", wh_pg_server_uri(pg));
    fflush(stdout);
    while (getchar() != EOF) {
    }
    wh_pg_server_free(pg);
    return 0;
}
