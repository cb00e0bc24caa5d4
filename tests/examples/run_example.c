/*
 * Runs one example program against a loopback receiver (ctest: examples.embed*).
 *
 *     example_runner PROGRAM [DELAY_MS]
 *
 * Starts the test receiver (tests/support/receiver.c) on 127.0.0.1, answering 200 after
 * DELAY_MS (a slow endpoint, for examples that show the host's loop is never blocked), runs
 * PROGRAM with the receiver's URL as argv[1], and succeeds only when PROGRAM exits 0 and the
 * receiver got at least one signed request: an example cannot pass by claiming a delivery it
 * never made.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "receiver.h"

static int run(const char *program, const char *url)
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        perror("fork");
        return -1;
    }
    if (pid == 0) {
        execl(program, program, url, (char *)NULL);
        perror(program);
        _exit(127);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) {
            perror("waitpid");
            return -1;
        }
    if (WIFSIGNALED(status)) {
        fprintf(stderr, "runner: %s died of signal %d\n", program, WTERMSIG(status));
        return -1;
    }
    return WEXITSTATUS(status);
}

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: %s PROGRAM [DELAY_MS]\n", argv[0]);
        return 2;
    }
    wh_receiver *r = wh_receiver_start();
    if (!r) return 1;
    wh_receiver_rule rule = WH_RECEIVER_RULE_INIT;
    rule.reply.status = 200;
    rule.reply.delay_ms = argc == 3 ? (unsigned)strtoul(argv[2], NULL, 10) : 0;
    wh_receiver_set(r, "", &rule);
    char url[160];
    wh_receiver_url(r, "/hooks", url, sizeof(url));
    printf("runner: receiver at %s (answers 200 after %u ms)\n", url, rule.reply.delay_ms);

    int rc = run(argv[1], url);
    size_t n = wh_receiver_count(r), signed_n = 0;
    for (size_t i = 0; i < n; i++)
        signed_n += wh_recv_request_header(wh_receiver_request(r, i), "webhook-signature") != NULL;
    wh_receiver_stop(r);
    printf("runner: %s exited %d; the receiver got %zu request(s), %zu signed\n", argv[1], rc, n,
           signed_n);
    return rc == 0 && n > 0 && signed_n == n ? 0 : 1;
}
