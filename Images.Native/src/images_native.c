#include "internal.h"

#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

int32_t images_native_version(void) { return IMAGES_NATIVE_VERSION; }

/* The layout the managed side mirrors (NativeMethods.Info and Request). */
_Static_assert(sizeof(in_info) == 40 && offsetof(in_info, memory) == 24 && offsetof(in_info, frames) == 32, "in_info layout");
_Static_assert(sizeof(in_request) == 48 && offsetof(in_request, max_memory) == 24 && offsetof(in_request, max_dimension) == 32
               && offsetof(in_request, max_scans) == 36 && offsetof(in_request, cancel) == 40, "in_request layout");

int in_fail(char *error, size_t error_size, int status, const char *format, ...)
{
    if (error != NULL && error_size > 0) {
        va_list args;
        va_start(args, format);
        vsnprintf(error, error_size, format, args);
        va_end(args);
    }
    return status;
}

int in_max_scans(const in_request *request) { return request->max_scans > 0 ? request->max_scans : 500; }

#define MIB (1024 * 1024LL)

int in_over_budget(const in_request *request, const in_info *info, const char *kind, int64_t memory,
                   char *error, size_t error_size)
{
    char limit[32];
    if (request->max_memory % MIB == 0) snprintf(limit, sizeof(limit), "%lld MiB", (long long)(request->max_memory / MIB));
    else snprintf(limit, sizeof(limit), "%lld bytes", (long long)request->max_memory);
    return in_fail(error, error_size, IN_OVER_BUDGET,
                   "decoding needs about %lld MiB of working memory (%s %dx%d, %d channels), over the limit of %s",
                   (long long)((memory + MIB - 1) / MIB), kind, info->width, info->height, info->channels, limit);
}

void in_target_size(int width, int height, int max_side, int *out_width, int *out_height)
{
    int longest = width > height ? width : height;
    if (max_side <= 0 || longest <= max_side) {
        *out_width = width;
        *out_height = height;
        return;
    }
    double scale = (double)max_side / (double)longest;
    int w = (int)(width * scale + 0.5);
    int h = (int)(height * scale + 0.5);
    *out_width = w < 1 ? 1 : (w > width ? width : w);
    *out_height = h < 1 ? 1 : (h > height ? height : h);
}

static int detect(const uint8_t *data, size_t size)
{
    if (size >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF) return IN_FORMAT_JPEG;
    if (size >= 8 && memcmp(data, "\x89PNG\r\n\x1a\n", 8) == 0) return IN_FORMAT_PNG;
    if (size >= 12 && memcmp(data, "RIFF", 4) == 0 && memcmp(data + 8, "WEBP", 4) == 0) return IN_FORMAT_WEBP;
    return IN_FORMAT_UNKNOWN;
}

int32_t images_native_probe(const uint8_t *data, size_t size, in_info *info, char *error, size_t error_size)
{
    if (data == NULL || info == NULL) return in_fail(error, error_size, IN_INVALID, "no input");
    memset(info, 0, sizeof(*info));
    info->orientation = 1;
    info->frames = 1;
    switch (detect(data, size)) {
    case IN_FORMAT_JPEG: return in_jpeg_probe(data, size, info, error, error_size);
    case IN_FORMAT_PNG: return in_png_probe(data, size, info, error, error_size);
    case IN_FORMAT_WEBP: return in_webp_probe(data, size, info, error, error_size);
    default: return in_fail(error, error_size, IN_UNSUPPORTED, "not a JPEG, PNG or WebP image");
    }
}

/* The encoding phase of a thumbnail, which comes after the decoder has freed its buffers: the
 * reduced image; its oriented copy; the encoder's own buffers (libjpeg keeps the whole image's
 * coefficients while it optimises its Huffman tables: 2 bytes per sample, 4:4:4 or 4:2:0 as
 * in_encode chooses; libwebp converts to YUVA and keeps per-macroblock state, and for alpha runs
 * its lossless coder, generously 32 bytes a pixel); the encoded bytes (libjpeg's buffer grows by
 * doubling; libwebp's, then our copy). */
static int64_t encode_memory(const in_plan *plan, const in_info *info, const in_request *request)
{
    const int64_t pixels = (int64_t)plan->target_w * plan->target_h, ch = plan->channels;
    int64_t m = pixels * ch;
    if (info->orientation > 1) m += pixels * ch;
    if (request->output == IN_OUTPUT_WEBP) m += pixels * (ch == 4 ? 32 : 8) + 2 * pixels * ch;
    else m += (ch == 1 ? 2 * pixels : plan->full_chroma ? 6 * pixels : 3 * pixels) + pixels * ch;
    return m + IN_LIBRARY_STATE;
}

/* The checks every decode makes first, in order: the probe; the largest side; the pixel count;
 * the working memory of the decode the request would run (the decoder's plan, then the
 * orientation and the encoding); a decoder's own side limit. Nothing large is allocated. */
static int plan_decode(const uint8_t *data, size_t size, const in_request *request, in_info *info,
                       in_plan *plan, char *error, size_t error_size)
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
    switch (info->format) {
    case IN_FORMAT_JPEG: status = in_jpeg_plan(data, size, request, info, plan, error, error_size); break;
    case IN_FORMAT_PNG: status = in_png_plan(data, size, request, info, plan, error, error_size); break;
    case IN_FORMAT_WEBP: status = in_webp_plan(data, size, request, info, plan, error, error_size); break;
    default: status = in_fail(error, error_size, IN_UNSUPPORTED, "unsupported format");
    }
    if (status != IN_OK) return status;
    /* The decoders' figures end with the reduced image; the encoding phase follows. */
    const int64_t encoding = encode_memory(plan, info, request);
    if (plan->memory < encoding) plan->memory = encoding;
    if (plan->libjpeg_memory > 0 && plan->libjpeg_memory < encoding) plan->libjpeg_memory = encoding;
    info->memory = plan->memory;
    if (request->max_memory > 0 && plan->memory > request->max_memory)
        return in_over_budget(request, info, plan->kind, plan->memory, error, error_size);
    if (plan->side_limit > 0 && (info->width > plan->side_limit || info->height > plan->side_limit))
        return in_fail(error, error_size, IN_TOO_LARGE, "the image is %dx%d, over %s's largest side of %d pixels",
                       info->width, info->height, info->format == IN_FORMAT_PNG ? "libpng" : "the decoder", plan->side_limit);
    return IN_OK;
}

int32_t images_native_plan(const uint8_t *data, size_t size, const in_request *request, in_info *info,
                           char *error, size_t error_size)
{
    if (data == NULL || request == NULL || info == NULL) return in_fail(error, error_size, IN_INVALID, "no input");
    in_plan plan;
    return plan_decode(data, size, request, info, &plan, error, error_size);
}

int32_t images_native_thumbnail(const uint8_t *data, size_t size, const in_request *request, in_info *info,
                                in_result *result, char *error, size_t error_size)
{
    if (data == NULL || request == NULL || info == NULL || result == NULL)
        return in_fail(error, error_size, IN_INVALID, "no input");
    memset(result, 0, sizeof(*result));
    in_plan plan;
    int status = plan_decode(data, size, request, info, &plan, error, error_size);
    if (status != IN_OK) return status;
    if (in_cancelled(request)) return in_fail(error, error_size, IN_CANCELLED, "cancelled");

    uint8_t *pixels = NULL;
    int width = 0, height = 0, channels = 0, full_chroma = 0;
    switch (info->format) {
    case IN_FORMAT_JPEG: status = in_jpeg_thumbnail(data, size, request, info, &plan, &pixels, &width, &height, &channels, &full_chroma, error, error_size); break;
    case IN_FORMAT_PNG: status = in_png_thumbnail(data, size, request, info, &plan, &pixels, &width, &height, &channels, error, error_size); break;
    case IN_FORMAT_WEBP: status = in_webp_thumbnail(data, size, request, info, &plan, &pixels, &width, &height, &channels, error, error_size); break;
    default: status = in_fail(error, error_size, IN_UNSUPPORTED, "unsupported format");
    }
    if (status == IN_OK && in_cancelled(request)) status = in_fail(error, error_size, IN_CANCELLED, "cancelled");
    if (status != IN_OK) {
        free(pixels);
        return status;
    }

    uint8_t *oriented = in_orient(pixels, &width, &height, channels, info->orientation);
    if (oriented == NULL) {
        free(pixels);
        return in_fail(error, error_size, IN_NO_MEMORY, "out of memory while orienting");
    }
    if (oriented != pixels) free(pixels);
    status = in_encode(oriented, width, height, channels, full_chroma, request, result, error, error_size);
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

/* ---- EXIF ---- */

static unsigned read16(const uint8_t *p, int little) { return little ? (unsigned)(p[0] | p[1] << 8) : (unsigned)(p[0] << 8 | p[1]); }
static uint32_t read32(const uint8_t *p, int little)
{
    return little ? (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24
                  : (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

int in_exif_orientation(const uint8_t *data, size_t size)
{
    if (data == NULL) return 1;
    if (size >= 6 && memcmp(data, "Exif\0\0", 6) == 0) {
        data += 6;
        size -= 6;
    }
    if (size < 8) return 1;
    int little;
    if (data[0] == 'I' && data[1] == 'I') little = 1;
    else if (data[0] == 'M' && data[1] == 'M') little = 0;
    else return 1;
    if (read16(data + 2, little) != 42) return 1;
    uint32_t ifd = read32(data + 4, little);
    if (ifd > size - 2 || ifd < 8) return 1;
    unsigned count = read16(data + ifd, little);
    for (unsigned i = 0; i < count; i++) {
        size_t entry = (size_t)ifd + 2 + (size_t)i * 12;
        if (entry + 12 > size) return 1;
        if (read16(data + entry, little) == 0x0112) {
            unsigned type = read16(data + entry + 2, little);
            unsigned value = type == 3 ? read16(data + entry + 8, little) : (unsigned)read32(data + entry + 8, little);
            return value >= 1 && value <= 8 ? (int)value : 1;
        }
    }
    return 1;
}

/* ---- orientation ---- */

uint8_t *in_orient(uint8_t *pixels, int *width, int *height, int channels, int orientation)
{
    if (orientation <= 1 || orientation > 8) return pixels;
    int w = *width, h = *height;
    int transpose = orientation >= 5;
    int ow = transpose ? h : w, oh = transpose ? w : h;
    uint8_t *out = malloc((size_t)ow * oh * channels);
    if (out == NULL) return NULL;
    for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
            int dx, dy;
            switch (orientation) {
            case 2: dx = w - 1 - x; dy = y; break;                 /* mirror horizontal */
            case 3: dx = w - 1 - x; dy = h - 1 - y; break;         /* rotate 180 */
            case 4: dx = x; dy = h - 1 - y; break;                 /* mirror vertical */
            case 5: dx = y; dy = x; break;                         /* transpose */
            case 6: dx = h - 1 - y; dy = x; break;                 /* rotate 90 clockwise */
            case 7: dx = h - 1 - y; dy = w - 1 - x; break;         /* transverse */
            default: dx = y; dy = w - 1 - x; break;                /* 8: rotate 270 clockwise */
            }
            memcpy(out + ((size_t)dy * ow + dx) * channels, pixels + ((size_t)y * w + x) * channels, (size_t)channels);
        }
    }
    *width = ow;
    *height = oh;
    return out;
}
