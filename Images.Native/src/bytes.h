/* Big- and little-endian 32-bit reads from a byte buffer, for the container walkers (PNG chunks,
 * ISO BMFF boxes, RIFF chunks, ICC tags). Bottom layer, header only. */
#ifndef IMAGES_NATIVE_BYTES_H
#define IMAGES_NATIVE_BYTES_H

#include <stdint.h>

static inline uint32_t in_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline uint32_t in_le32(const uint8_t *p)
{
    return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

#endif
