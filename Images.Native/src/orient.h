/* EXIF orientation applied to the reduced image, before it is encoded. Bottom layer: calls
 * nothing of this library. */
#ifndef IMAGES_NATIVE_ORIENT_H
#define IMAGES_NATIVE_ORIENT_H

#include <stdint.h>

/* Applies orientation 1..8 to a packed image; returns a new buffer (the caller frees both), the
 * same one for 1 (or an out-of-range value), NULL when out of memory. Swaps *width and *height
 * for 5..8. */
uint8_t *in_orient(uint8_t *pixels, int *width, int *height, int channels, int orientation);

#endif
