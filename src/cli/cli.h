/*
 * The `webhooks` command-line tool: shared declarations. Each subcommand lives in its own
 * cmd_<name>.c and is listed once in main.c's command table. The tool uses only the public API
 * (<webhooks.h>), like any program linking the library.
 *
 * Exit codes: 0 success, 1 verification failed, 2 usage or input error (message on stderr).
 */
#ifndef WEBHOOKS_CLI_H
#define WEBHOOKS_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <webhooks.h>

#define CLI_EXIT_OK      0
#define CLI_EXIT_INVALID 1
#define CLI_EXIT_USAGE   2

/* Largest body the tool reads, in bytes. */
#define CLI_MAX_BODY (64u * 1024 * 1024)

/* A subcommand: run gets argv[0] = its own name. usage prints its help. */
typedef struct cli_command {
    const char *name;
    const char *summary;
    int (*run)(int argc, char **argv);
    void (*usage)(FILE *out);
} cli_command;

int cmd_sign(int argc, char **argv);
void cmd_sign_usage(FILE *out);
int cmd_verify(int argc, char **argv);
void cmd_verify_usage(FILE *out);
int cmd_listen(int argc, char **argv);
void cmd_listen_usage(FILE *out);
int cmd_serve(int argc, char **argv);
void cmd_serve_usage(FILE *out);

/* ---- option parsing (cli.c): long options "--name value" or "--name=value", "-h" for help,
 * "--" ends options, "-" is the positional argument meaning standard input ---- */
typedef struct cli_option {
    const char *name; /* without the leading "--" */
    bool has_value;
} cli_option;

typedef struct cli_parser {
    int argc;
    char **argv;
    int i;           /* next argument to look at */
    bool only_args;  /* after "--" */
    const char *cmd; /* subcommand name, for messages */
} cli_parser;

#define CLI_END        (-1) /* no more arguments */
#define CLI_POSITIONAL (-2) /* *value is a positional argument */
#define CLI_BAD        (-3) /* unknown option or missing value; message printed */

void cli_parser_init(cli_parser *p, int argc, char **argv);
/* Index into opts of the next option (its argument in *value), or CLI_END / CLI_POSITIONAL /
 * CLI_BAD. "-h" is reported as the option named "help" when opts has one. */
int cli_next(cli_parser *p, const cli_option *opts, size_t nopts, const char **value);

/* ---- helpers (cli.c) ---- */
/* Print "webhooks CMD: message" and a hint to stderr; returns CLI_EXIT_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* Read all of path (NULL or "-": standard input) as bytes, exactly as they are. *out is
 * NUL-terminated for convenience (the NUL is not counted in *len); free with free(). Returns
 * 0, or prints why to stderr and returns CLI_EXIT_USAGE. */
int cli_read_body(const char *cmd, const char *path, unsigned char **out, size_t *len);
/* Strict decimal integer in [min, max]: 0 or CLI_EXIT_USAGE with a message naming flag. */
int cli_parse_int(const char *cmd, const char *flag, const char *s, int64_t min, int64_t max,
                  int64_t *out);
/* standard | github | stripe: 0 or CLI_EXIT_USAGE. */
int cli_parse_scheme(const char *cmd, const char *s, wh_scheme *out);

/* ---- the options sign and verify share (cli_signing.c) ---- */
/* A command's option table starts with these three, in this order; its own follow from
 * CLI_SIGNING_OWN. */
enum { CLI_SIGNING_HELP, CLI_SIGNING_SCHEME, CLI_SIGNING_SECRET, CLI_SIGNING_OWN };
#define CLI_SIGNING_OPTIONS                                                                        \
    {"help", false}, {"scheme", true},                                                             \
    {                                                                                              \
        "secret", true                                                                             \
    }

typedef struct cli_signing {
    void (*usage)(FILE *out); /* printed for --help */
    wh_scheme scheme;
    const char *secrets[WH_SIGN_MAX_SECRETS];
    size_t nsecrets;
    const char *file; /* NULL: standard input */
} cli_signing;

/* Parse argv into s, handing the command's own options (k >= CLI_SIGNING_OWN) to own, which
 * returns 0 to go on or an exit code. Returns 0, -1 after --help, or an exit code. At least one
 * --secret is required. */
int cli_signing_parse(int argc, char **argv, const cli_option *opts, size_t nopts, cli_signing *s,
                      int (*own)(cli_parser *p, int k, const char *v, void *ud), void *ud);

/* ---- long-running commands (cli_net.c) ---- */
struct sockaddr_in;
/* SIGINT and SIGTERM set a flag instead of killing the process; SIGPIPE is ignored. */
void cli_install_stop_signals(void);
bool cli_stop_requested(void);
/* "IPV4:PORT" into *out: 0 or CLI_EXIT_USAGE with a message. */
int cli_parse_listen(const char *cmd, const char *text, struct sockaddr_in *out);

#endif
