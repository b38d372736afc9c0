#include "icc.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "bmff.h"
#include "bytes.h"
#include "images_native.h"

/* APP2 "ICC_PROFILE\0" seq count data, up to 255 segments, before the first SOS. */
static uint8_t *jpeg_profile(const uint8_t *data, size_t size, size_t *length)
{
    const uint8_t *chunk[256] = { 0 };
    size_t chunk_size[256] = { 0 };
    int count = 0;
    size_t pos = 2;
    while (pos + 4 <= size) {
        if (data[pos] != 0xFF) return NULL;
        const uint8_t marker = data[pos + 1];
        if (marker == 0xFF) { pos++; continue; }
        if (marker == 0xDA || marker == 0xD9) break;
        if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) { pos += 2; continue; }
        const size_t len = (size_t)data[pos + 2] << 8 | data[pos + 3];
        if (len < 2 || pos + 2 + len > size) return NULL;
        const uint8_t *payload = data + pos + 4;
        const size_t payload_size = len - 2;
        if (marker == 0xE2 && payload_size > 14 && memcmp(payload, "ICC_PROFILE\0", 12) == 0) {
            const int seq = payload[12], n = payload[13];
            if (seq < 1 || n < 1 || seq > n || (count != 0 && n != count) || chunk[seq] != NULL) return NULL;
            count = n;
            chunk[seq] = payload + 14;
            chunk_size[seq] = payload_size - 14;
        }
        pos += 2 + len;
    }
    if (count == 0) return NULL;
    size_t total = 0;
    for (int i = 1; i <= count; i++) {
        if (chunk[i] == NULL) return NULL;
        total += chunk_size[i];
    }
    if (total == 0 || total > IN_ICC_MAX_BYTES) return NULL;
    uint8_t *profile = malloc(total);
    if (profile == NULL) return NULL;
    size_t at = 0;
    for (int i = 1; i <= count; i++) {
        memcpy(profile + at, chunk[i], chunk_size[i]);
        at += chunk_size[i];
    }
    *length = total;
    return profile;
}

/* iCCP: name (1-79 bytes) \0, method 0, zlib data; inflated to at most IN_ICC_MAX_BYTES. */
static uint8_t *png_profile(const uint8_t *data, size_t size, size_t *length)
{
    size_t pos = 8;
    while (pos + 12 <= size) {
        const uint32_t len = in_be32(data + pos);
        const uint8_t *type = data + pos + 4;
        if (len > size - pos - 12) return NULL;
        if (memcmp(type, "IDAT", 4) == 0 || memcmp(type, "IEND", 4) == 0) return NULL;
        if (memcmp(type, "iCCP", 4) == 0) {
            const uint8_t *p = data + pos + 8;
            const uint8_t *nul = memchr(p, 0, len < 80 ? len : 80);
            if (nul == NULL || (size_t)(nul - p) + 2 > len || nul[1] != 0) return NULL;
            const uint8_t *z = nul + 2;
            const size_t z_size = len - (size_t)(z - p);
            /* The profile's own header says its size (first 4 bytes): inflate that much, no more. */
            uint8_t head[4];
            z_stream s;
            memset(&s, 0, sizeof(s));
            if (inflateInit(&s) != Z_OK) return NULL;
            s.next_in = (Bytef *)z;
            s.avail_in = (uInt)z_size;
            s.next_out = head;
            s.avail_out = 4;
            int r = inflate(&s, Z_SYNC_FLUSH);
            if ((r != Z_OK && r != Z_STREAM_END) || s.avail_out != 0) { inflateEnd(&s); return NULL; }
            const uint32_t declared = in_be32(head);
            if (declared < 128 || declared > IN_ICC_MAX_BYTES) { inflateEnd(&s); return NULL; }
            uint8_t *profile = malloc(declared);
            if (profile == NULL) { inflateEnd(&s); return NULL; }
            memcpy(profile, head, 4);
            s.next_out = profile + 4;
            s.avail_out = declared - 4;
            r = inflate(&s, Z_FINISH);
            inflateEnd(&s);
            if (r != Z_STREAM_END || s.avail_out != 0) { free(profile); return NULL; }
            *length = declared;
            return profile;
        }
        pos += 12 + (size_t)len;
    }
    return NULL;
}

/* RIFF WEBP with VP8X: the ICCP chunk. */
static uint8_t *webp_profile(const uint8_t *data, size_t size, size_t *length)
{
    size_t pos = 12;
    while (pos + 8 <= size) {
        const uint32_t len = in_le32(data + pos + 4);
        if (len > size - pos - 8) return NULL;
        if (memcmp(data + pos, "ICCP", 4) == 0) {
            if (len == 0 || len > IN_ICC_MAX_BYTES) return NULL;
            uint8_t *profile = malloc(len);
            if (profile == NULL) return NULL;
            memcpy(profile, data + pos + 8, len);
            *length = len;
            return profile;
        }
        if (memcmp(data + pos, "VP8 ", 4) == 0 || memcmp(data + pos, "VP8L", 4) == 0 || memcmp(data + pos, "ANMF", 4) == 0)
            return NULL; /* the ICCP chunk comes before the image data */
        pos += 8 + (size_t)len + (len & 1);
    }
    return NULL;
}

/* Classic TIFF, IFD0, tag 34675 (InterColorProfile), type UNDEFINED or BYTE. */
static uint8_t *tiff_profile(const uint8_t *data, size_t size, size_t *length)
{
    if (size < 8) return NULL;
    const int le = data[0] == 'I';
    uint32_t (*u32)(const uint8_t *) = le ? in_le32 : in_be32;
#define U16(p) (le ? (uint16_t)((p)[0] | (p)[1] << 8) : (uint16_t)((p)[0] << 8 | (p)[1]))
    if (U16(data + 2) != 42) return NULL; /* BigTIFF: not read */
    const uint32_t ifd = u32(data + 4);
    if (ifd < 8 || (size_t)ifd + 2 > size) return NULL;
    const unsigned entries = U16(data + ifd);
    for (unsigned i = 0; i < entries; i++) {
        const size_t e = (size_t)ifd + 2 + (size_t)i * 12;
        if (e + 12 > size) return NULL;
        if (U16(data + e) != 34675) continue;
        const unsigned type = U16(data + e + 2);
        const uint32_t count = u32(data + e + 4), offset = u32(data + e + 8);
        if ((type != 7 && type != 1) || count <= 4 || count > IN_ICC_MAX_BYTES || offset > size || count > size - offset)
            return NULL;
        uint8_t *profile = malloc(count);
        if (profile == NULL) return NULL;
        memcpy(profile, data + offset, count);
        *length = count;
        return profile;
    }
#undef U16
    return NULL;
}

void in_icc_profile(const uint8_t *data, size_t size, int format, uint8_t **profile, size_t *length)
{
    *length = 0;
    switch (format) {
    case IN_FORMAT_JPEG: *profile = jpeg_profile(data, size, length); break;
    case IN_FORMAT_PNG: *profile = png_profile(data, size, length); break;
    case IN_FORMAT_WEBP: *profile = webp_profile(data, size, length); break;
    case IN_FORMAT_TIFF: *profile = tiff_profile(data, size, length); break;
    case IN_FORMAT_HEIF:
    case IN_FORMAT_AVIF: { /* the colr property (ABI 6); a nclx one is not a profile */
        size_t n = 0;
        const uint8_t *p = in_bmff_icc(data, size, &n);
        *profile = NULL;
        if (p != NULL && n > 0 && n <= IN_ICC_MAX_BYTES && (*profile = malloc(n)) != NULL) {
            memcpy(*profile, p, n);
            *length = n;
        }
        break;
    }
    default: *profile = NULL; break;
    }
    if (*profile == NULL) *length = 0;
}
