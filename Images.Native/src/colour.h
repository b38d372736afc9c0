/* Colours of a reduced image converted from its embedded ICC profile to sRGB, with lcms2 (loaded
 * at run time, dynlib.c). Bottom layer: calls dynlib.c only. */
#ifndef IMAGES_NATIVE_COLOUR_H
#define IMAGES_NATIVE_COLOUR_H

#include <stddef.h>
#include <stdint.h>

#include "images_native.h"

/* A converter for one profile, made once and applied to every image of a request (the largest
 * rendition, its flattened twin). */
typedef struct in_colour in_colour;

/* *colour is NULL when nothing is to be done; the result is an enum in_icc: IN_ICC_NONE (no
 * profile), IN_ICC_SRGB (the profile is sRGB already), IN_ICC_CONVERTED (a converter is ready),
 * IN_ICC_UNAVAILABLE (lcms2 missing), IN_ICC_IGNORED (a profile lcms2 cannot read, or not an RGB
 * one: grey and CMYK profiles are left alone). */
int in_colour_new(const uint8_t *profile, size_t length, in_colour **colour);

/* Converts w x h pixels of channels 3 (RGB) or 4 (RGBA, alpha copied) in place; other channel
 * counts are left alone. Returns 0 when out of memory. */
int in_colour_apply(in_colour *colour, uint8_t *pixels, int width, int height, int channels);

void in_colour_free(in_colour *colour);

/* Working memory of a converter: lcms2's pipeline and tables (generous) and the profile. */
#define IN_COLOUR_MEMORY (2 * 1024 * 1024)

#endif
