/*
 * examples/subscriptions.c: register-time work a host does with libwebhooks.
 * Parses a webhook the way a REST client would send it, shows the validation errors a bad one
 * gets (message plus one detail per field), and prints the stored form with and without secrets.
 */
#include <stdio.h>
#include <string.h>

#include <webhooks.h>

static int show_error(const char *what)
{
    const wh_error *e = wh_error_last();
    printf("%s: %s (%s)\n", what, e->message, wh_strerror(e->code));
    for (size_t i = 0; i < e->details_count; i++)
        printf("  - %s\n", e->details[i]);
    return e->code;
}

int main(void)
{
    printf("libwebhooks %s\n\n", wh_version());

    const char *good = "{\"name\":\"Sistema ERP\",\"url\":\"https://erp.example.com/hooks\","
                       "\"events\":[\"order.*\",\"invoice.paid\"],"
                       "\"headers\":{\"X-Source\":\"shop\"},"
                       "\"retry\":{\"schedule\":[600,600,600]}}";
    wh_subscription *sub;
    if (wh_subscription_from_json(&sub, good, strlen(good)) != WH_OK)
        return show_error("unexpected failure");
    char *listing, *created;
    if (wh_subscription_to_json(sub, 0, &listing, NULL) != WH_OK ||
        wh_subscription_to_json(sub, WH_JSON_SECRETS, &created, NULL) != WH_OK)
        return show_error("serialise");
    printf("registered webhook %s (a secret was generated: %.12s...)\n", wh_subscription_id(sub),
           wh_subscription_secret_at(sub, 0));
    printf("as listed (secrets left out):\n%s\n\n", listing);
    int has_secret_in_listing = strstr(listing, "whsec_") != NULL;
    int has_secret_in_created = strstr(created, "whsec_") != NULL;
    wh_free(listing);
    wh_free(created);
    wh_subscription_free(sub);

    const char *bad = "{\"name\":\"\",\"url\":\"ftp://example.com\",\"events\":[\"order..x\"],"
                      "\"headers\":{\"Webhook-Signature\":\"forged\"}}";
    wh_subscription *rejected = NULL;
    int rc = wh_subscription_from_json(&rejected, bad, strlen(bad));
    show_error("a bad registration is refused");

    int ok = rc == WH_EINVAL && !rejected && wh_error_last()->details_count == 4 &&
             !has_secret_in_listing && has_secret_in_created;
    printf("\n%s\n", ok ? "subscriptions example: OK" : "subscriptions example: FAILED");
    return ok ? 0 : 1;
}
