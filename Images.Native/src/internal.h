#ifndef IMAGES_NATIVE_INTERNAL_H
#define IMAGES_NATIVE_INTERNAL_H

#include "images_native.h"

#include <stdarg.h>

/* Writes a message into the caller's buffer and returns the status. */
int in_fail(char *error, size_t error_size, int status, const char *format, ...)
    __attribute__((format(printf, 4, 5)));

/* Whether another thread asked the decode to stop (request->cancel set). A plain volatile read:
 * cheap enough for every row. */
static inline int in_cancelled(const in_request *request)
{
    return request->cancel != NULL && *request->cancel != 0;
}

/* The scan limit in force: request->max_scans, or 500 when it is 0. */
int in_max_scans(const in_request *request);

/* IN_OVER_BUDGET with the message that names the figure and the limit, e.g. "decoding needs about
 * 1889 MiB of working memory (PNG 99000000x1, 4 channels), over the limit of 512 MiB". */
int in_over_budget(const in_request *request, const in_info *info, const char *kind, int64_t memory,
                   char *error, size_t error_size);

/* EXIF orientation from a TIFF-structured EXIF block ("Exif\0\0" prefix optional); 1 when absent. */
int in_exif_orientation(const uint8_t *data, size_t size);

/* Target size: longest side at most max_side, aspect kept, never upscaled. Takes orientation
 * into account only through the caller (sizes here are in stored orientation). */
void in_target_size(int width, int height, int max_side, int *out_width, int *out_height);

/* What the header decided before any decoding: the decode that will run and its working memory.
 * Filled by in_<format>_plan (the decode part, reduction included) and images_native.c (the
 * orientation and the encoding, then the limits); the decoders follow it. */
typedef struct in_plan {
    int64_t memory;          /* bytes: the estimate checked against request->max_memory */
    const char *kind;        /* "JPEG", "progressive JPEG", "PNG", "lossless WebP", ... (messages) */
    int target_w, target_h;  /* the thumbnail, in stored orientation */
    int channels;            /* of the reduced image the encoder gets */
    int side_limit;          /* a decoder's own largest side (libpng's), checked after the budget */
    /* JPEG */
    int scale;               /* n of the n/8 DCT scale */
    int drop_scans;          /* progressive at 1/8: the AC scans that scale does not read are left out */
    int dc_decoder;          /* ... and the DC scans are decoded by jpeg_dc.c */
    int dc_w, dc_h, components, full_chroma;
    uint8_t keep_ac[256];    /* by component id: 1 when its AC scans are needed at that scale */
    int64_t libjpeg_memory;  /* when the DC decoder hands the stream back: libjpeg decoding it */
    /* WebP */
    int animated;
    int mid_w, mid_h;        /* libwebp's scaled output */
} in_plan;

/* Streaming two-stage resampler (area averaging to at most twice the target, then a separable
 * Catmull-Rom filter): feed source rows top to bottom, get the reduced image. Memory: the output
 * plus a few rows of floats (and a ring of source rows when a helper thread reduces). */
typedef struct in_resizer in_resizer;

enum in_alpha_mode { IN_ALPHA_NONE = 0, IN_ALPHA_FLATTEN_WHITE = 1, IN_ALPHA_PREMULTIPLY = 2 };

/* The first stage's size in one direction: twice the target, or the source when it is smaller. */
int in_mid_size(int src, int dst);
in_resizer *in_resizer_new(int src_width, int src_height, int dst_width, int dst_height,
                           int src_channels, int alpha_mode);
/* Bytes in_resizer_new allocates for these arguments (every table, row and ring, the output
 * included): the reducer's term of the memory estimates. */
int64_t in_resizer_memory(int src_width, int src_height, int dst_width, int dst_height,
                          int src_channels, int alpha_mode);
/* Channels of the output: 3 for a flattened RGBA source, else the source's. */
int in_resizer_channels(const in_resizer *resizer);
int in_resizer_output_channels(int src_channels, int alpha_mode);
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

/* Fixed allowance for a library's own state (structures, Huffman and quantisation tables, zlib's
 * window): small against the terms that scale with the image, counted once per library. */
#define IN_LIBRARY_STATE (256 * 1024)

int in_jpeg_probe(const uint8_t *data, size_t size, in_info *info, char *error, size_t error_size);
int in_jpeg_plan(const uint8_t *data, size_t size, const in_request *request, const in_info *info,
                 in_plan *plan, char *error, size_t error_size);
int in_jpeg_thumbnail(const uint8_t *data, size_t size, const in_request *request, const in_info *info,
                      const in_plan *plan, uint8_t **pixels, int *width, int *height, int *channels,
                      int *full_chroma, char *error, size_t error_size);
/* Where a JPEG scan's entropy-coded data starting at `from` ends: the 0xFF of the next marker
 * that is not a stuffed 0xFF00, a restart marker or a fill byte; `size` when there is none. */
size_t in_jpeg_entropy_end(const uint8_t *data, size_t size, size_t from);
/* Returned by in_jpeg_dc_decode for anything it does not expect: libjpeg decodes the stream. */
#define IN_DC_HAND_OVER 100
/* The 1/8-scale image of a progressive JPEG stream holding DC scans only, pushed row by row into
 * the resizer (out_w x out_h source rows). IN_OK; IN_DC_HAND_OVER; or a final status with its
 * message (IN_CANCELLED, IN_NO_MEMORY, IN_INVALID for too many scans). */
int in_jpeg_dc_decode(const uint8_t *data, size_t size, in_resizer *resizer, int out_w, int out_h,
                      const in_request *request, char *error, size_t error_size);
int in_png_probe(const uint8_t *data, size_t size, in_info *info, char *error, size_t error_size);
int in_png_plan(const uint8_t *data, size_t size, const in_request *request, const in_info *info,
                in_plan *plan, char *error, size_t error_size);
int in_png_thumbnail(const uint8_t *data, size_t size, const in_request *request, const in_info *info,
                     const in_plan *plan, uint8_t **pixels, int *width, int *height, int *channels,
                     char *error, size_t error_size);
/* What a lossless (VP8L) image stream costs libwebp beyond its pixels, read from the stream's
 * header (webp_vp8l.c): the Huffman tables of every group of codes it uses, and the transforms'
 * and the entropy image's data. with_header: the stream starts with the VP8L chunk's 5-byte header
 * (an ALPH chunk's stream does not). IN_OK, IN_INVALID (libwebp would reject the stream too),
 * IN_CANCELLED or IN_NO_MEMORY. */
typedef struct in_vp8l_header {
    int64_t groups;        /* Huffman code groups libwebp allocates tables for */
    int64_t table_bytes;   /* their lookup tables and structures */
    int64_t stored_bytes;  /* transform data and the entropy image, 4 bytes a pixel */
    int cache_bits;
} in_vp8l_header;
int in_vp8l_scan(const uint8_t *data, size_t size, int with_header, int width, int height, const in_request *request,
                 in_vp8l_header *header);
int in_webp_probe(const uint8_t *data, size_t size, in_info *info, char *error, size_t error_size);
int in_webp_plan(const uint8_t *data, size_t size, const in_request *request, const in_info *info,
                 in_plan *plan, char *error, size_t error_size);
int in_webp_thumbnail(const uint8_t *data, size_t size, const in_request *request, const in_info *info,
                      const in_plan *plan, uint8_t **pixels, int *width, int *height, int *channels,
                      char *error, size_t error_size);

#endif
