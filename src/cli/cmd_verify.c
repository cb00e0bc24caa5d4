/* webhooks verify: check the signature headers of a received body. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

void cmd_verify_usage(FILE *out)
{
    fputs("Usage: webhooks verify [--scheme standard|github|stripe] --secret SECRET\n"
          "                       [--secret SECRET2 ...] [--tolerance SECONDS] [--now UNIX]\n"
          "                       --header 'Name: value' [--header ...] [--headers-file F] [FILE]\n"
          "\n"
          "Verify the body read from FILE (or standard input when FILE is absent or '-'), bytes\n"
          "as they are, against the signature headers given with --header. Prints 'valid', or\n"
          "'invalid: REASON' (missing header, malformed header, signature mismatch, timestamp\n"
          "too old or too new).\n"
          "\n"
          "  --scheme S         standard (default), github or stripe\n"
          "  --secret SECRET    a secret the sender may use; repeat for several (any may match)\n"
          "  --header 'N: v'    a received header (names are case-insensitive); repeat\n"
          "  --headers-file F   received headers, one 'Name: value' per line (as saved by\n"
          "                     webhooks listen --dump)\n"
          "  --tolerance SECS   how far the signed timestamp may be from now (default 300)\n"
          "  --now UNIX         the time to check against, in Unix seconds (default: now)\n"
          "  -h, --help         show this help\n"
          "\n"
          "Exit status: 0 valid, 1 verification failed, 2 usage or input error.\n",
          out);
}

enum { O_HEADER = CLI_SIGNING_OWN, O_HEADERS_FILE, O_TOLERANCE, O_NOW };
static const cli_option OPTIONS[] = {CLI_SIGNING_OPTIONS,
                                     {"header", true},
                                     {"headers-file", true},
                                     {"tolerance", true},
                                     {"now", true}};

/* More received headers than any request carries; a file with more is refused. */
#define MAX_HEADERS 1024

typedef struct verify_args {
    cli_signing s;
    char *names[MAX_HEADERS]; /* nheaders entries each, owned */
    char *values[MAX_HEADERS];
    size_t nheaders;
    int64_t tolerance; /* 0: the library's default */
    int64_t now;       /* 0: the clock */
} verify_args;

static bool is_space(char c)
{
    return c == ' ' || c == '\t';
}

/* Split "Name: value" into owned copies; the name is trimmed, the value keeps its inner text. */
static int add_header(verify_args *a, const char *cmd, const char *arg)
{
    const char *colon = strchr(arg, ':');
    const char *s = arg, *e = colon;
    while (colon && s < e && is_space(*s))
        s++;
    while (colon && e > s && is_space(e[-1]))
        e--;
    if (!colon || e == s)
        return cli_usage_error(cmd, "--header must look like 'Name: value', not '%s'", arg);
    const char *v = colon + 1;
    while (is_space(*v))
        v++;
    if (a->nheaders == MAX_HEADERS)
        return cli_usage_error(cmd, "more than %d headers", MAX_HEADERS);
    char *name = malloc((size_t)(e - s) + 1), *value = strdup(v);
    if (!name || !value) {
        free(name);
        free(value);
        return cli_usage_error(cmd, "out of memory");
    }
    memcpy(name, s, (size_t)(e - s));
    name[e - s] = '\0';
    a->names[a->nheaders] = name;
    a->values[a->nheaders++] = value;
    return 0;
}

static void free_args(verify_args *a)
{
    for (size_t i = 0; i < a->nheaders; i++) {
        free(a->names[i]);
        free(a->values[i]);
    }
}

/* --headers-file: one header per line (LF or CRLF); blank lines are skipped. */
static int add_headers_file(verify_args *a, const char *cmd, const char *path)
{
    unsigned char *text;
    size_t len;
    int rc = cli_read_body(cmd, path, &text, &len);
    if (rc == 0 && memchr(text, '\0', len)) rc = cli_usage_error(cmd, "%s holds a NUL byte", path);
    for (char *line = (char *)text; rc == 0 && line && *line;) {
        char *end = strchr(line, '\n');
        if (end) *end = '\0';
        size_t n = strlen(line);
        if (n && line[n - 1] == '\r') line[n - 1] = '\0';
        if (*line) rc = add_header(a, cmd, line);
        line = end ? end + 1 : NULL;
    }
    free(text);
    return rc;
}

static int own_option(cli_parser *p, int k, const char *v, void *ud)
{
    verify_args *a = ud;
    if (k == O_HEADER) return add_header(a, p->cmd, v);
    if (k == O_HEADERS_FILE) return add_headers_file(a, p->cmd, v);
    if (k == O_TOLERANCE)
        return cli_parse_int(p->cmd, "--tolerance", v, 1, INT64_MAX, &a->tolerance);
    return cli_parse_int(p->cmd, "--now", v, 1, INT64_MAX, &a->now);
}

/* Fill *a from argv: 0 to go on, -1 after --help, or an exit code. */
static int parse(int argc, char **argv, verify_args *a)
{
    int rc = cli_signing_parse(argc, argv, OPTIONS, sizeof(OPTIONS) / sizeof(OPTIONS[0]), &a->s,
                               own_option, a);
    if (rc == 0 && a->nheaders == 0)
        rc = cli_usage_error(
            argv[0], "--header or --headers-file is required (the signature headers received)");
    return rc;
}

static bool is_verification_failure(int code)
{
    return code == WH_ESIG_MISSING || code == WH_ESIG_MALFORMED || code == WH_ESIG_MISMATCH ||
           code == WH_ESIG_TOO_OLD || code == WH_ESIG_TOO_NEW;
}

static int run(const verify_args *a, const char *cmd)
{
    unsigned char *body;
    size_t len;
    int rc = cli_read_body(cmd, a->s.file, &body, &len);
    if (rc != 0) return rc;
    int err =
        wh_verify(a->s.scheme, a->s.secrets, a->s.nsecrets, (const char *const *)a->names,
                  (const char *const *)a->values, a->nheaders, body, len, a->now, a->tolerance);
    free(body);
    if (err == WH_OK) {
        puts("valid");
        rc = CLI_EXIT_OK;
    } else if (is_verification_failure(err)) {
        printf("invalid: %s: %s\n", wh_strerror(err), wh_error_last_message());
        rc = CLI_EXIT_INVALID;
    } else {
        fprintf(stderr, "webhooks verify: %s\n", wh_error_last_message());
        return CLI_EXIT_USAGE;
    }
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "webhooks verify: cannot write to standard output\n");
        return CLI_EXIT_USAGE;
    }
    return rc;
}

int cmd_verify(int argc, char **argv)
{
    verify_args a = {.s = {.usage = cmd_verify_usage, .scheme = WH_SCHEME_STANDARD}};
    int rc = parse(argc, argv, &a);
    if (rc == 0)
        rc = run(&a, argv[0]);
    else if (rc < 0)
        rc = CLI_EXIT_OK;
    free_args(&a);
    return rc;
}
