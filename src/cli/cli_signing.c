/*
 * The option loop `webhooks sign` and `webhooks verify` share: --help, --scheme, --secret
 * (repeatable), one FILE, and the command's own options handed to a callback.
 */
#include "cli.h"

/* One shared option; 0 to go on, -1 after --help, or an exit code. */
static int shared_option(cli_parser *p, int k, const char *v, cli_signing *s)
{
    switch (k) {
    case CLI_SIGNING_HELP:
        s->usage(stdout);
        return -1;
    case CLI_SIGNING_SCHEME:
        return cli_parse_scheme(p->cmd, v, &s->scheme);
    case CLI_SIGNING_SECRET:
        if (s->nsecrets == WH_SIGN_MAX_SECRETS)
            return cli_usage_error(p->cmd, "at most %d --secret", WH_SIGN_MAX_SECRETS);
        s->secrets[s->nsecrets++] = v;
        return 0;
    case CLI_POSITIONAL:
        if (s->file) return cli_usage_error(p->cmd, "more than one FILE ('%s', '%s')", s->file, v);
        s->file = v;
        return 0;
    default:
        return CLI_EXIT_USAGE; /* CLI_BAD: cli_next printed why */
    }
}

int cli_signing_parse(int argc, char **argv, const cli_option *opts, size_t nopts, cli_signing *s,
                      int (*own)(cli_parser *p, int k, const char *v, void *ud), void *ud)
{
    cli_parser p;
    cli_parser_init(&p, argc, argv);
    const char *v;
    int k, rc = 0;
    while (rc == 0 && (k = cli_next(&p, opts, nopts, &v)) != CLI_END)
        rc = k >= CLI_SIGNING_OWN ? own(&p, k, v, ud) : shared_option(&p, k, v, s);
    if (rc == 0 && s->nsecrets == 0) rc = cli_usage_error(p.cmd, "--secret is required");
    return rc;
}
