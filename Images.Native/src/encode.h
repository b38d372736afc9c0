/* The encoders: the oriented thumbnail as JPEG (libjpeg-turbo, through the shared error guard)
 * or WebP (libwebp). Called by the dispatcher; calls jpeg_guard.c and errors.c. */
#ifndef IMAGES_NATIVE_ENCODE_H
#define IMAGES_NATIVE_ENCODE_H

#include <stddef.h>
#include <stdint.h>

#include "images_native.h"

/* Working memory of the encoding phase, which comes after the decoder has freed its buffers, for
 * a width x height x channels reduced image: that image, its oriented copy (orientation > 1), the
 * encoder's own buffers, the encoded bytes. output: enum in_output. */
int64_t in_encode_memory(int width, int height, int channels, int orientation, int output, int full_chroma);

/* Encodes a packed image (1 or 3 channels for JPEG, 3 or 4 for WebP) into result->data (malloc'd;
 * images_native_free releases it). quality is clamped to 1..100. full_chroma: 4:4:4 JPEG output
 * (else 4:2:0), as the managed encoder chooses it: the source JPEG's own chroma resolution, 4:2:0
 * for other sources. */
int in_encode(const uint8_t *pixels, int width, int height, int channels, int full_chroma, int output, int quality,
              in_result *result, char *error, size_t error_size);

/* Renditions (ABI 5): PNG (libpng's simplified writer; 1-4 channels, no ancillary chunk) and AVIF
 * (libavif, loaded at run time: IN_UNSUPPORTED with the reason when it is missing; 4:2:0, sRGB
 * signalled by nclx, alpha as an auxiliary image, nothing else written; speed 0..10, quality
 * 1..100 mapped to libavif 0.11's quantizers as avifenc 1.x maps its --qcolor). WebP of 1 or 2
 * channels is expanded to RGB(A). Every output carries pixels only: no EXIF, XMP or ICC. */
int in_encode_avif(const uint8_t *pixels, int width, int height, int channels, int quality, int speed,
                   in_result *result, char *error, size_t error_size);

/* Working memory of one rendition output beyond the image itself (the encoder's own). */
int64_t in_encode_output_memory(int width, int height, int channels, int output);

#endif
