/*
 * A store author's test built against the installed conformance kit (webhooks::conformance):
 * here it runs the suite against libwebhooks' own memory store, as a third-party store would
 * against its own.
 */
#include <webhooks/conformance.h>

static int make(wh_store **out, void *user_data)
{
    (void)user_data;
    return wh_store_memory_new(out);
}

int main(void)
{
    return wh_store_conformance_run("installed_kit_memory", make, NULL) ? 1 : 0;
}
