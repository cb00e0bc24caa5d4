/* A program built against the installed libwebhooks: makes a subscription, prints its JSON. */
#include <stdio.h>
#include <string.h>

#include <webhooks.h>

int main(void)
{
    wh_subscription *sub;
    if (wh_subscription_new(&sub) != WH_OK) return 1;
    int rc = wh_subscription_set_url(sub, "https://example.com/hook");
    rc = rc ? rc : wh_subscription_list_add(sub, WH_LIST_EVENTS, "order.created");
    char *json = NULL;
    rc = rc ? rc : wh_subscription_to_json(sub, 0, &json, NULL);
    if (rc != WH_OK || !strstr(json, "\"order.created\"")) {
        fprintf(stderr, "consumer: %s\n", wh_error_last()->message);
        return 1;
    }
    printf("consumer linked libwebhooks %s: %.60s...\n", wh_version(), json);
    wh_free(json);
    wh_subscription_free(sub);
    return 0;
}
