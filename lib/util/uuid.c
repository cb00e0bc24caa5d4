/* UUID version 4 (RFC 9562): 122 random bits, version and variant set. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "webhooks/common.h"
#include "random.h"
#include "uuid.h"
#include "encode.h"

int whi_uuid_v4(char out[WHI_UUID_LEN + 1])
{
    unsigned char b[16];
    int rc = whi_random_bytes(b, sizeof(b));
    if (rc != WH_OK) return rc;
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    char hex[33];
    whi_hex_encode(b, sizeof(b), hex);
    snprintf(out, WHI_UUID_LEN + 1, "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12, hex + 16,
             hex + 20);
    return WH_OK;
}

bool whi_uuid_valid(const char *s)
{
    if (!s || strlen(s) != WHI_UUID_LEN) return false;
    for (size_t i = 0; i < WHI_UUID_LEN; i++) {
        char c = s[i];
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? c != '-'
                 : !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
            return false;
    }
    return true;
}
