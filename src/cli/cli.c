/* Option parsing and input helpers shared by the subcommands. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

void cli_parser_init(cli_parser *p, int argc, char **argv)
{
    p->argc = argc;
    p->argv = argv;
    p->i = 1; /* argv[0] is the subcommand */
    p->only_args = false;
    p->cmd = argv[0];
}

static int find_option(const cli_option *opts, size_t nopts, const char *name, size_t len)
{
    for (size_t k = 0; k < nopts; k++)
        if (strlen(opts[k].name) == len && strncmp(opts[k].name, name, len) == 0) return (int)k;
    return -1;
}

int cli_next(cli_parser *p, const cli_option *opts, size_t nopts, const char **value)
{
    *value = NULL;
    if (p->i >= p->argc) return CLI_END;
    const char *arg = p->argv[p->i++];
    if (p->only_args || arg[0] != '-' || strcmp(arg, "-") == 0) {
        *value = arg;
        return CLI_POSITIONAL;
    }
    if (strcmp(arg, "--") == 0) {
        p->only_args = true;
        return cli_next(p, opts, nopts, value);
    }
    if (strcmp(arg, "-h") == 0) arg = "--help";
    if (arg[1] != '-') {
        cli_usage_error(p->cmd, "unknown option '%s'", arg);
        return CLI_BAD;
    }
    const char *name = arg + 2;
    const char *eq = strchr(name, '=');
    size_t len = eq ? (size_t)(eq - name) : strlen(name);
    int k = find_option(opts, nopts, name, len);
    if (k < 0) {
        cli_usage_error(p->cmd, "unknown option '--%.*s'", (int)len, name);
        return CLI_BAD;
    }
    if (!opts[k].has_value) {
        if (eq) {
            cli_usage_error(p->cmd, "option '--%s' takes no value", opts[k].name);
            return CLI_BAD;
        }
        return k;
    }
    if (eq) {
        *value = eq + 1;
    } else if (p->i < p->argc) {
        *value = p->argv[p->i++];
    } else {
        cli_usage_error(p->cmd, "option '--%s' needs a value", opts[k].name);
        return CLI_BAD;
    }
    return k;
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "webhooks %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\nTry 'webhooks %s --help'.\n", cmd);
    va_end(ap);
    return CLI_EXIT_USAGE;
}

int cli_read_body(const char *cmd, const char *path, unsigned char **out, size_t *len)
{
    bool use_stdin = !path || strcmp(path, "-") == 0;
    FILE *f = use_stdin ? stdin : fopen(path, "rb");
    *out = NULL;
    *len = 0;
    if (!f) {
        fprintf(stderr, "webhooks %s: cannot open %s: %s\n", cmd, path, strerror(errno));
        return CLI_EXIT_USAGE;
    }
    size_t cap = 4096, n = 0;
    unsigned char *buf = malloc(cap + 1);
    const char *what = use_stdin ? "standard input" : path;
    bool oom = !buf;
    int rc = oom ? CLI_EXIT_USAGE : 0;
    while (rc == 0) {
        if (n == cap) {
            if (cap >= CLI_MAX_BODY) {
                if (fgetc(f) == EOF && !ferror(f)) break; /* exactly the limit */
                fprintf(stderr, "webhooks %s: body is larger than %u bytes\n", cmd, CLI_MAX_BODY);
                rc = CLI_EXIT_USAGE;
                break;
            }
            unsigned char *grown = realloc(buf, cap * 2 + 1);
            if (!grown) {
                oom = true;
                rc = CLI_EXIT_USAGE;
                break;
            }
            buf = grown;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0) break;
    }
    if (rc == 0 && ferror(f)) {
        fprintf(stderr, "webhooks %s: cannot read %s: %s\n", cmd, what, strerror(errno));
        rc = CLI_EXIT_USAGE;
    } else if (oom) {
        fprintf(stderr, "webhooks %s: out of memory reading %s\n", cmd, what);
    }
    if (!use_stdin) fclose(f);
    if (rc != 0) {
        free(buf);
        return rc;
    }
    buf[n] = '\0';
    *out = buf;
    *len = n;
    return 0;
}

int cli_parse_int(const char *cmd, const char *flag, const char *s, int64_t min, int64_t max,
                  int64_t *out)
{
    char *end = NULL;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (!*s || *end || errno || s[0] == ' ' || s[0] == '+' || v < min || v > max)
        return cli_usage_error(cmd, "%s must be an integer from %lld to %lld, not '%s'", flag,
                               (long long)min, (long long)max, s);
    *out = v;
    return 0;
}

int cli_parse_scheme(const char *cmd, const char *s, wh_scheme *out)
{
    if (wh_scheme_parse(s, out) != WH_OK || *out == WH_SCHEME_NONE)
        return cli_usage_error(cmd, "--scheme must be standard, github or stripe, not '%s'", s);
    return 0;
}
