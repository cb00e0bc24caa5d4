/*
 * Random bytes from mbedTLS's CTR_DRBG seeded by its entropy source. One generator per thread
 * (created on first use, freed when the thread exits) so no lock sits on the hot path. The
 * generator is mbedTLS state that outlives any one call and is freed at thread exit, possibly
 * after the host changed allocators, so it uses the C library's calloc/free, like the rest of
 * mbedTLS's memory (see wh_set_allocator).
 *
 * A fork copies the generator of the forking thread: parent and child (and every child of a
 * host that forks its workers) would then draw the same bytes, the same delivery and event ids
 * and the same generated secrets. A fork handler bumps a generation counter in the child, and a
 * generator made in an older generation is reseeded (fresh entropy, the process id mixed in)
 * before its next use.
 */
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/platform_util.h>

#include "error.h"
#include "random.h"

typedef struct drbg {
    mbedtls_entropy_context entropy;
    mbedtls_ctr_drbg_context ctr;
    unsigned generation; /* g_generation when it was seeded */
} drbg;

static pthread_key_t g_key;
static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static int g_key_ok;
/* Bumped in the child of every fork (only the forking thread lives on there, so a plain
 * variable read by that thread is enough). */
static volatile unsigned g_generation;

static void after_fork_in_child(void)
{
    g_generation++;
}

static void drbg_destroy(void *p)
{
    drbg *d = p;
    mbedtls_ctr_drbg_free(&d->ctr);
    mbedtls_entropy_free(&d->entropy);
    mbedtls_platform_zeroize(d, sizeof(*d));
    free(d);
}

static void make_key(void)
{
    g_key_ok = pthread_key_create(&g_key, drbg_destroy) == 0 &&
               pthread_atfork(NULL, NULL, after_fork_in_child) == 0;
}

/* A generator copied by a fork: fresh entropy before it is used in this process. */
static int reseed_after_fork(drbg *d)
{
    pid_t pid = getpid();
    int rc = mbedtls_ctr_drbg_reseed(&d->ctr, (const unsigned char *)&pid, sizeof(pid));
    if (rc != 0)
        return whi_error(WH_EIO,
                         "random: cannot reseed CTR_DRBG after fork (mbedTLS error -0x%04x)",
                         (unsigned)-rc);
    d->generation = g_generation;
    return WH_OK;
}

static int thread_drbg(drbg **out)
{
    pthread_once(&g_once, make_key);
    if (!g_key_ok) return whi_error(WH_EIO, "random: cannot create thread-local storage");
    drbg *d = pthread_getspecific(g_key);
    if (d) {
        *out = d;
        return d->generation == g_generation ? WH_OK : reseed_after_fork(d);
    }
    if (!(d = calloc(1, sizeof(*d)))) return whi_error_oom();
    mbedtls_entropy_init(&d->entropy);
    mbedtls_ctr_drbg_init(&d->ctr);
    d->generation = g_generation;
    static const unsigned char pers[] = "libwebhooks";
    int rc =
        mbedtls_ctr_drbg_seed(&d->ctr, mbedtls_entropy_func, &d->entropy, pers, sizeof(pers) - 1);
    if (rc != 0 || pthread_setspecific(g_key, d) != 0) {
        drbg_destroy(d);
        return whi_error(WH_EIO, "random: cannot seed CTR_DRBG (mbedTLS error -0x%04x)",
                         (unsigned)-rc);
    }
    *out = d;
    return WH_OK;
}

int whi_random_bytes(void *out, size_t len)
{
    drbg *d = NULL;
    int rc = thread_drbg(&d);
    if (rc != WH_OK) return rc;
    unsigned char *p = out;
    while (len > 0) {
        size_t chunk = len < MBEDTLS_CTR_DRBG_MAX_REQUEST ? len : MBEDTLS_CTR_DRBG_MAX_REQUEST;
        int mrc = mbedtls_ctr_drbg_random(&d->ctr, p, chunk);
        if (mrc != 0)
            return whi_error(WH_EIO, "random: CTR_DRBG failed (mbedTLS error -0x%04x)",
                             (unsigned)-mrc);
        p += chunk;
        len -= chunk;
    }
    return WH_OK;
}
