/* The exported API (images_native.h) and the dispatcher: the only file that reads the public
 * in_request. It decides what a decode may do, picks the decoder by the magic bytes, checks the
 * limits on the header, then runs decode, orientation and encoding in that order.
 *
 * Layers; calls go only downwards (a module calls those below it, never one above, never back):
 *
 *   [exports + dispatcher]  images_native.c
 *       |  decoders[format]: probe, plan, decode              |  in_encode_memory, in_encode
 *       v                                                     v
 *   [decoders, decode only]                               [encoders]
 *       jpeg_read.c    png_read.c    webp_read.c    tiff_read.c   encode.c (JPEG, WebP)
 *       gif_read.c (giflib)  heif_read.c (libheif, dlopen)  avif_read.c (libavif, dlopen)  (ABI 6)
 *         |   |          +-> png_idat.c (8-bit RGB and RGBA image data: zlib, libdeflate)
 *         |   |                        |              |          |
 *         |   +-> jpeg_dc.c            +-> webp_vp8l.c |          |
 *         |         |                                  |          |
 *         +---------+-> jpeg_markers.c (marker walks) <+          |
 *         +-----------> jpeg_guard.c (the one libjpeg error guard) <-+
 *       |                                                     |
 *       v                                                     v
 *   [bottom]  errors.c  budget.c  exif.c  sizes.c  resize.c  orient.c  analyse.c (insight sample)
 *             bmff.c (ftyp brands, colr)  bytes.h (32-bit reads, big- and little-endian)
 *             (status + message; library allowance, cancel check, over-budget message; EXIF
 *             orientation tag; target size; the reducer; orientation applied. budget.c and
 *             resize.c call errors.c, nothing else of ours)
 *
 * The dispatcher calls the bottom directly too (sizes.c, orient.c, budget.c, errors.c).
 * codec.h is the contract between the dispatcher and the decoders, types only: in_options (what
 * the dispatcher decided from the request), in_plan (what a header read decided), the probe,
 * plan and decode function types each decoder provides; the reduced image handed back is an
 * in_image (resize.h).
 *
 * One thumbnail request, top to bottom and back once:
 *   images_native_thumbnail
 *     -> plan_decode: detect the format (the decoders table); in_<format>_probe (the header);
 *        the side and pixel limits; in_target_size; in_<format>_plan (the decode's memory);
 *        in_encode_memory (the encoding phase's); the budget
 *     -> in_<format>_decode: libjpeg, jpeg_dc, libpng, libwebp or libtiff rows -> in_resizer_push ...
 *        in_resizer_take
 *     <- the reduced image (in stored orientation)
 *     -> in_orient -> in_encode -> in_result
 * No decoder calls back into this file, and the encoders never see a decoder. */
#include "images_native.h"

#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "avif_read.h"
#include "bmff.h"
#include "budget.h"
#include "codec.h"
#include "colour.h"
#include "dynlib.h"
#include "encode.h"
#include "icc.h"
#include "errors.h"
#include "gif_read.h"
#include "heif_read.h"
#include "jpeg_read.h"
#include "orient.h"
#include "analyse.h"
#include "resize.h"
#include "png_read.h"
#include "sizes.h"
#include "tiff_read.h"
#include "webp_read.h"

int32_t images_native_version(void) { return IMAGES_NATIVE_VERSION; }

/* The layout the managed side mirrors (NativeMethods.Info and Request). */
_Static_assert(sizeof(in_info) == 40 && offsetof(in_info, memory) == 24 && offsetof(in_info, frames) == 32, "in_info layout");
_Static_assert(sizeof(in_renditions_request) == 104 && offsetof(in_renditions_request, count) == 48
               && offsetof(in_renditions_request, sides) == 56 && offsetof(in_renditions_request, webp_quality) == 88, "in_renditions_request layout");
_Static_assert(sizeof(in_rendition) == 104 && offsetof(in_rendition, encode_ns) == 64 && offsetof(in_rendition, width) == 96, "in_rendition layout");
_Static_assert(sizeof(in_renditions) == 872 && offsetof(in_renditions, sample) == 856 && offsetof(in_renditions, decode_ns) == 16 && offsetof(in_renditions, items) == 24, "in_renditions layout");
_Static_assert(sizeof(in_request) == 48 && offsetof(in_request, max_memory) == 24 && offsetof(in_request, max_dimension) == 32
               && offsetof(in_request, max_scans) == 36 && offsetof(in_request, cancel) == 40, "in_request layout");

/* The decoder of each format (codec.h), by enum in_format. */
typedef struct decoder {
    in_probe_fn *probe;
    in_plan_fn *plan;
    in_decode_fn *decode;
} decoder;

static const decoder decoders[] = {
    [IN_FORMAT_JPEG] = { in_jpeg_probe, in_jpeg_plan, in_jpeg_decode },
    [IN_FORMAT_PNG] = { in_png_probe, in_png_plan, in_png_decode },
    [IN_FORMAT_WEBP] = { in_webp_probe, in_webp_plan, in_webp_decode },
    [IN_FORMAT_TIFF] = { in_tiff_probe, in_tiff_plan, in_tiff_decode },
    [IN_FORMAT_GIF] = { in_gif_probe, in_gif_plan, in_gif_decode },
    [IN_FORMAT_HEIF] = { in_heif_probe, in_heif_plan, in_heif_decode },
    [IN_FORMAT_AVIF] = { in_avif_probe, in_avif_plan, in_avif_decode },
};

/* The format, by its magic bytes. */
static int detect(const uint8_t *data, size_t size)
{
    if (size >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF) return IN_FORMAT_JPEG;
    if (size >= 8 && memcmp(data, "\x89PNG\r\n\x1a\n", 8) == 0) return IN_FORMAT_PNG;
    if (size >= 12 && memcmp(data, "RIFF", 4) == 0 && memcmp(data + 8, "WEBP", 4) == 0) return IN_FORMAT_WEBP;
    /* Classic TIFF (42) and BigTIFF (43), either byte order. */
    if (size >= 8 && ((data[0] == 'I' && data[1] == 'I' && (data[2] == 42 || data[2] == 43) && data[3] == 0)
                      || (data[0] == 'M' && data[1] == 'M' && data[2] == 0 && (data[3] == 42 || data[3] == 43))))
        return IN_FORMAT_TIFF;
    if (size >= 6 && (memcmp(data, "GIF87a", 6) == 0 || memcmp(data, "GIF89a", 6) == 0)) return IN_FORMAT_GIF;
    /* ISO-BMFF: the ftyp box's major and compatible brands (ABI 6). */
    return in_bmff_brand(data, size);
}

int32_t images_native_probe(const uint8_t *data, size_t size, in_info *info, char *error, size_t error_size)
{
    if (data == NULL || info == NULL) return in_fail(error, error_size, IN_INVALID, "no input");
    memset(info, 0, sizeof(*info));
    info->orientation = 1;
    info->frames = 1;
    const int format = detect(data, size);
    if (format == IN_FORMAT_UNKNOWN) return in_fail(error, error_size, IN_UNSUPPORTED, "not a JPEG, PNG, WebP, TIFF, GIF, HEIC or AVIF image");
    return decoders[format].probe(data, size, info, error, error_size);
}

/* The most scans of a progressive JPEG when the request says 0: the limit libjpeg-turbo's own
 * fuzzers use. */
#define IN_DEFAULT_MAX_SCANS 500

/* What the decoders may do, decided once from the request. */
static in_options options_for(const in_request *request)
{
    in_options options = {
        .alpha_mode = request->output == IN_OUTPUT_WEBP ? IN_ALPHA_PREMULTIPLY : IN_ALPHA_FLATTEN_WHITE,
        .max_scans = request->max_scans > 0 ? request->max_scans : IN_DEFAULT_MAX_SCANS,
        .max_dimension = request->max_dimension,
        .full_decode = (request->flags & IN_FLAG_FULL_DECODE) != 0,
        .libjpeg_only = (request->flags & IN_FLAG_LIBJPEG_ONLY) != 0,
        .libpng_only = (request->flags & IN_FLAG_LIBPNG_ONLY) != 0,
        .png_streamed = (request->flags & IN_FLAG_PNG_STREAMED) != 0,
        .png_whole_only = (request->flags & IN_FLAG_PNG_WHOLE_ONLY) != 0,
        .max_memory = request->max_memory,
        .cancel = request->cancel,
    };
    return options;
}

/* The checks every decode makes first, in order: the probe; the largest side; the pixel count;
 * the working memory of the decode the request would run (the decoder's plan, then the
 * orientation and the encoding); a decoder's own side limit. Nothing large is allocated. */
static int64_t renditions_memory(const uint8_t *data, size_t size, const in_renditions_request *renditions,
                                 const in_info *info, const in_plan *plan);

/* renditions: NULL for a thumbnail; else the encoding phase is that of every rendition. */
static int plan_decode(const uint8_t *data, size_t size, const in_request *request, const in_options *options,
                       const in_renditions_request *renditions, in_info *info, in_plan *plan, char *error, size_t error_size)
{
    int status = images_native_probe(data, size, info, error, error_size);
    if (status != IN_OK) return status;
    if (info->width <= 0 || info->height <= 0)
        return in_fail(error, error_size, IN_INVALID, "invalid dimensions %dx%d", info->width, info->height);
    if (request->max_dimension > 0 && (info->width > request->max_dimension || info->height > request->max_dimension))
        return in_fail(error, error_size, IN_TOO_LARGE, "the image is %dx%d, over the largest side of %d pixels",
                       info->width, info->height, request->max_dimension);
    if ((int64_t)info->width * (int64_t)info->height > request->max_pixels)
        return in_fail(error, error_size, IN_TOO_LARGE, "the image is %dx%d (%lld pixels), over the limit of %lld pixels",
                       info->width, info->height, (long long)info->width * info->height, (long long)request->max_pixels);

    memset(plan, 0, sizeof(*plan));
    in_target_size(info->width, info->height, request->max_side, &plan->target_w, &plan->target_h);
    status = decoders[info->format].plan(data, size, options, info, plan, error, error_size);
    if (status != IN_OK) return status;
    /* The decoders' figures end with the reduced image; the encoding phase follows. */
    const int64_t encoding = renditions != NULL ? renditions_memory(data, size, renditions, info, plan)
        : in_encode_memory(plan->target_w, plan->target_h, plan->channels, info->orientation, request->output, plan->full_chroma);
    if (plan->memory < encoding) plan->memory = encoding;
    if (plan->libjpeg_memory > 0 && plan->libjpeg_memory < encoding) plan->libjpeg_memory = encoding;
    info->memory = plan->memory;
    if (options->max_memory > 0 && plan->memory > options->max_memory)
        return in_over_budget(options->max_memory, info, plan->kind, plan->memory, error, error_size);
    if (plan->side_limit > 0 && (info->width > plan->side_limit || info->height > plan->side_limit))
        return in_fail(error, error_size, IN_TOO_LARGE, "the image is %dx%d, over %s's largest side of %d pixels",
                       info->width, info->height, info->format == IN_FORMAT_PNG ? "libpng" : "the decoder", plan->side_limit);
    return IN_OK;
}

int32_t images_native_plan(const uint8_t *data, size_t size, const in_request *request, in_info *info,
                           char *error, size_t error_size)
{
    if (data == NULL || request == NULL || info == NULL) return in_fail(error, error_size, IN_INVALID, "no input");
    const in_options options = options_for(request);
    in_plan plan;
    return plan_decode(data, size, request, &options, NULL, info, &plan, error, error_size);
}

int32_t images_native_thumbnail(const uint8_t *data, size_t size, const in_request *request, in_info *info,
                                in_result *result, char *error, size_t error_size)
{
    if (data == NULL || request == NULL || info == NULL || result == NULL)
        return in_fail(error, error_size, IN_INVALID, "no input");
    memset(result, 0, sizeof(*result));
    const in_options options = options_for(request);
    in_plan plan;
    int status = plan_decode(data, size, request, &options, NULL, info, &plan, error, error_size);
    if (status != IN_OK) return status;
    if (in_cancelled(options.cancel)) return in_fail(error, error_size, IN_CANCELLED, "cancelled");

    /* Decode: the decoder streams its rows into the reducer and hands back the reduced image. */
    in_image image = { NULL, 0, 0, 0, NULL };
    status = decoders[info->format].decode(data, size, &options, info, &plan, &image, error, error_size);
    if (status == IN_OK && in_cancelled(options.cancel)) status = in_fail(error, error_size, IN_CANCELLED, "cancelled");
    if (status != IN_OK) {
        free(image.pixels);
        return status;
    }

    /* Orient, then encode (with the source JPEG's chroma resolution, which the plan read). */
    int width = image.width, height = image.height;
    uint8_t *oriented = in_orient(image.pixels, &width, &height, image.channels, info->orientation);
    if (oriented == NULL) {
        free(image.pixels);
        return in_fail(error, error_size, IN_NO_MEMORY, "out of memory while orienting");
    }
    if (oriented != image.pixels) free(image.pixels);
    status = in_encode(oriented, width, height, image.channels, plan.full_chroma, request->output, request->quality,
                       result, error, error_size);
    free(oriented);
    return status;
}

typedef struct mapped { uint8_t *data; size_t size; } mapped;

static int map_file(const char *path, mapped *map, char *error, size_t error_size)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return in_fail(error, error_size, IN_IO, "cannot open %s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || st.st_size <= 0) {
        close(fd);
        return in_fail(error, error_size, IN_INVALID, "empty or unreadable file");
    }
    void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (p == MAP_FAILED) return in_fail(error, error_size, IN_IO, "cannot map %s: %s", path, strerror(errno));
    madvise(p, (size_t)st.st_size, MADV_SEQUENTIAL);
    map->data = p;
    map->size = (size_t)st.st_size;
    return IN_OK;
}

int32_t images_native_probe_file(const char *path, in_info *info, char *error, size_t error_size)
{
    if (info != NULL) memset(info, 0, sizeof(*info));
    mapped map = { NULL, 0 };
    int status = map_file(path, &map, error, error_size);
    if (status != IN_OK) return status;
    status = images_native_probe(map.data, map.size, info, error, error_size);
    munmap(map.data, map.size);
    return status;
}

int32_t images_native_plan_file(const char *path, const in_request *request, in_info *info, char *error, size_t error_size)
{
    if (info != NULL) memset(info, 0, sizeof(*info));
    mapped map = { NULL, 0 };
    int status = map_file(path, &map, error, error_size);
    if (status != IN_OK) return status;
    status = images_native_plan(map.data, map.size, request, info, error, error_size);
    munmap(map.data, map.size);
    return status;
}

int32_t images_native_thumbnail_file(const char *path, const in_request *request, in_info *info,
                                     in_result *result, char *error, size_t error_size)
{
    if (info != NULL) memset(info, 0, sizeof(*info));
    if (result != NULL) memset(result, 0, sizeof(*result));
    mapped map = { NULL, 0 };
    int status = map_file(path, &map, error, error_size);
    if (status != IN_OK) return status;
    status = images_native_thumbnail(map.data, map.size, request, info, result, error, error_size);
    munmap(map.data, map.size);
    return status;
}

void images_native_free(uint8_t *data) { free(data); }

/* ---- Renditions (ABI 5) ---- */

static int64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static int largest_side(const in_renditions_request *r)
{
    int largest = 0;
    for (int i = 0; i < r->count; i++)
        if (r->sides[i] > largest) largest = r->sides[i];
    return largest;
}

/* The size of rendition side in display orientation: from the source's own size, as a thumbnail
 * of that side would be, and never larger than the largest rendition it is reduced from. */
static void rendition_size(const in_info *info, int side, int largest_w, int largest_h, int *w, int *h)
{
    const int transposed = info->orientation >= 5 && info->orientation <= 8;
    int sw, sh;
    in_target_size(info->width, info->height, side, &sw, &sh);
    *w = transposed ? sh : sw;
    *h = transposed ? sw : sh;
    if (*w > largest_w) *w = largest_w;
    if (*h > largest_h) *h = largest_h;
}

/* The encoding phase of a renditions request (the decoder's plan ends with the reduced image):
 * the largest rendition and its flattened twin, their oriented copies while orienting, the ICC
 * profile and converter, every smaller rendition (kept until its formats are encoded, one at a
 * time, but counted all at once) with the reducer that makes it, and the largest encoder's own
 * memory among the outputs asked. */
static int64_t renditions_memory(const uint8_t *data, size_t size, const in_renditions_request *r,
                                 const in_info *info, const in_plan *plan)
{
    const int64_t ch = plan->channels, alpha = info->has_alpha && (ch == 2 || ch == 4);
    const int64_t tw = plan->target_w, th = plan->target_h, pixels = tw * th;
    const int64_t per_pixel = ch + (alpha ? ch - 1 : 0);
    int64_t m = pixels * per_pixel * (info->orientation > 1 ? 2 : 1);
    uint8_t *profile = NULL;
    size_t profile_size = 0;
    in_icc_profile(data, size, info->format, &profile, &profile_size);
    free(profile);
    if (profile_size > 0) m += (int64_t)profile_size + IN_COLOUR_MEMORY;
    const int transposed = info->orientation >= 5 && info->orientation <= 8;
    const int lw = (int)(transposed ? th : tw), lh = (int)(transposed ? tw : th);
    int64_t encoder = 0;
    for (int i = 0; i < r->count; i++) {
        int w, h;
        rendition_size(info, r->sides[i], lw, lh, &w, &h);
        if (w != lw || h != lh) {
            m += (int64_t)w * h * per_pixel;
            const int64_t reducer = in_resizer_memory(lw, lh, w, h, (int)ch, IN_ALPHA_PREMULTIPLY)
                + (alpha ? in_resizer_memory(lw, lh, w, h, (int)ch - 1, IN_ALPHA_NONE) : 0);
            if (reducer > encoder) encoder = reducer;
        }
        for (int o = 0; o < IN_OUTPUTS; o++) {
            if (!(r->outputs & (1 << o)) || (o == IN_OUTPUT_PNG && !alpha)) continue;
            const int64_t e = in_encode_output_memory(w, h, o == IN_OUTPUT_JPEG && alpha ? (int)ch - 1 : (int)ch, o);
            if (e > encoder) encoder = e;
        }
    }
    return m + encoder + IN_LIBRARY_STATE;
}

static int check_renditions_request(const in_renditions_request *r, char *error, size_t error_size)
{
    if (r->count < 1 || r->count > IN_MAX_RENDITIONS)
        return in_fail(error, error_size, IN_INVALID, "%d renditions asked, 1 to %d allowed", r->count, IN_MAX_RENDITIONS);
    for (int i = 0; i < r->count; i++)
        if (r->sides[i] < 1) return in_fail(error, error_size, IN_INVALID, "rendition %d has a side of %d", i, r->sides[i]);
    if ((r->outputs & ((1 << IN_OUTPUTS) - 1)) == 0) return in_fail(error, error_size, IN_INVALID, "no output format asked");
    return IN_OK;
}

static in_request largest_request(const in_renditions_request *r)
{
    in_request request = r->limits;
    request.max_side = largest_side(r);
    request.output = IN_OUTPUT_JPEG;
    return request;
}

static in_options renditions_options(const in_request *request)
{
    in_options options = options_for(request);
    options.alpha_mode = IN_ALPHA_BOTH;
    return options;
}

int32_t images_native_renditions_plan(const uint8_t *data, size_t size, const in_renditions_request *r,
                                      in_info *info, char *error, size_t error_size)
{
    if (data == NULL || r == NULL || info == NULL) return in_fail(error, error_size, IN_INVALID, "no input");
    int status = check_renditions_request(r, error, error_size);
    if (status != IN_OK) return status;
    const in_request request = largest_request(r);
    const in_options options = renditions_options(&request);
    in_plan plan;
    return plan_decode(data, size, &request, &options, r, info, &plan, error, error_size);
}

/* Encodes one size in every format asked: pixels (alpha kept, or none) and flat (flattened on
 * white, NULL without alpha). */
static int encode_rendition(const in_renditions_request *r, const uint8_t *pixels, const uint8_t *flat, int w, int h,
                            int channels, int full_chroma, const volatile int32_t *cancel, in_rendition *item,
                            int *avif_status, char *error, size_t error_size)
{
    item->width = w;
    item->height = h;
    for (int o = 0; o < IN_OUTPUTS; o++) {
        if (!(r->outputs & (1 << o)) || (o == IN_OUTPUT_PNG && flat == NULL && !(r->flags & IN_RENDITIONS_PNG_ALWAYS))) continue;
        if (o == IN_OUTPUT_AVIF && *avif_status != IN_OK) continue;
        if (in_cancelled(cancel)) return in_fail(error, error_size, IN_CANCELLED, "cancelled");
        in_result result = { NULL, 0, 0, 0 };
        const int64_t started = now_ns();
        int status;
        switch (o) {
        case IN_OUTPUT_JPEG:
            status = in_encode(flat != NULL ? flat : pixels, w, h, flat != NULL ? channels - 1 : channels, full_chroma,
                               IN_OUTPUT_JPEG, r->limits.quality, &result, error, error_size);
            break;
        case IN_OUTPUT_WEBP:
            status = in_encode(pixels, w, h, channels, 0, IN_OUTPUT_WEBP, r->webp_quality, &result, error, error_size);
            break;
        case IN_OUTPUT_PNG:
            status = in_encode(pixels, w, h, channels, 0, IN_OUTPUT_PNG, 100, &result, error, error_size);
            break;
        default:
            status = in_encode_avif(pixels, w, h, channels, r->avif_quality, r->avif_speed, &result, error, error_size);
            if (status == IN_UNSUPPORTED) {
                /* libavif missing: the other formats are made all the same. */
                *avif_status = IN_UNSUPPORTED;
                error[0] = '\0';
                continue;
            }
            break;
        }
        if (status != IN_OK) return status;
        item->encode_ns[o] = now_ns() - started;
        item->data[o] = result.data;
        item->size[o] = result.size;
    }
    return IN_OK;
}

int32_t images_native_renditions(const uint8_t *data, size_t size, const in_renditions_request *r, in_info *info,
                                 in_renditions *out, char *error, size_t error_size)
{
    if (data == NULL || r == NULL || info == NULL || out == NULL) return in_fail(error, error_size, IN_INVALID, "no input");
    memset(out, 0, sizeof(*out));
    int status = check_renditions_request(r, error, error_size);
    if (status != IN_OK) return status;
    const in_request request = largest_request(r);
    const in_options options = renditions_options(&request);
    in_plan plan;
    status = plan_decode(data, size, &request, &options, r, info, &plan, error, error_size);
    if (status != IN_OK) return status;
    if (in_cancelled(options.cancel)) return in_fail(error, error_size, IN_CANCELLED, "cancelled");

    /* One decode, reduced to the largest size (and its flattened twin when there is alpha). */
    const int64_t started = now_ns();
    in_image image = { NULL, 0, 0, 0, NULL };
    status = decoders[info->format].decode(data, size, &options, info, &plan, &image, error, error_size);
    if (status == IN_OK && in_cancelled(options.cancel)) status = in_fail(error, error_size, IN_CANCELLED, "cancelled");
    uint8_t *pixels = image.pixels, *flat = image.flat;
    in_colour *colour = NULL;
    if (status != IN_OK) goto done;
    out->decode_ns = now_ns() - started;

    /* Orientation, then colours to sRGB. */
    int w = image.width, h = image.height;
    const int channels = image.channels;
    uint8_t *oriented = in_orient(pixels, &w, &h, channels, info->orientation);
    if (oriented == NULL) { status = in_fail(error, error_size, IN_NO_MEMORY, "out of memory while orienting"); goto done; }
    if (oriented != pixels) { free(pixels); pixels = oriented; }
    if (flat != NULL) {
        int fw = image.width, fh = image.height;
        uint8_t *f = in_orient(flat, &fw, &fh, channels - 1, info->orientation);
        if (f == NULL) { status = in_fail(error, error_size, IN_NO_MEMORY, "out of memory while orienting"); goto done; }
        if (f != flat) { free(flat); flat = f; }
    }
    uint8_t *profile = NULL;
    size_t profile_size = 0;
    in_icc_profile(data, size, info->format, &profile, &profile_size);
    out->icc = in_colour_new(profile, profile_size, &colour);
    free(profile);
    if (colour != NULL) {
        in_colour_apply(colour, pixels, w, h, channels);
        if (flat != NULL) in_colour_apply(colour, flat, w, h, channels - 1);
    }

    /* ABI 7: the insight sample, from the pixels every rendition comes from (no second decode). */
    status = in_sample_rgba(pixels, w, h, channels, &out->sample, &out->sample_width, &out->sample_height, error, error_size);
    if (status != IN_OK) goto done;

    /* Every size: the largest as it is, the others reduced from it. */
    out->avif_status = IN_OK;
    for (int i = 0; i < r->count && status == IN_OK; i++) {
        int rw, rh;
        rendition_size(info, r->sides[i], w, h, &rw, &rh);
        if (rw == w && rh == h) {
            status = encode_rendition(r, pixels, flat, w, h, channels, plan.full_chroma, options.cancel, &out->items[i],
                                      &out->avif_status, error, error_size);
            continue;
        }
        in_image small = { NULL, 0, 0, 0, NULL }, small_flat = { NULL, 0, 0, 0, NULL };
        in_resizer *reducer = in_resizer_new(w, h, rw, rh, channels, IN_ALPHA_PREMULTIPLY);
        if (reducer == NULL) { status = in_fail(error, error_size, IN_NO_MEMORY, "out of memory"); break; }
        for (int y = 0; y < h; y++) in_resizer_push(reducer, pixels + (size_t)y * w * channels);
        status = in_resizer_take(reducer, &small, error, error_size);
        if (status == IN_OK && flat != NULL) {
            in_resizer *flat_reducer = in_resizer_new(w, h, rw, rh, channels - 1, IN_ALPHA_NONE);
            if (flat_reducer == NULL) status = in_fail(error, error_size, IN_NO_MEMORY, "out of memory");
            else {
                for (int y = 0; y < h; y++) in_resizer_push(flat_reducer, flat + (size_t)y * w * (channels - 1));
                status = in_resizer_take(flat_reducer, &small_flat, error, error_size);
            }
        }
        if (status == IN_OK)
            status = encode_rendition(r, small.pixels, small_flat.pixels, rw, rh, channels, plan.full_chroma, options.cancel,
                                      &out->items[i], &out->avif_status, error, error_size);
        free(small.pixels);
        free(small_flat.pixels);
    }
    if (status == IN_OK) out->count = r->count;

done:
    in_colour_free(colour);
    free(pixels);
    free(flat);
    if (status != IN_OK) images_native_renditions_free(out);
    return status;
}

int32_t images_native_renditions_plan_file(const char *path, const in_renditions_request *request, in_info *info,
                                           char *error, size_t error_size)
{
    if (info != NULL) memset(info, 0, sizeof(*info));
    mapped map = { NULL, 0 };
    int status = map_file(path, &map, error, error_size);
    if (status != IN_OK) return status;
    status = images_native_renditions_plan(map.data, map.size, request, info, error, error_size);
    munmap(map.data, map.size);
    return status;
}

int32_t images_native_renditions_file(const char *path, const in_renditions_request *request, in_info *info,
                                      in_renditions *out, char *error, size_t error_size)
{
    if (info != NULL) memset(info, 0, sizeof(*info));
    if (out != NULL) memset(out, 0, sizeof(*out));
    mapped map = { NULL, 0 };
    int status = map_file(path, &map, error, error_size);
    if (status != IN_OK) return status;
    status = images_native_renditions(map.data, map.size, request, info, out, error, error_size);
    munmap(map.data, map.size);
    return status;
}

void images_native_renditions_free(in_renditions *out)
{
    if (out == NULL) return;
    for (int i = 0; i < IN_MAX_RENDITIONS; i++)
        for (int o = 0; o < IN_OUTPUTS; o++) free(out->items[i].data[o]);
    free(out->sample);
    memset(out, 0, sizeof(*out));
}

int32_t images_native_features(char *text, size_t text_size)
{
    const int features = (in_avif_get() != NULL ? IN_FEATURE_AVIF : 0) | (in_lcms_get() != NULL ? IN_FEATURE_ICC : 0)
        | (in_heif_available() ? IN_FEATURE_HEIF_INPUT : 0) | (in_avif_input_available() ? IN_FEATURE_AVIF_INPUT : 0);
    if (text != NULL && text_size > 0)
        snprintf(text, text_size, "AVIF: %s; ICC: %s; HEIC input: %s; AVIF input: %s", in_avif_status(), in_lcms_status(),
                 in_heif_status(), in_avif_input_status());
    return features;
}
