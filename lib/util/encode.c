/* Base64 (RFC 4648, standard alphabet, padded) and lowercase hex. */
#include <stdbool.h>
#include <string.h>

#include "error.h"
#include "encode.h"

static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t whi_base64_encoded_len(size_t len)
{
    return (len + 2) / 3 * 4;
}

size_t whi_base64_encode(const void *in, size_t len, char *out)
{
    const unsigned char *s = in;
    size_t o = 0, i = 0;
    for (; i + 2 < len; i += 3) {
        uint32_t v = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8 | s[i + 2];
        out[o++] = B64[v >> 18];
        out[o++] = B64[(v >> 12) & 63];
        out[o++] = B64[(v >> 6) & 63];
        out[o++] = B64[v & 63];
    }
    if (i < len) {
        uint32_t v = (uint32_t)s[i] << 16 | (i + 1 < len ? (uint32_t)s[i + 1] << 8 : 0);
        out[o++] = B64[v >> 18];
        out[o++] = B64[(v >> 12) & 63];
        out[o++] = i + 1 < len ? B64[(v >> 6) & 63] : '=';
        out[o++] = '=';
    }
    out[o] = '\0';
    return o;
}

static int b64_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

int whi_base64_decode(const char *in, size_t len, unsigned char *out, size_t *out_len)
{
    if (len % 4 != 0) return whi_error(WH_EINVAL, "base64: length %zu is not a multiple of 4", len);
    size_t o = 0;
    for (size_t i = 0; i < len; i += 4) {
        int v[4];
        int pad = 0;
        for (int k = 0; k < 4; k++) {
            unsigned char c = (unsigned char)in[i + k];
            bool last_group = i + 4 == len;
            if (c == '=' && last_group && k >= 2 && (k == 3 || in[i + 3] == '=')) {
                v[k] = 0;
                pad++;
                continue;
            }
            if (pad || (v[k] = b64_value(c)) < 0)
                return whi_error(WH_EINVAL, "base64: invalid character at offset %zu", i + k);
        }
        uint32_t w = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 | v[3];
        out[o++] = (unsigned char)(w >> 16);
        if (pad < 2) out[o++] = (unsigned char)(w >> 8);
        if (pad < 1) out[o++] = (unsigned char)w;
    }
    *out_len = o;
    return WH_OK;
}

void whi_hex_encode(const void *in, size_t len, char *out)
{
    static const char H[] = "0123456789abcdef";
    const unsigned char *s = in;
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = H[s[i] >> 4];
        out[2 * i + 1] = H[s[i] & 15];
    }
    out[2 * len] = '\0';
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

int whi_hex_decode(const char *in, size_t len, unsigned char *out, size_t *out_len)
{
    if (len % 2 != 0) return whi_error(WH_EINVAL, "hex: odd length %zu", len);
    for (size_t i = 0; i < len; i += 2) {
        int hi = hex_value(in[i]), lo = hex_value(in[i + 1]);
        if (hi < 0 || lo < 0)
            return whi_error(WH_EINVAL, "hex: invalid character at offset %zu", i);
        out[i / 2] = (unsigned char)(hi << 4 | lo);
    }
    *out_len = len / 2;
    return WH_OK;
}
