#ifndef IMAGES_NATIVE_INTERNAL_H
#define IMAGES_NATIVE_INTERNAL_H

#include "images_native.h"

#include <stdarg.h>

/* Writes a message into the caller's buffer and returns the status. */
int in_fail(char *error, size_t error_size, int status, const char *format, ...)
    __attribute__((format(printf, 4, 5)));

/* EXIF orientation from a TIFF-structured EXIF block ("Exif\0\0" prefix optional); 1 when absent. */
int in_exif_orientation(const uint8_t *data, size_t size);

/* Target size: longest side at most max_side, aspect kept, never upscaled. Takes orientation
 * into account only through the caller (sizes here are in stored orientation). */
void in_target_size(int width, int height, int max_side, int *out_width, int *out_height);

/* Streaming two-stage resampler (area averaging to at most twice the target, then a separable
 * Catmull-Rom filter): feed source rows top to bottom, get the reduced image. Memory: the output
 * plus a few rows of floats (and a ring of source rows when a helper thread reduces). */
typedef struct in_resizer in_resizer;

enum in_alpha_mode { IN_ALPHA_NONE = 0, IN_ALPHA_FLATTEN_WHITE = 1, IN_ALPHA_PREMULTIPLY = 2 };

/* The first stage's size in one direction: twice the target, or the source when it is smaller. */
int in_mid_size(int src, int dst);
in_resizer *in_resizer_new(int src_width, int src_height, int dst_width, int dst_height,
                           int src_channels, int alpha_mode);
/* Channels of the output: 3 for a flattened RGBA source, else the source's. */
int in_resizer_channels(const in_resizer *resizer);
void in_resizer_push(in_resizer *resizer, const uint8_t *row);
/* Takes the finished image (dst_width x dst_height x channels); the resizer keeps nothing. */
uint8_t *in_resizer_finish(in_resizer *resizer);
void in_resizer_free(in_resizer *resizer);

/* Applies EXIF orientation to a packed image; returns a new buffer (or the same one for 1). */
uint8_t *in_orient(uint8_t *pixels, int *width, int *height, int channels, int orientation);

/* full_chroma: 4:4:4 JPEG output (else 4:2:0), as the managed encoder chooses it: the source
 * JPEG's own chroma resolution, 4:2:0 for other sources. */
int in_encode(const uint8_t *pixels, int width, int height, int channels, int full_chroma, const in_request *request,
              in_result *result, char *error, size_t error_size);

int in_jpeg_probe(const uint8_t *data, size_t size, in_info *info, char *error, size_t error_size);
int in_jpeg_thumbnail(const uint8_t *data, size_t size, const in_request *request, in_info *info,
                      uint8_t **pixels, int *width, int *height, int *channels, int *full_chroma,
                      char *error, size_t error_size);
/* Where a JPEG scan's entropy-coded data starting at `from` ends: the 0xFF of the next marker
 * that is not a stuffed 0xFF00, a restart marker or a fill byte; `size` when there is none. */
size_t in_jpeg_entropy_end(const uint8_t *data, size_t size, size_t from);
/* The 1/8-scale image of a progressive JPEG stream holding DC scans only, pushed row by row into
 * the resizer (out_w x out_h source rows); IN_OK, or a status after which libjpeg should decode
 * the stream instead. */
int in_jpeg_dc_decode(const uint8_t *data, size_t size, in_resizer *resizer, int out_w, int out_h);
int in_png_probe(const uint8_t *data, size_t size, in_info *info, char *error, size_t error_size);
int in_png_thumbnail(const uint8_t *data, size_t size, const in_request *request, in_info *info,
                     uint8_t **pixels, int *width, int *height, int *channels, char *error, size_t error_size);
int in_webp_probe(const uint8_t *data, size_t size, in_info *info, char *error, size_t error_size);
int in_webp_thumbnail(const uint8_t *data, size_t size, const in_request *request, in_info *info,
                      uint8_t **pixels, int *width, int *height, int *channels, char *error, size_t error_size);

#endif
