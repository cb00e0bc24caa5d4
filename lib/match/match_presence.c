/* The matcher's presence filter over the trie (see whi_mpresence in match_impl.h). */
#include <string.h>

#include "match_impl.h"
#include "alloc.h"
#include "hashmap.h"

uint64_t whi_path_hash(const char *path, size_t len)
{
    uint64_t h = WHI_PATH_SEED;
    for (size_t start = 0, i = 0; i <= len && len; i++)
        if (i == len || path[i] == '.') {
            h = whi_path_hash_step(h, whi_hash_bytes(path + start, i - start));
            start = i + 1;
        }
    return h;
}

int whi_presence_alloc(whi_mpresence *out, size_t nbits)
{
    *out = (whi_mpresence){NULL, NULL, nbits, 0};
    out->bits = whi_calloc(nbits / 64, sizeof(uint64_t));
    out->counts = out->bits ? whi_calloc(nbits, sizeof(*out->counts)) : NULL;
    if (!out->counts) {
        whi_free(out->bits);
        *out = (whi_mpresence){NULL, NULL, 0, 0};
        return WH_ENOMEM; /* no error message: the caller carries on without it */
    }
    return WH_OK;
}

void whi_presence_count(whi_mpresence *p, uint64_t h, int kind, int delta)
{
    size_t i = whi_presence_bit(p, h, kind);
    if (p->counts[i] != UINT16_MAX) p->counts[i] = (uint16_t)(p->counts[i] + delta);
    p->members += (size_t)(ptrdiff_t)delta;
    if (p->counts[i])
        p->bits[i / 64] |= UINT64_C(1) << (i % 64);
    else
        p->bits[i / 64] &= ~(UINT64_C(1) << (i % 64));
}

void whi_presence_free(whi_mpresence *p)
{
    whi_free(p->bits);
    whi_free(p->counts);
    *p = (whi_mpresence){NULL, NULL, 0, 0};
}
