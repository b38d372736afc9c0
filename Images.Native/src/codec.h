/* The contract between the dispatcher (images_native.c) and the decoders (jpeg_read.c,
 * png_read.c, webp_read.c), types only. The dispatcher reads the public request once and decides
 * the options and the target size; a decoder's plan reads the header and says what its decode
 * will cost; its decode follows that plan and hands back the reduced image (in_image, resize.h).
 * No decoder sees the public in_request. */
#ifndef IMAGES_NATIVE_CODEC_H
#define IMAGES_NATIVE_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "images_native.h"
#include "resize.h"

/* What a decoder needs from the request, decided by the dispatcher. */
typedef struct in_options {
    int alpha_mode;             /* enum in_alpha_mode for the reducer: flattened on white for JPEG
                                   output, premultiplied for WebP output */
    int max_scans;              /* most scans accepted in a progressive JPEG (never 0) */
    int max_dimension;          /* largest width or height accepted; 0 = none (libpng's own applies) */
    int full_decode;            /* IN_FLAG_FULL_DECODE: every scan of a progressive JPEG */
    int libjpeg_only;           /* IN_FLAG_LIBJPEG_ONLY: no DC-scan decoder */
    int libpng_only;            /* IN_FLAG_LIBPNG_ONLY: libpng's row reader for every PNG */
    int png_streamed;           /* IN_FLAG_PNG_STREAMED: no PNG image data inflated whole */
    int png_whole_only;         /* IN_FLAG_PNG_WHOLE_ONLY: no falling back to the streamed reader */
    int64_t max_memory;         /* working-memory budget in bytes; 0 = none */
    const volatile int32_t *cancel; /* may be NULL; read per row, scan or chunk */
} in_options;

/* What the header decided before any decoding: the decode that will run and its working memory.
 * The dispatcher sets the target; in_<format>_plan fills the decode part (reduction included);
 * the dispatcher adds the orientation and the encoding, then checks the limits; the decoder
 * follows it. */
typedef struct in_plan {
    int64_t memory;          /* bytes: the estimate checked against the budget */
    const char *kind;        /* "JPEG", "progressive JPEG", "PNG", "lossless WebP", ... (messages) */
    int target_w, target_h;  /* the thumbnail, in stored orientation (set by the dispatcher) */
    int channels;            /* of the reduced image the encoder gets */
    int side_limit;          /* a decoder's own largest side (libpng's), checked after the budget */
    int full_chroma;         /* a JPEG's chroma at full resolution (4:4:4), which the encoder keeps */
    /* JPEG */
    int scale;               /* n of the n/8 DCT scale */
    int drop_scans;          /* progressive at 1/8: the AC scans that scale does not read are left out */
    int dc_decoder;          /* ... and the DC scans are decoded by jpeg_dc.c */
    int dc_w, dc_h, components;
    uint8_t keep_ac[256];    /* by component id: 1 when its AC scans are needed at that scale */
    int64_t libjpeg_memory;  /* when the DC decoder hands the stream back: libjpeg decoding it */
    /* PNG */
    int png_whole;           /* png_idat.c's mode (IN_PNG_STREAMED, _WHOLE, _WHOLE_ONLY: png_idat.h) */
    /* WebP */
    int animated;
    int mid_w, mid_h;        /* libwebp's scaled output */
} in_plan;

/* Every decoder (jpeg_read.h, png_read.h, webp_read.h) has these three, named
 * in_<format>_probe, _plan and _decode:
 *  - probe: the header alone (format, size, channels, alpha, orientation, frames) into *info;
 *  - plan: with the probe's info and plan->target_w x target_h set by the dispatcher, how the
 *    decode will run and its working memory (reduction included), or why it cannot
 *    (IN_UNSUPPORTED for what the managed path should take, IN_INVALID...);
 *  - decode: as planned, the rows streamed into the reducer; *image is the reduced image
 *    (target_w x target_h, or the source when smaller, in stored orientation; the caller frees
 *    its pixels). */
typedef int in_probe_fn(const uint8_t *data, size_t size, in_info *info, char *error, size_t error_size);
typedef int in_plan_fn(const uint8_t *data, size_t size, const in_options *options, const in_info *info,
                       in_plan *plan, char *error, size_t error_size);
typedef int in_decode_fn(const uint8_t *data, size_t size, const in_options *options, const in_info *info,
                         const in_plan *plan, in_image *image, char *error, size_t error_size);

#endif
