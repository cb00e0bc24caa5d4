/*
 * Where each value of a parsed JSON document starts in its text, so that a checker of the
 * document (a profile) can name the line and column of the value it refuses.
 *
 * Part of lib/util: generic helpers that know nothing of webhooks. Private to the library
 * (not installed); every symbol is hidden and prefixed whi_.
 */
#ifndef WHI_UTIL_JSONPOS_H
#define WHI_UTIL_JSONPOS_H

#include <stddef.h>

struct cJSON;

typedef struct whi_jpos_entry {
    const struct cJSON *node;
    size_t offset;
} whi_jpos_entry;

typedef struct whi_jpos {
    whi_jpos_entry *v; /* sorted by node address */
    size_t n;
    const char *text; /* borrowed: the text root was parsed from */
    size_t len;
} whi_jpos;

/* Record the offset of every value of root, parsed from text (len bytes; root must come from
 * that very text, e.g. by whi_json_parse). WH_ENOMEM; WH_EINVAL when the text does not match. */
int whi_jpos_build(whi_jpos *pos, const struct cJSON *root, const char *text, size_t len);
void whi_jpos_free(whi_jpos *pos);
/* The 1-based line and column (in bytes) of offset in the text. */
void whi_jpos_line_col(const whi_jpos *pos, size_t offset, size_t *line, size_t *col);
/* The line and column where node starts; 0, 0 when the node is not in the map. */
void whi_jpos_of(const whi_jpos *pos, const struct cJSON *node, size_t *line, size_t *col);

#endif /* WHI_UTIL_JSONPOS_H */
