/* The reducer: a streaming two-stage resampler (area averaging to at most twice the target, then a
 * separable Catmull-Rom filter). A decoder feeds it source rows top to bottom and takes the
 * reduced image. Memory: the output plus a few rows of floats (and a ring of source rows when a
 * helper thread reduces). Bottom layer: calls only errors.c. */
#ifndef IMAGES_NATIVE_RESIZE_H
#define IMAGES_NATIVE_RESIZE_H

#include <stddef.h>
#include <stdint.h>

/* A packed image: width x height pixels of channels bytes, rows top to bottom. */
typedef struct in_image {
    uint8_t *pixels;
    int width, height, channels;
    /* IN_ALPHA_BOTH only: the same reduction flattened on white (channels - 1), else NULL. */
    uint8_t *flat;
} in_image;

typedef struct in_resizer in_resizer;

/* What happens to alpha: kept as is (no alpha), composited over white (JPEG output), or
 * premultiplied while averaging and divided out again (WebP output). */
enum in_alpha_mode { IN_ALPHA_NONE = 0, IN_ALPHA_FLATTEN_WHITE = 1, IN_ALPHA_PREMULTIPLY = 2,
    /* Renditions (ABI 5): alpha kept (premultiplied while averaging) and, from the same rows, a
     * twin reduction flattened on white for JPEG (in_image.flat), exactly what
     * IN_ALPHA_FLATTEN_WHITE alone makes. The memory is both reducers'. */
    IN_ALPHA_BOTH = 3 };

/* The first stage's size in one direction: twice the target, or the source when it is smaller. */
int in_mid_size(int src, int dst);
/* NULL when out of memory or when the target is larger than the source (never upscaled). */
in_resizer *in_resizer_new(int src_width, int src_height, int dst_width, int dst_height,
                           int src_channels, int alpha_mode);
/* Bytes in_resizer_new allocates for these arguments (every table, row and ring, the output
 * included): the reducer's term of the memory estimates. */
int64_t in_resizer_memory(int src_width, int src_height, int dst_width, int dst_height,
                          int src_channels, int alpha_mode);
/* Channels of the output: 3 for a flattened RGBA source (1 for grey+alpha), else the source's. */
int in_resizer_output_channels(int src_channels, int alpha_mode);
void in_resizer_push(in_resizer *resizer, const uint8_t *row);
/* Finishes the reduction and frees the resizer: *image is the reduced image (dst_width x
 * dst_height x output channels; the caller frees its pixels). IN_OK, or IN_NO_MEMORY with the
 * message. */
int in_resizer_take(in_resizer *resizer, in_image *image, char *error, size_t error_size);
/* Frees a resizer that is not taken (NULL is fine). */
void in_resizer_free(in_resizer *resizer);

#endif
