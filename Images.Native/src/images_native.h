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
#define IMAGES_NATIVE_VERSION 4

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

/* 4 (TIFF) since version 4. */
enum in_format { IN_FORMAT_UNKNOWN = 0, IN_FORMAT_JPEG = 1, IN_FORMAT_PNG = 2, IN_FORMAT_WEBP = 3, IN_FORMAT_TIFF = 4 };
enum in_output { IN_OUTPUT_JPEG = 0, IN_OUTPUT_WEBP = 1 };

/* Decode every scan of a progressive JPEG even at 1/8 scale, where the scans that scale reads
 * (DC, and the AC scans of chroma libjpeg-turbo scales through a 2x2 DCT) give the same pixels
 * (for tests and measurements). */
#define IN_FLAG_FULL_DECODE 1
/* At 1/8 scale, let libjpeg decode the DC scans too rather than the library's own DC decoder
 * (for tests and measurements). */
#define IN_FLAG_LIBJPEG_ONLY 2

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
                             each IFD counted once, at most 100,000); only the first is decoded */
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

#ifdef __cplusplus
}
#endif

#endif
