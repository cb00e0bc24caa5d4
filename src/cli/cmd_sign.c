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

enum { O_SCHEME, O_SECRET, O_ID, O_TIMESTAMP, O_HELP };
static const cli_option OPTIONS[] = {
    [O_SCHEME] = {"scheme", true},       [O_SECRET] = {"secret", true}, [O_ID] = {"id", true},
    [O_TIMESTAMP] = {"timestamp", true}, [O_HELP] = {"help", false},
};

typedef struct sign_args {
    wh_scheme scheme;
    const char *secrets[WH_SIGN_MAX_SECRETS];
    size_t nsecrets;
    const char *id;
    int64_t timestamp; /* 0: now */
    const char *file;
} sign_args;

/* Fill *a from argv: 0 to go on, -1 after --help, or an exit code. */
static int parse(int argc, char **argv, sign_args *a)
{
    cli_parser p;
    cli_parser_init(&p, argc, argv);
    const char *v;
    int k, rc = 0;
    while (rc == 0 &&
           (k = cli_next(&p, OPTIONS, sizeof(OPTIONS) / sizeof(OPTIONS[0]), &v)) != CLI_END) {
        switch (k) {
        case O_HELP:
            cmd_sign_usage(stdout);
            return -1;
        case O_SCHEME:
            rc = cli_parse_scheme(p.cmd, v, &a->scheme);
            break;
        case O_SECRET:
            if (a->nsecrets == WH_SIGN_MAX_SECRETS)
                return cli_usage_error(p.cmd, "at most %d --secret", WH_SIGN_MAX_SECRETS);
            a->secrets[a->nsecrets++] = v;
            break;
        case O_ID:
            a->id = v;
            break;
        case O_TIMESTAMP:
            rc = cli_parse_int(p.cmd, "--timestamp", v, 1, INT64_MAX, &a->timestamp);
            break;
        case CLI_POSITIONAL:
            if (a->file)
                return cli_usage_error(p.cmd, "more than one FILE ('%s', '%s')", a->file, v);
            a->file = v;
            break;
        default:
            return CLI_EXIT_USAGE;
        }
    }
    if (rc == 0 && a->nsecrets == 0) rc = cli_usage_error(p.cmd, "--secret is required");
    return rc;
}

int cmd_sign(int argc, char **argv)
{
    sign_args a = {.scheme = WH_SCHEME_STANDARD};
    int rc = parse(argc, argv, &a);
    if (rc != 0) return rc < 0 ? CLI_EXIT_OK : rc;
    unsigned char *body;
    size_t len;
    if ((rc = cli_read_body(argv[0], a.file, &body, &len)) != 0) return rc;
    wh_headers *h = NULL;
    int err = wh_sign(&h, a.scheme, a.secrets, a.nsecrets, a.id, a.timestamp, body, len);
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
