/* The 1/8-scale image of a progressive JPEG from its DC scans alone (see jpeg_dc.c). Called by
 * jpeg_read.c only; calls jpeg_markers.c and the bottom layer (errors, budget, the reducer). */
#ifndef IMAGES_NATIVE_JPEG_DC_H
#define IMAGES_NATIVE_JPEG_DC_H

#include <stddef.h>
#include <stdint.h>

#include "resize.h"

/* Returned by in_jpeg_dc_decode for anything it does not expect: libjpeg decodes the stream. */
#define IN_DC_HAND_OVER 100

/* The 1/8-scale image of a progressive JPEG stream holding DC scans only, pushed row by row into
 * the resizer (out_w x out_h source rows). IN_OK; IN_DC_HAND_OVER; or a final status with its
 * message (IN_CANCELLED when *cancel is set, IN_NO_MEMORY, IN_INVALID for more than max_scans
 * scans). */
int in_jpeg_dc_decode(const uint8_t *data, size_t size, in_resizer *resizer, int out_w, int out_h,
                      int max_scans, const volatile int32_t *cancel, char *error, size_t error_size);

#endif
