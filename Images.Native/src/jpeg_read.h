/* The JPEG decoder (libjpeg-turbo, DCT-scaled; see jpeg_read.c). Called by the dispatcher; calls
 * jpeg_dc.c, jpeg_markers.c, jpeg_guard.c and the bottom layer. */
#ifndef IMAGES_NATIVE_JPEG_READ_H
#define IMAGES_NATIVE_JPEG_READ_H

#include "codec.h"

/* Channels: 3 for YCbCr, 1 grey, 4 CMYK/YCCK; the APP1 EXIF orientation. */
in_probe_fn in_jpeg_probe;
/* The scale, how progressive scans are read, full chroma; IN_UNSUPPORTED for CMYK. */
in_plan_fn in_jpeg_plan;
/* libjpeg at the planned scale, or at 1/8 the DC-scan decoder (jpeg_dc.c). */
in_decode_fn in_jpeg_decode;

#endif
