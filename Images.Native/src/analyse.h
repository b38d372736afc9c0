/* The insight sample (ABI 7, FR-9.1/FR-9.2): a small RGBA copy of the oriented, sRGB image the
 * renditions call already holds, area-averaged to at most IN_SAMPLE_MAX_SIDE px on its longest side.
 * The managed side computes the ThumbHash, the dominant colour and the perceptual hash from it, so
 * nothing is decoded twice. Bottom layer: calls only errors.c. */
#ifndef IMAGES_NATIVE_ANALYSE_H
#define IMAGES_NATIVE_ANALYSE_H

#include <stddef.h>
#include <stdint.h>

#define IN_SAMPLE_MAX_SIDE 100

/* Box-averages pixels (width x height x channels: 1 grey, 2 grey+alpha, 3 RGB, 4 RGBA, alpha not
 * premultiplied) to at most IN_SAMPLE_MAX_SIDE on the longest side, never upscaled, as RGBA with
 * colours averaged by alpha. *out is malloc'ed (the caller frees it). IN_OK or IN_NO_MEMORY. */
int in_sample_rgba(const uint8_t *pixels, int width, int height, int channels,
                   uint8_t **out, int *out_width, int *out_height, char *error, size_t error_size);

#endif
