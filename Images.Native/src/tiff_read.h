/* The TIFF decoder (libtiff over the caller's buffer, the first page only; see tiff_read.c).
 * Called by the dispatcher; calls jpeg_markers.c and the bottom layer. */
#ifndef IMAGES_NATIVE_TIFF_READ_H
#define IMAGES_NATIVE_TIFF_READ_H

#include "codec.h"

/* IFD0's size, channels and orientation tag (274); the pages are the IFD chain, walked in place. */
in_probe_fn in_tiff_probe;
/* How the first page will be read (scanlines, planes, tiles or libtiff's RGBA conversion) and its
 * working memory; IN_UNSUPPORTED for what the managed path should take (other sample formats,
 * depths, photometrics and compressions). */
in_plan_fn in_tiff_plan;
/* The rows of the first page, streamed into the reducer. */
in_decode_fn in_tiff_decode;

#endif
