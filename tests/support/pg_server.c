/* A throw-away PostgreSQL server for tests (pg_server.h). */
#define _GNU_SOURCE /* setgroups, prctl */
#include "pg_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#define PG_MAX_SERVERS 8

struct wh_pg_server {
    pid_t watchdog;
    int port;
    char dir[64];
    char conninfo[160];
    char uri[96];
};

/* Who runs initdb and the server: the postgres user when we are root, else ourselves. */
typedef struct pg_user {
    bool drop;
    uid_t uid;
    gid_t gid;
} pg_user;

/* What the watchdog needs to (re)start the server. */
typedef struct pg_setup {
    char bin[300]; /* the postgres binary */
    char data[128];
    char log[128];
    pg_user user;
    int port;
    int lifetime_s;
    pid_t parent;
    const char *dir;
} pg_setup;

static wh_pg_server *g_servers[PG_MAX_SERVERS];
static bool g_hooks_installed;

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- processes ---- */

/* Wait up to timeout_ms for pid to exit: its wait status, or -1 when it is still running. */
static int wait_exit(pid_t pid, int timeout_ms)
{
    int64_t end = now_ms() + timeout_ms;
    for (;;) {
        int st;
        pid_t r = waitpid(pid, &st, WNOHANG);
        if (r == pid) return st;
        if (r < 0 && errno != EINTR) return 0; /* not our child any more */
        if (now_ms() >= end) return -1;
        sleep_ms(20);
    }
}

/* Stop pid: sig, then harder ones if it lingers; always reaped. */
static void stop_process(pid_t pid, int sig, int grace_ms)
{
    if (pid <= 0) return;
    kill(pid, sig);
    if (wait_exit(pid, grace_ms) >= 0) return;
    kill(pid, SIGQUIT);
    if (wait_exit(pid, 5000) >= 0) return;
    kill(pid, SIGKILL);
    wait_exit(pid, 5000);
}

static void become(const pg_user *u)
{
    if (u->drop && (setgroups(0, NULL) != 0 || setgid(u->gid) != 0 || setuid(u->uid) != 0))
        _exit(126);
}

/* Run argv as u in a child whose output goes to log; it gets SIGQUIT (the server's immediate
 * shutdown) if the process that started it dies. */
static pid_t spawn(const pg_user *u, const char *log, char *const argv[])
{
    pid_t pid = fork();
    if (pid != 0) return pid;
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    int out = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    int in = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (out < 0 || in < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0) _exit(125);
    become(u);
    prctl(PR_SET_PDEATHSIG, SIGQUIT); /* after the change of user, which clears it */
    /* A sanitizer runtime preloaded into a binding's interpreter (ASan builds) is not for the
     * server's programs: initdb fails under it. */
    unsetenv("LD_PRELOAD");
    execv(argv[0], argv);
    _exit(127);
}

static int remove_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

static void remove_tree(const char *dir)
{
    nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* ---- the watchdog: owns the server, cleans up whatever happens to the test ---- */

static pid_t start_server(const pg_setup *s)
{
    char port[16], sockdir[80];
    snprintf(port, sizeof(port), "%d", s->port);
    snprintf(sockdir, sizeof(sockdir), "%s", s->dir);
    char *argv[] = {(char *)s->bin,
                    "-D",
                    (char *)s->data,
                    "-k",
                    sockdir,
                    "-p",
                    port,
                    "-h",
                    "127.0.0.1",
                    "-c",
                    "fsync=off",
                    "-c",
                    "full_page_writes=off",
                    "-c",
                    "max_connections=150",
                    "-c",
                    "shared_buffers=32MB",
                    NULL};
    return spawn(&s->user, s->log, argv);
}

static void watchdog(const pg_setup *s, const sigset_t *set)
{
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    pid_t pg = getppid() == s->parent ? start_server(s) : -1;
    alarm((unsigned)s->lifetime_s);
    bool done = pg < 0;
    while (!done) {
        struct timespec tick = {0, 500 * 1000000L};
        int sig = sigtimedwait(set, NULL, &tick);
        if (pg > 0 && waitpid(pg, NULL, WNOHANG) == pg) pg = -1; /* died by itself */
        if (sig == SIGUSR1) {
            stop_process(pg, SIGINT, 30000); /* fast shutdown: sessions are cut */
            pg = -1;
        } else if (sig == SIGUSR2 && pg < 0) {
            pg = start_server(s);
        } else if (sig == SIGTERM || sig == SIGINT || sig == SIGHUP || sig == SIGALRM) {
            done = true;
        }
    }
    stop_process(pg, SIGINT, 30000);
    remove_tree(s->dir);
    _exit(0);
}

/* ---- the test's side ---- */

static void stop_all_now(void)
{
    for (int i = 0; i < PG_MAX_SERVERS; i++)
        if (g_servers[i]) kill(g_servers[i]->watchdog, SIGTERM);
}

static void on_fatal_signal(int sig)
{
    stop_all_now(); /* the watchdogs clean up; kill is async-signal-safe */
    signal(sig, SIG_DFL);
    raise(sig);
}

static void on_exit_free_all(void)
{
    for (int i = 0; i < PG_MAX_SERVERS; i++)
        if (g_servers[i]) wh_pg_server_free(g_servers[i]);
}

static void install_hooks(void)
{
    if (g_hooks_installed) return;
    g_hooks_installed = true;
    atexit(on_exit_free_all);
    int sigs[] = {SIGINT, SIGTERM, SIGHUP};
    for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
        struct sigaction sa;
        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = on_fatal_signal;
        sigaction(sigs[i], &sa, NULL);
    }
}

static bool find_bindir(char *out, size_t size)
{
    const char *env = getenv("WH_PG_BINDIR");
    char probe[300];
    if (env && *env) {
        snprintf(out, size, "%s", env);
        snprintf(probe, sizeof(probe), "%s/initdb", out);
        return access(probe, X_OK) == 0;
    }
    for (int v = 30; v >= 10; v--) {
        snprintf(out, size, "/usr/lib/postgresql/%d/bin", v);
        snprintf(probe, sizeof(probe), "%s/initdb", out);
        if (access(probe, X_OK) == 0) return true;
    }
    return false;
}

static bool get_user(pg_user *u)
{
    memset(u, 0, sizeof(*u));
    if (geteuid() != 0) return true;
    struct passwd *pw = getpwnam("postgres");
    if (!pw) {
        fprintf(stderr, "pg_server: running as root and there is no postgres user to run the "
                        "server as (install Debian's postgresql package: make deps)\n");
        return false;
    }
    *u = (pg_user){true, pw->pw_uid, pw->pw_gid};
    return true;
}

/* A port nobody listens on at 127.0.0.1 now (the kernel's choice). */
static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(a);
    int port = -1;
    if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    if (fd >= 0) close(fd);
    return port;
}

static bool run_initdb(const char *bindir, const pg_setup *s)
{
    char initdb[300];
    snprintf(initdb, sizeof(initdb), "%s/initdb", bindir);
    char *argv[] = {initdb,  "-D", (char *)s->data, "-U",         "wh",        "-A",
                    "trust", "-E", "UTF8",          "--locale=C", "--no-sync", "--no-instructions",
                    NULL};
    pid_t pid = spawn(&s->user, s->log, argv);
    int st = pid > 0 ? wait_exit(pid, 120000) : -1;
    if (st == -1) stop_process(pid, SIGKILL, 1000);
    if (st < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        fprintf(stderr, "pg_server: initdb failed (see %s)\n", s->log);
        return false;
    }
    return true;
}

/* The socket is trusted; on 127.0.0.1 only "wh" is, anyone else needs a password. */
static bool write_hba(const pg_setup *s)
{
    static const char HBA[] = "local all all trust\n"
                              "host all wh 127.0.0.1/32 trust\n"
                              "host all all 127.0.0.1/32 scram-sha-256\n";
    char path[200];
    snprintf(path, sizeof(path), "%s/pg_hba.conf", s->data);
    int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC); /* initdb's file keeps its owner */
    bool ok = fd >= 0 && write(fd, HBA, sizeof(HBA) - 1) == (ssize_t)(sizeof(HBA) - 1);
    if (fd >= 0) close(fd);
    return ok;
}

static bool wait_ping(const char *conninfo, PGPing want, int timeout_ms)
{
    int64_t end = now_ms() + timeout_ms;
    while (PQping(conninfo) != want) {
        if (now_ms() >= end) return false;
        sleep_ms(50);
    }
    return true;
}

static char *admin_conninfo(const wh_pg_server *pg, char *out, size_t size)
{
    snprintf(out, size, "host=%s port=%d user=wh dbname=postgres connect_timeout=10", pg->dir,
             pg->port);
    return out;
}

static bool register_server(wh_pg_server *pg)
{
    for (int i = 0; i < PG_MAX_SERVERS; i++)
        if (!g_servers[i]) {
            g_servers[i] = pg;
            return true;
        }
    return false;
}

static void unregister_server(const wh_pg_server *pg)
{
    for (int i = 0; i < PG_MAX_SERVERS; i++)
        if (g_servers[i] == pg) g_servers[i] = NULL;
}

/* Fork the watchdog, which starts the server; signals it waits for are blocked before the fork
 * so none is lost. */
static bool start_watchdog(wh_pg_server *pg, pg_setup *s)
{
    sigset_t set, old;
    sigemptyset(&set);
    int sigs[] = {SIGUSR1, SIGUSR2, SIGTERM, SIGINT, SIGHUP, SIGALRM, SIGCHLD};
    for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
        sigaddset(&set, sigs[i]);
    sigprocmask(SIG_BLOCK, &set, &old);
    s->parent = getpid();
    pg->watchdog = fork();
    if (pg->watchdog == 0) watchdog(s, &set);
    sigprocmask(SIG_SETMASK, &old, NULL);
    return pg->watchdog > 0;
}

static bool prepare_dir(wh_pg_server *pg, pg_setup *s)
{
    snprintf(pg->dir, sizeof(pg->dir), "/tmp/wh-pg-XXXXXX");
    if (!mkdtemp(pg->dir)) {
        fprintf(stderr, "pg_server: mkdtemp: %s\n", strerror(errno));
        return false;
    }
    s->dir = pg->dir;
    snprintf(s->data, sizeof(s->data), "%s/data", pg->dir);
    snprintf(s->log, sizeof(s->log), "%s/server.log", pg->dir);
    if (s->user.drop && chown(pg->dir, s->user.uid, s->user.gid) != 0) {
        fprintf(stderr, "pg_server: chown %s: %s\n", pg->dir, strerror(errno));
        return false;
    }
    return true;
}

wh_pg_server *wh_pg_server_start(int lifetime_s)
{
    char bindir[256];
    if (!find_bindir(bindir, sizeof(bindir))) {
        fprintf(stderr, "pg_server: no PostgreSQL server binaries in /usr/lib/postgresql/*/bin "
                        "or $WH_PG_BINDIR (install Debian's postgresql package: make deps)\n");
        return NULL;
    }
    pg_setup s;
    memset(&s, 0, sizeof(s));
    wh_pg_server *pg = calloc(1, sizeof(*pg));
    if (!pg || !get_user(&s.user)) {
        free(pg);
        return NULL;
    }
    install_hooks();
    snprintf(s.bin, sizeof(s.bin), "%s/postgres", bindir);
    s.lifetime_s = lifetime_s > 0 ? lifetime_s : 600;
    s.port = pg->port = free_port();
    bool ok = pg->port > 0 && prepare_dir(pg, &s) && run_initdb(bindir, &s) && write_hba(&s);
    if (ok && (ok = start_watchdog(pg, &s)) && !register_server(pg)) ok = false;
    snprintf(pg->conninfo, sizeof(pg->conninfo), "host=%s port=%d user=wh dbname=wh", pg->dir,
             pg->port);
    snprintf(pg->uri, sizeof(pg->uri), "postgresql://wh@127.0.0.1:%d/wh", pg->port);
    char admin[200];
    if (ok && !(ok = wait_ping(admin_conninfo(pg, admin, sizeof(admin)), PQPING_OK, 60000)))
        fprintf(stderr, "pg_server: the server did not start (see %s)\n", s.log);
    if (ok) ok = wh_pg_exec(admin, "CREATE DATABASE wh");
    if (!ok) {
        if (pg->watchdog > 0)
            wh_pg_server_free(pg);
        else {
            if (pg->dir[0]) remove_tree(pg->dir);
            free(pg);
        }
        return NULL;
    }
    return pg;
}

void wh_pg_server_free(wh_pg_server *pg)
{
    if (!pg) return;
    unregister_server(pg);
    if (pg->watchdog > 0) stop_process(pg->watchdog, SIGTERM, 60000);
    free(pg);
}

const char *wh_pg_server_conninfo(const wh_pg_server *pg)
{
    return pg->conninfo;
}

const char *wh_pg_server_uri(const wh_pg_server *pg)
{
    return pg->uri;
}

int wh_pg_server_port(const wh_pg_server *pg)
{
    return pg->port;
}

const char *wh_pg_server_dir(const wh_pg_server *pg)
{
    return pg->dir;
}

bool wh_pg_server_halt(wh_pg_server *pg)
{
    char admin[200];
    kill(pg->watchdog, SIGUSR1);
    return wait_ping(admin_conninfo(pg, admin, sizeof(admin)), PQPING_NO_RESPONSE, 60000);
}

bool wh_pg_server_resume(wh_pg_server *pg)
{
    char admin[200];
    kill(pg->watchdog, SIGUSR2);
    return wait_ping(admin_conninfo(pg, admin, sizeof(admin)), PQPING_OK, 60000);
}

bool wh_pg_server_schema(wh_pg_server *pg, const char *name, char *out, size_t size)
{
    char sql[160];
    snprintf(sql, sizeof(sql), "CREATE SCHEMA %s", name);
    if (!wh_pg_exec(pg->conninfo, sql)) return false;
    int n = snprintf(out, size, "%s options='-c search_path=%s'", pg->conninfo, name);
    return n > 0 && (size_t)n < size;
}

static PGconn *connect_to(const char *conninfo)
{
    PGconn *c = PQconnectdb(conninfo);
    if (PQstatus(c) != CONNECTION_OK) {
        fprintf(stderr, "pg_server: cannot connect: %s", PQerrorMessage(c));
        PQfinish(c);
        return NULL;
    }
    return c;
}

bool wh_pg_exec(const char *conninfo, const char *sql)
{
    PGconn *c = connect_to(conninfo);
    if (!c) return false;
    PGresult *r = PQexec(c, sql);
    ExecStatusType st = PQresultStatus(r);
    bool ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
    if (!ok) fprintf(stderr, "pg_server: %s: %s", sql, PQerrorMessage(c));
    PQclear(r);
    PQfinish(c);
    return ok;
}

int64_t wh_pg_int(const char *conninfo, const char *sql)
{
    PGconn *c = connect_to(conninfo);
    if (!c) return INT64_MIN;
    PGresult *r = PQexec(c, sql);
    int64_t v = INT64_MIN;
    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0 && !PQgetisnull(r, 0, 0))
        v = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    else if (PQresultStatus(r) != PGRES_TUPLES_OK)
        fprintf(stderr, "pg_server: %s: %s", sql, PQerrorMessage(c));
    PQclear(r);
    PQfinish(c);
    return v;
}
