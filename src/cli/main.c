/*
 * webhooks: a command-line tool over libwebhooks' public API.
 *
 *   webhooks sign ...     print the signature headers for a body
 *   webhooks verify ...   check a body against received signature headers
 *   webhooks listen ...   a receiver that verifies each delivery and prints one line for it
 *   webhooks serve ...    the registration API over HTTP plus the delivery loop
 *
 * To add a subcommand, write cmd_<name>.c with its run and usage functions, declare them in
 * cli.h and add one line to COMMANDS below.
 */
#include <string.h>

#include "cli.h"

static const cli_command COMMANDS[] = {
    {"sign", "print the signature headers a delivery of a body carries", cmd_sign, cmd_sign_usage},
    {"verify", "check a received body against its signature headers", cmd_verify, cmd_verify_usage},
    {"listen", "run a receiver that verifies and prints each delivery", cmd_listen,
     cmd_listen_usage},
    {"serve", "run the registration API and deliver events (SQLite)", cmd_serve, cmd_serve_usage},
};
#define NCOMMANDS (sizeof(COMMANDS) / sizeof(COMMANDS[0]))

static void usage(FILE *out)
{
    fputs("Usage: webhooks COMMAND [OPTIONS] [ARGS]\n"
          "       webhooks COMMAND --help\n"
          "\n"
          "Commands:\n",
          out);
    for (size_t i = 0; i < NCOMMANDS; i++)
        fprintf(out, "  %-10s %s\n", COMMANDS[i].name, COMMANDS[i].summary);
    fputs("\n"
          "Options:\n"
          "  -h, --help     show this help\n"
          "  --version      print the library version\n"
          "\n"
          "Exit status: 0 success, 1 verification failed, 2 usage or input error.\n",
          out);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return CLI_EXIT_USAGE;
    }
    const char *name = argv[1];
    if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0 || strcmp(name, "help") == 0) {
        if (argc > 2 && strcmp(name, "help") == 0)
            for (size_t i = 0; i < NCOMMANDS; i++)
                if (strcmp(argv[2], COMMANDS[i].name) == 0) {
                    COMMANDS[i].usage(stdout);
                    return CLI_EXIT_OK;
                }
        usage(stdout);
        return CLI_EXIT_OK;
    }
    if (strcmp(name, "--version") == 0) {
        printf("webhooks %s\n", wh_version());
        return CLI_EXIT_OK;
    }
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (strcmp(name, COMMANDS[i].name) == 0) return COMMANDS[i].run(argc - 1, argv + 1);
    fprintf(stderr, "webhooks: unknown command '%s'\n\n", name);
    usage(stderr);
    return CLI_EXIT_USAGE;
}
