/* What the long-running subcommands (serve, listen) share: listen addresses and stop signals. */
#include <arpa/inet.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static volatile sig_atomic_t g_stop;

static void on_stop(int sig)
{
    (void)sig;
    g_stop = 1;
}

void cli_install_stop_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_stop;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

bool cli_stop_requested(void)
{
    return g_stop != 0;
}

int cli_parse_listen(const char *cmd, const char *text, struct sockaddr_in *out)
{
    char host[64];
    const char *colon = strrchr(text, ':');
    size_t hlen = colon ? (size_t)(colon - text) : 0;
    int64_t port;
    if (!colon || hlen == 0 || hlen >= sizeof(host))
        return cli_usage_error(cmd, "--listen wants IPV4:PORT, e.g. 127.0.0.1:8080");
    memcpy(host, text, hlen);
    host[hlen] = '\0';
    if (cli_parse_int(cmd, "--listen port", colon + 1, 0, 65535, &port) != 0) return CLI_EXIT_USAGE;
    memset(out, 0, sizeof(*out));
    out->sin_family = AF_INET;
    out->sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, host, &out->sin_addr) != 1)
        return cli_usage_error(cmd, "--listen: '%s' is not an IPv4 address", host);
    return 0;
}
