/* The PNG decoder (libpng, row by row; see png_read.c). Called by the dispatcher; calls the
 * bottom layer. */
#ifndef IMAGES_NATIVE_PNG_READ_H
#define IMAGES_NATIVE_PNG_READ_H

#include "codec.h"

/* Alpha counts tRNS; the eXIf orientation; APNG: acTL's frame count. */
in_probe_fn in_png_probe;
/* libpng's row buffers and side limit; IN_UNSUPPORTED for interlaced files. */
in_plan_fn in_png_plan;
/* Row by row (APNG: the default image); the whole image is held only as png_idat.c's inflated
 * rows of a stream of at most 64 MiB. */
in_decode_fn in_png_decode;

#endif
