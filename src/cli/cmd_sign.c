/* webhooks sign: print the signature headers a delivery of a body would carry. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

void cmd_sign_usage(FILE *out)
{
    fputs("Usage: webhooks sign [--scheme standard|github|stripe] --secret SECRET\n"
          "                     [--secret SECRET2 ...] [--id ID] [--timestamp UNIX] [FILE]\n"
          "\n"
          "Sign the body read from FILE (or standard input when FILE is absent or '-'), bytes\n"
          "as they are, and print the headers a delivery carries, one 'Name: value' per line.\n"
          "\n"
          "  --scheme S        standard (default: webhook-id, webhook-timestamp,\n"
          "                    webhook-signature), github (X-Hub-Signature-256) or stripe\n"
          "                    (Stripe-Signature)\n"
          "  --secret SECRET   signing secret; repeat to sign with several (rotation): one\n"
          "                    signature each (github carries only the first). standard wants\n"
          "                    whsec_ + base64; github and stripe use the string as it is\n"
          "  --id ID           message id (standard only; default: a new msg_ id)\n"
          "  --timestamp UNIX  signing time in Unix seconds (default: now)\n"
          "  -h, --help        show this help\n"
          "\n"
          "Exit status: 0 signed, 2 usage or input error.\n",
          out);
}

enum { O_ID = CLI_SIGNING_OWN, O_TIMESTAMP };
static const cli_option OPTIONS[] = {CLI_SIGNING_OPTIONS, {"id", true}, {"timestamp", true}};

typedef struct sign_args {
    cli_signing s;
    const char *id;
    int64_t timestamp; /* 0: now */
} sign_args;

static int own_option(cli_parser *p, int k, const char *v, void *ud)
{
    sign_args *a = ud;
    if (k == O_ID) {
        a->id = v;
        return 0;
    }
    return cli_parse_int(p->cmd, "--timestamp", v, 1, INT64_MAX, &a->timestamp);
}

int cmd_sign(int argc, char **argv)
{
    sign_args a = {.s = {.usage = cmd_sign_usage, .scheme = WH_SCHEME_STANDARD}};
    int rc = cli_signing_parse(argc, argv, OPTIONS, sizeof(OPTIONS) / sizeof(OPTIONS[0]), &a.s,
                               own_option, &a);
    if (rc != 0) return rc < 0 ? CLI_EXIT_OK : rc;
    unsigned char *body;
    size_t len;
    if ((rc = cli_read_body(argv[0], a.s.file, &body, &len)) != 0) return rc;
    wh_headers *h = NULL;
    int err = wh_sign(&h, a.s.scheme, a.s.secrets, a.s.nsecrets, a.id, a.timestamp, body, len);
    free(body);
    if (err != WH_OK) {
        fprintf(stderr, "webhooks sign: %s\n", wh_error_last_message());
        return CLI_EXIT_USAGE;
    }
    for (size_t i = 0; i < wh_headers_count(h); i++)
        printf("%s: %s\n", wh_headers_name(h, i), wh_headers_value(h, i));
    wh_headers_free(h);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "webhooks sign: cannot write to standard output\n");
        return CLI_EXIT_USAGE;
    }
    return CLI_EXIT_OK;
}
