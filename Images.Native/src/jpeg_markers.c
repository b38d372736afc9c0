#include "jpeg_markers.h"

#include <stdlib.h>
#include <string.h>

#include "budget.h"
#include "errors.h"
#include "exif.h"

size_t in_jpeg_entropy_end(const uint8_t *data, size_t size, size_t from)
{
    for (size_t end = from;; end++) {
        while (end < size && data[end] != 0xFF) end++;
        if (end + 1 >= size) return size;
        uint8_t next = data[end + 1];
        if (!(next == 0x00 || (next >= 0xD0 && next <= 0xD7) || next == 0xFF)) return end;
    }
}

int in_jpeg_orientation(const uint8_t *data, size_t size)
{
    size_t pos = 2;
    while (pos + 4 <= size && data[pos] == 0xFF) {
        uint8_t marker = data[pos + 1];
        if (marker == 0xFF) { pos++; continue; } /* fill byte */
        if (marker == 0xDA || marker == 0xD9) break;
        size_t length = (size_t)data[pos + 2] << 8 | data[pos + 3];
        if (length < 2 || length > size - pos - 2) break;
        if (marker == 0xE1 && length - 2 >= 6 && memcmp(data + pos + 4, "Exif\0\0", 6) == 0)
            return in_exif_orientation(data + pos + 4, length - 2);
        pos += 2 + length;
    }
    return 1;
}

int in_jpeg_multiple_scans(const uint8_t *data, size_t size)
{
    if (size < 4 || data[0] != 0xFF || data[1] != 0xD8) return 0;
    int frame_components = 0;
    for (size_t pos = 2; pos + 4 <= size && data[pos] == 0xFF;) {
        uint8_t marker = data[pos + 1];
        if (marker == 0xFF) { pos++; continue; } /* fill byte */
        size_t length = (size_t)data[pos + 2] << 8 | data[pos + 3];
        if (length < 2 || length > size - pos - 2) return 0;
        if (marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC) {
            if (marker == 0xC2 || marker == 0xC6 || marker == 0xCA || marker == 0xCE) return 1; /* progressive */
            if (length >= 8) frame_components = data[pos + 9];
        } else if (marker == 0xDA) {
            return length >= 3 && frame_components > 0 && data[pos + 4] < frame_components;
        } else if (marker == 0xD9) {
            return 0;
        }
        pos += 2 + length;
    }
    return 0;
}

uint8_t *in_jpeg_drop_scans(const uint8_t *data, size_t size, const uint8_t *keep_ac, int max_scans,
                            const volatile int32_t *cancel, size_t *out_size, int *status,
                            char *error, size_t error_size)
{
    *status = IN_OK;
    if (size < 4 || data[0] != 0xFF || data[1] != 0xD8) return NULL;
    uint8_t *out = malloc(size);
    if (out == NULL) return NULL;
    size_t pos = 2, used = 2;
    int dropped = 0, scans = 0;
    memcpy(out, data, 2);
    for (;;) {
        if (pos >= size || data[pos] != 0xFF) goto fail;
        while (pos < size && data[pos] == 0xFF) pos++; /* fill bytes */
        if (pos >= size) goto fail;
        uint8_t marker = data[pos++];
        if (marker == 0xD9) { /* EOI */
            out[used++] = 0xFF;
            out[used++] = 0xD9;
            break;
        }
        if (marker == 0x00 || marker == 0x01 || (marker >= 0xD0 && marker <= 0xD8)) goto fail;
        if (size - pos < 2) goto fail;
        size_t length = (size_t)data[pos] << 8 | data[pos + 1];
        if (length < 2 || length > size - pos) goto fail;
        size_t segment_end = pos + length;
        if (marker == 0xDA) {
            if (++scans > max_scans) {
                *status = in_fail(error, error_size, IN_INVALID, "more than %d scans in a progressive JPEG", max_scans);
                goto fail;
            }
            if (in_cancelled(cancel)) {
                *status = in_fail(error, error_size, IN_CANCELLED, "cancelled");
                goto fail;
            }
            if (length < 3) goto fail;
            size_t components = data[pos + 2];
            if (components < 1 || length != 6 + 2 * components) goto fail;
            int spectral_start = data[pos + 3 + 2 * components];
            int keep = spectral_start == 0 || (components == 1 && keep_ac[data[pos + 3]]);
            size_t end = in_jpeg_entropy_end(data, size, segment_end);
            if (end >= size) goto fail; /* truncated: no marker after the scan */
            if (keep) {
                out[used++] = 0xFF;
                out[used++] = marker;
                memcpy(out + used, data + pos, end - pos);
                used += end - pos;
            } else {
                dropped++;
            }
            pos = end;
            continue;
        }
        /* Metadata (EXIF, XMP, ICC, comments: megabytes in some photos) is not needed to decode;
         * JFIF (APP0) and Adobe (APP14) segments stay, they say how to read the colours. */
        if (!((marker >= 0xE1 && marker <= 0xED) || marker == 0xEF || marker == 0xFE)) {
            out[used++] = 0xFF;
            out[used++] = marker;
            memcpy(out + used, data + pos, length);
            used += length;
        }
        pos = segment_end;
    }
    if (dropped == 0) goto fail;
    *out_size = used;
    return out;
fail:
    free(out);
    return NULL;
}
