/* The HEIF/HEIC decoder (libheif 1.15, opened at run time; see heif_read.c). Called by the
 * dispatcher; calls the bottom layer. */
#ifndef IMAGES_NATIVE_HEIF_READ_H
#define IMAGES_NATIVE_HEIF_READ_H

#include "codec.h"

/* The primary image's size after its irot/imir (libheif applies them), alpha, top-level images. */
in_probe_fn in_heif_probe;
/* libde265's and libheif's full-frame planes, the RGB(A) image, the reducer. */
in_plan_fn in_heif_plan;
/* libheif's decode of the primary image to 8-bit RGB(A), its rows into the reducer. */
in_decode_fn in_heif_decode;

/* Whether libheif (with an HEVC decoder) loaded, and what it is or why not. */
int in_heif_available(void);
const char *in_heif_status(void);

#endif
