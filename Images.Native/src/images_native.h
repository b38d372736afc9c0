/* images_native: a native thumbnail fast path for the Images service (NFR-4).
 * JPEG (libjpeg-turbo, DCT-scaled decoding), PNG (libpng, row by row), WebP (libwebp,
 * scaled decoding; the first frame of an animation) and TIFF (libtiff, strips and tiles row by row;
 * the first page), reduced in two stages (exact area averaging, then a small Catmull-Rom filter)
 * while the rows stream in,
 * EXIF (or TIFF) orientation applied, encoded as JPEG or WebP. Every entry point is safe on hostile input:
 * errors come back as codes and messages, never as a crash or an abort.
 *
 * Budgets (NFR-8): images_native_plan reads the header only and decides, before any large
 * allocation, whether the decode the request would run fits its limits (largest side, pixel
 * count, working memory estimated for the decoder that will run); images_native_thumbnail makes
 * the same checks first. Long decodes look at request->cancel per row, per scan or per chunk of
 * input and stop with IN_CANCELLED, everything freed. */
#ifndef IMAGES_NATIVE_H
#define IMAGES_NATIVE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define IMAGES_NATIVE_API __attribute__((visibility("default")))

/* Bumped whenever the ABI below changes; the managed side checks it once. */
#define IMAGES_NATIVE_VERSION 8

enum in_status {
    IN_OK = 0,
    IN_UNSUPPORTED = 1,   /* not handled natively (format or feature): use the managed path */
    IN_INVALID = 2,       /* corrupt, truncated or impossible image */
    IN_TOO_LARGE = 3,     /* over the pixel or the side limit (checked on the header) */
    IN_NO_MEMORY = 4,
    IN_IO = 5,
    IN_CANCELLED = 6,     /* *request->cancel was set during the decode */
    IN_OVER_BUDGET = 7    /* the decode would need more working memory than request->max_memory */
};

/* 4 (TIFF) since version 4; GIF, HEIF (HEIC) and AVIF input since version 6 (FR-8.6). */
enum in_format { IN_FORMAT_UNKNOWN = 0, IN_FORMAT_JPEG = 1, IN_FORMAT_PNG = 2, IN_FORMAT_WEBP = 3, IN_FORMAT_TIFF = 4,
                 IN_FORMAT_GIF = 5, IN_FORMAT_HEIF = 6, IN_FORMAT_AVIF = 7 };
/* PNG and AVIF (renditions only) since version 5. */
enum in_output { IN_OUTPUT_JPEG = 0, IN_OUTPUT_WEBP = 1, IN_OUTPUT_PNG = 2, IN_OUTPUT_AVIF = 3 };
#define IN_OUTPUTS 4

/* Decode every scan of a progressive JPEG even at 1/8 scale, where the scans that scale reads
 * (DC, and the AC scans of chroma libjpeg-turbo scales through a 2x2 DCT) give the same pixels
 * (for tests and measurements). */
#define IN_FLAG_FULL_DECODE 1
/* At 1/8 scale, let libjpeg decode the DC scans too rather than the library's own DC decoder
 * (for tests and measurements). */
#define IN_FLAG_LIBJPEG_ONLY 2
/* Read every PNG's image data through libpng's row reader, also the 8-bit RGB and RGBA files the
 * library's own IDAT reader takes (for tests and measurements; the rows are the same). */
#define IN_FLAG_LIBPNG_ONLY 4
/* Stream the image data of the PNGs the library's own IDAT reader takes through zlib, row by row,
 * also those it would inflate whole with libdeflate (for tests and measurements). */
#define IN_FLAG_PNG_STREAMED 8
/* A PNG stream inflated whole that libdeflate will not take (or that is not exactly the image's
 * rows) is an error, rather than handed to the streamed reader (for tests: that the whole path
 * really ran). */
#define IN_FLAG_PNG_WHOLE_ONLY 16

/* 40 bytes on every 64-bit ABI: six int32, then the int64 at offset 24, then frames. */
typedef struct in_info {
    int32_t format;       /* enum in_format */
    int32_t width;        /* as stored, before orientation (the canvas of an animation) */
    int32_t height;
    int32_t channels;     /* of the source: 1 grey, 2 grey+alpha, 3 colour, 4 colour+alpha or CMYK */
    int32_t has_alpha;
    int32_t orientation;  /* EXIF 1..8, a TIFF's orientation tag (1 when absent) */
    int64_t memory;       /* estimated working memory, in bytes, of the decode the request would
                             run (filled by plan and thumbnail; 0 after a bare probe) */
    int32_t frames;       /* frames or pages in the container (1 for a still image; APNG: acTL's
                             num_frames; animated WebP: its ANMF chunks, what the demuxer counts,
                             walked in place before anything is allocated; TIFF: the IFD chain,
                             each IFD counted once, at most 100,000; GIF: its image descriptors,
                             the blocks walked without decompressing, at most 100,000; AVIF:
                             libavif's imageCount of a sequence; HEIF: the top-level images);
                             only the first (a HEIF's primary image) is decoded */
} in_info;

/* 48 bytes on every 64-bit ABI. */
typedef struct in_request {
    int32_t max_side;     /* longest side of the thumbnail; never upscaled */
    int32_t quality;      /* 1..100 */
    int32_t output;       /* enum in_output */
    int32_t flags;        /* IN_FLAG_*; 0 for the defaults */
    int64_t max_pixels;   /* decompression-bomb limit, checked before any decoding */
    int64_t max_memory;   /* working-memory budget in bytes for one decode; 0 = no limit */
    int32_t max_dimension;/* largest width or height accepted; 0 = no limit (libpng's own
                             1,000,000 still applies to PNG) */
    int32_t max_scans;    /* most scans accepted in a progressive JPEG; 0 = 500 (the limit
                             libjpeg-turbo's own fuzzers use) */
    const volatile int32_t *cancel; /* may be NULL; another thread sets *cancel = 1 to stop */
} in_request;

typedef struct in_result {
    uint8_t *data;        /* encoded thumbnail; release with images_native_free */
    size_t size;
    int32_t width;        /* thumbnail size, after orientation */
    int32_t height;
} in_result;

IMAGES_NATIVE_API int32_t images_native_version(void);

/* Header-only probe: format, size, channels, orientation, frames. */
IMAGES_NATIVE_API int32_t images_native_probe(const uint8_t *data, size_t size, in_info *info,
                                              char *error, size_t error_size);
IMAGES_NATIVE_API int32_t images_native_probe_file(const char *path, in_info *info,
                                                   char *error, size_t error_size);

/* Everything the thumbnail call checks before it decodes: the probe, the largest side, the pixel
 * count and the working memory of the decode the request would run (info->memory, filled even
 * when over budget), plus info->frames. No pixel is decoded. IN_OK, IN_UNSUPPORTED (the managed
 * path should take it), IN_INVALID, IN_TOO_LARGE or IN_OVER_BUDGET. */
IMAGES_NATIVE_API int32_t images_native_plan(const uint8_t *data, size_t size, const in_request *request,
                                             in_info *info, char *error, size_t error_size);
IMAGES_NATIVE_API int32_t images_native_plan_file(const char *path, const in_request *request, in_info *info,
                                                  char *error, size_t error_size);

IMAGES_NATIVE_API int32_t images_native_thumbnail(const uint8_t *data, size_t size,
                                                  const in_request *request, in_info *info,
                                                  in_result *result, char *error, size_t error_size);
IMAGES_NATIVE_API int32_t images_native_thumbnail_file(const char *path, const in_request *request,
                                                       in_info *info, in_result *result,
                                                       char *error, size_t error_size);

IMAGES_NATIVE_API void images_native_free(uint8_t *data);

/* ---- Renditions (version 5; FR-8.1, FR-8.2, ADR 12) ----
 * Named sizes of one image, all from one decode: the decoder reduces once to the largest size
 * (alpha kept, and from the same rows a twin flattened on white for JPEG), the reduced image is
 * oriented, its colours converted from an embedded ICC profile to sRGB, then every smaller size is
 * reduced from it, and each size is encoded in the requested formats. Outputs carry no metadata
 * (no EXIF, XMP or ICC). A JPEG of the largest size is byte for byte the JPEG thumbnail of
 * images_native_thumbnail at that side when the source has no ICC profile other than sRGB. */

#define IN_MAX_RENDITIONS 8

/* What happened to the source's colours. */
enum in_icc {
    IN_ICC_NONE = 0,        /* no embedded profile: taken as sRGB */
    IN_ICC_SRGB = 1,        /* an sRGB profile: nothing to convert */
    IN_ICC_CONVERTED = 2,   /* converted to sRGB with lcms2 */
    IN_ICC_UNAVAILABLE = 3, /* a profile, but lcms2 could not be loaded: colours left as they are */
    IN_ICC_IGNORED = 4      /* a profile lcms2 cannot read, or not an RGB one (grey, CMYK): left as is */
};

/* images_native_features: optional libraries loaded at run time (dlopen), ADR 12. */
#define IN_FEATURE_AVIF 1   /* libavif with an AV1 encoder: AVIF output */
#define IN_FEATURE_ICC 2    /* lcms2: ICC profiles converted to sRGB */
#define IN_FEATURE_HEIF_INPUT 4 /* libheif with an HEVC decoder: HEIC/HEIF input (version 6) */
#define IN_FEATURE_AVIF_INPUT 8 /* libavif with an AV1 decoder: AVIF input (version 6) */

/* 104 bytes on every 64-bit ABI. */
typedef struct in_renditions_request {
    in_request limits;      /* the budget, quality (JPEG's) and cancel flag as for a thumbnail;
                               max_side and output are not read */
    int32_t count;          /* 1..IN_MAX_RENDITIONS */
    int32_t outputs;        /* 1 << enum in_output for each format made at every size; PNG is
                               made only for a source with alpha */
    int32_t sides[IN_MAX_RENDITIONS]; /* longest side of each rendition, any order; never upscaled */
    int32_t webp_quality;   /* 1..100 */
    int32_t avif_quality;   /* 1..100 */
    int32_t avif_speed;     /* 0 (slowest) .. 10 (fastest) */
    int32_t flags;          /* IN_RENDITIONS_* */
} in_renditions_request;

/* PNG of every source, alpha or not (bench/renditions.sh: the lossless reference of each size). */
#define IN_RENDITIONS_PNG_ALWAYS 1

/* 104 bytes: one size and its encoded outputs, indexed by enum in_output. */
typedef struct in_rendition {
    uint8_t *data[IN_OUTPUTS];  /* NULL when not made; images_native_renditions_free releases all */
    uint64_t size[IN_OUTPUTS];
    int64_t encode_ns[IN_OUTPUTS]; /* wall time of each encoding */
    int32_t width;              /* after orientation */
    int32_t height;
} in_rendition;

/* 872 bytes (856 before ABI 7). */
typedef struct in_renditions {
    int32_t count;          /* = request count on IN_OK */
    int32_t icc;            /* enum in_icc */
    int32_t avif_status;    /* IN_OK, or IN_UNSUPPORTED when AVIF was asked and libavif is missing
                               (the other formats are made all the same) */
    int32_t reserved;
    int64_t decode_ns;      /* the decode and the reduction to the largest size */
    in_rendition items[IN_MAX_RENDITIONS]; /* in the request's order */
    /* ABI 7 (FR-9.1/FR-9.2): the insight sample, RGBA, at most 100 px on its longest side,
     * area-averaged from the largest rendition's pixels in display orientation and sRGB (analyse.h).
     * images_native_renditions_free releases it. */
    uint8_t *sample;
    int32_t sample_width;
    int32_t sample_height;
} in_renditions;

/* IN_FEATURE_* bits of what loaded; text says what (versions) or why not. Loads them once. */
IMAGES_NATIVE_API int32_t images_native_features(char *text, size_t text_size);

/* As images_native_plan, for the renditions request: the decode to the largest size and the
 * encoding of every size and format (info->memory). */
IMAGES_NATIVE_API int32_t images_native_renditions_plan(const uint8_t *data, size_t size, const in_renditions_request *request,
                                                        in_info *info, char *error, size_t error_size);
IMAGES_NATIVE_API int32_t images_native_renditions_plan_file(const char *path, const in_renditions_request *request,
                                                             in_info *info, char *error, size_t error_size);
IMAGES_NATIVE_API int32_t images_native_renditions(const uint8_t *data, size_t size, const in_renditions_request *request,
                                                   in_info *info, in_renditions *out, char *error, size_t error_size);
IMAGES_NATIVE_API int32_t images_native_renditions_file(const char *path, const in_renditions_request *request,
                                                        in_info *info, in_renditions *out, char *error, size_t error_size);
/* Frees every output of *out (it may be partly filled) and clears it. */
IMAGES_NATIVE_API void images_native_renditions_free(in_renditions *out);

#ifdef __cplusplus
}
#endif

#endif
