/* The embedded ICC profile of a container, read from its bytes without a decoder: a JPEG's APP2
 * "ICC_PROFILE" segments (joined in their sequence order), a PNG's iCCP chunk (inflated), a WebP's
 * ICCP chunk, a classic TIFF's tag 34675 in IFD0, a HEIF's or AVIF's `colr` property (bmff.c). Bottom layer: calls nothing of this library
 * (zlib for iCCP). */
#ifndef IMAGES_NATIVE_ICC_H
#define IMAGES_NATIVE_ICC_H

#include <stddef.h>
#include <stdint.h>

/* Largest profile read: real ones are 0.5-600 KB; a larger one is ignored (counted in the plan). */
#define IN_ICC_MAX_BYTES (4 * 1024 * 1024)

/* A malloc'd copy of the profile in *profile (the caller frees it), or NULL with *length 0 when
 * there is none, it is malformed or over IN_ICC_MAX_BYTES. format: enum in_format. Reads only
 * inside [data, data + size). */
void in_icc_profile(const uint8_t *data, size_t size, int format, uint8_t **profile, size_t *length);

#endif
