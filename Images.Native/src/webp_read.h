/* The WebP decoder (libwebp's scaled decoding; an animation's first frame through libwebpdemux;
 * see webp_read.c). Called by the dispatcher; calls webp_vp8l.c and the bottom layer. */
#ifndef IMAGES_NATIVE_WEBP_READ_H
#define IMAGES_NATIVE_WEBP_READ_H

#include "codec.h"

/* The EXIF chunk's orientation; an animation's ANMF frame count. */
in_probe_fn in_webp_probe;
/* Lossy, lossless (its Huffman groups counted by webp_vp8l.c) or the animation's canvas. */
in_plan_fn in_webp_plan;
/* The still image scaled by libwebp to twice the target, or the first frame, into the reducer. */
in_decode_fn in_webp_decode;

#endif
