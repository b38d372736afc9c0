#include "exif.h"

#include <string.h>

static unsigned read16(const uint8_t *p, int little) { return little ? (unsigned)(p[0] | p[1] << 8) : (unsigned)(p[0] << 8 | p[1]); }
static uint32_t read32(const uint8_t *p, int little)
{
    return little ? (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24
                  : (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

int in_exif_orientation(const uint8_t *data, size_t size)
{
    if (data == NULL) return 1;
    if (size >= 6 && memcmp(data, "Exif\0\0", 6) == 0) {
        data += 6;
        size -= 6;
    }
    if (size < 8) return 1;
    int little;
    if (data[0] == 'I' && data[1] == 'I') little = 1;
    else if (data[0] == 'M' && data[1] == 'M') little = 0;
    else return 1;
    if (read16(data + 2, little) != 42) return 1;
    uint32_t ifd = read32(data + 4, little);
    if (ifd > size - 2 || ifd < 8) return 1;
    unsigned count = read16(data + ifd, little);
    for (unsigned i = 0; i < count; i++) {
        size_t entry = (size_t)ifd + 2 + (size_t)i * 12;
        if (entry + 12 > size) return 1;
        if (read16(data + entry, little) == 0x0112) {
            unsigned type = read16(data + entry + 2, little);
            unsigned value = type == 3 ? read16(data + entry + 8, little) : (unsigned)read32(data + entry + 8, little);
            return value >= 1 && value <= 8 ? (int)value : 1;
        }
    }
    return 1;
}
