/* The GIF decoder (giflib, linked statically; see gif_read.c). Called by the dispatcher; calls the
 * bottom layer. */
#ifndef IMAGES_NATIVE_GIF_READ_H
#define IMAGES_NATIVE_GIF_READ_H

#include "codec.h"

/* The logical screen, the first image's transparency, the frame count (blocks walked, nothing
 * decompressed). */
in_probe_fn in_gif_probe;
/* giflib's row, the canvas row, the interlaced frame's indices, the reducer. */
in_plan_fn in_gif_plan;
/* The first frame on a transparent canvas, row by row into the reducer. */
in_decode_fn in_gif_decode;

#endif
