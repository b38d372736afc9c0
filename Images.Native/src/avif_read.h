/* The AVIF decoder (libavif 0.11's decoder over dav1d or libaom, opened at run time; see
 * avif_read.c). Called by the dispatcher; calls the bottom layer. */
#ifndef IMAGES_NATIVE_AVIF_READ_H
#define IMAGES_NATIVE_AVIF_READ_H

#include "codec.h"

/* avifDecoderParse only: size, alpha, irot/imir as an EXIF orientation, a sequence's imageCount. */
in_probe_fn in_avif_probe;
/* dav1d's pictures (the image and its alpha), the RGB(A) image, the reducer. */
in_plan_fn in_avif_plan;
/* The first image (of a sequence, its first frame) to 8-bit RGB(A), into the reducer. */
in_decode_fn in_avif_decode;

/* Whether libavif (with an AV1 decoder) loaded, and what it is or why not. */
int in_avif_input_available(void);
const char *in_avif_input_status(void);

#endif
