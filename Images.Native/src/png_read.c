/* PNG through libpng, decoded row by row into the streaming reducer: the full image is never
 * held. Interlaced files need every pass before a row is final, so they go to the managed path.
 * 8-bit RGB and RGBA (most PNG photos and artwork): libpng reads the header and the chunks before
 * the image data, png_idat.c the image data itself (libdeflate inflates a stream of up to 64 MiB
 * of rows at once, which is then held; larger ones stream through zlib on a helper thread; the
 * same rows either way, issue 14 / ADR 9). IN_FLAG_LIBPNG_ONLY leaves every file to libpng.
 *
 * Budget (NFR-8), from IHDR and the transformations below (in_png_plan): libpng's two row buffers
 * (row_buf and prev_row, at the depth libpng reserves for the transformed pixels: 3 to 8 bytes a
 * pixel, 8 for 8-bit RGBA), our row, the largest eXIf chunk libpng buffers (twice), the reducer, zlib's state.
 * libpng's own limits are put back at sane values: the largest side (the request's, or libpng's
 * default of 1,000,000), 8 MiB for any one chunk it buffers, a small chunk cache; the chunks we
 * never use (text, ICC profiles, palettes for display...) are skipped unread, so a zTXt or iCCP
 * bomb costs nothing. Time: the cancel flag is read before every row. APNG: libpng ignores
 * acTL/fcTL/fdAT, so the default image (IDAT) is what gets decoded; acTL's num_frames is the
 * frame count. */
#include "png_read.h"

#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include <png.h>

#include "budget.h"
#include "bytes.h"
#include "errors.h"
#include "exif.h"
#include "png_idat.h"
#include "resize.h"

/* libpng's default largest side (PNG_USER_WIDTH_MAX / PNG_USER_HEIGHT_MAX in its configuration). */
#define IN_PNG_SIDE_LIMIT 1000000
/* The most libpng allocates for one ancillary chunk (its default is 8,000,000 bytes). */
#define IN_PNG_CHUNK_MAX (8 * 1024 * 1024)
/* Ancillary chunks libpng may keep (the unknown and text chunks are skipped anyway). */
#define IN_PNG_CHUNK_CACHE 32

typedef struct reader {
    const uint8_t *data;
    size_t size, offset;
    char message[256];
} reader;

static void read_fn(png_structp png, png_bytep out, png_size_t length)
{
    reader *r = (reader *)png_get_io_ptr(png);
    if (length > r->size - r->offset) png_error(png, "unexpected end of file (truncated PNG)");
    memcpy(out, r->data + r->offset, length);
    r->offset += length;
}

static void error_fn(png_structp png, png_const_charp message)
{
    reader *r = (reader *)png_get_error_ptr(png);
    snprintf(r->message, sizeof(r->message), "%s", message);
    png_longjmp(png, 1);
}

static void warning_fn(png_structp png, png_const_charp message) { (void)png; (void)message; }

/* The chunks before the image data, walked in place: acTL's num_frames (APNG) and the longest
 * eXIf chunk (libpng buffers it). */
static void walk_chunks(const uint8_t *data, size_t size, int *frames, uint32_t *exif_max)
{
    *frames = 1;
    *exif_max = 0;
    for (size_t pos = 8; pos + 12 <= size;) {
        uint32_t length = in_be32(data + pos);
        const uint8_t *type = data + pos + 4;
        if (length > size - pos - 12 || memcmp(type, "IDAT", 4) == 0 || memcmp(type, "IEND", 4) == 0) break;
        if (memcmp(type, "acTL", 4) == 0 && length >= 8) {
            uint32_t n = in_be32(data + pos + 8);
            *frames = n < 1 ? 1 : n > 0x7fffffff ? 0x7fffffff : (int)n;
        } else if (memcmp(type, "eXIf", 4) == 0 && length > *exif_max) {
            *exif_max = length;
        }
        pos += 12 + (size_t)length;
    }
}

static int channels_of(int color_type, int has_trns)
{
    switch (color_type) {
    case PNG_COLOR_TYPE_GRAY: return has_trns ? 2 : 1;
    case PNG_COLOR_TYPE_GRAY_ALPHA: return 2;
    case PNG_COLOR_TYPE_RGB_ALPHA: return 4;
    default: return has_trns ? 4 : 3;
    }
}

/* side_limit: libpng's user limit on width and height (the probe reads any size, so that the
 * caller's own limits give the message). */
static int read_header(png_structp png, png_infop info_ptr, reader *r, in_info *info, png_uint_32 side_limit)
{
    static const png_byte skipped[] = /* ancillary chunks nothing here reads */
        "bKGD\0cHRM\0gAMA\0hIST\0iCCP\0iTXt\0oFFs\0pCAL\0pHYs\0sBIT\0sCAL\0sPLT\0sRGB\0tEXt\0tIME\0zTXt";
    png_set_read_fn(png, r, read_fn);
    png_set_user_limits(png, side_limit, side_limit);
    png_set_chunk_malloc_max(png, IN_PNG_CHUNK_MAX);
    png_set_chunk_cache_max(png, IN_PNG_CHUNK_CACHE);
    png_set_keep_unknown_chunks(png, PNG_HANDLE_CHUNK_NEVER, skipped, (int)(sizeof(skipped) / 5));
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION /* the fuzzer's build: no CRCs, as in png_idat.c */
    png_set_crc_action(png, PNG_CRC_QUIET_USE, PNG_CRC_QUIET_USE);
#endif
    png_read_info(png, info_ptr);
    int color_type = png_get_color_type(png, info_ptr);
    int trns = png_get_valid(png, info_ptr, PNG_INFO_tRNS) != 0;
    info->format = IN_FORMAT_PNG;
    info->width = (int)png_get_image_width(png, info_ptr);
    info->height = (int)png_get_image_height(png, info_ptr);
    info->channels = channels_of(color_type, trns);
    info->has_alpha = info->channels == 2 || info->channels == 4;
    info->orientation = 1;
#ifdef PNG_eXIf_SUPPORTED
    png_uint_32 exif_size = 0;
    png_bytep exif = NULL;
    if (png_get_eXIf_1(png, info_ptr, &exif_size, &exif) != 0 && exif != NULL)
        info->orientation = in_exif_orientation(exif, exif_size);
#endif
    return png_get_interlace_type(png, info_ptr);
}

int in_png_probe(const uint8_t *data, size_t size, in_info *info, char *error, size_t error_size)
{
    reader r = { data, size, 0, "" };
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &r, error_fn, warning_fn);
    png_infop info_ptr = png ? png_create_info_struct(png) : NULL;
    if (png == NULL || info_ptr == NULL) {
        png_destroy_read_struct(&png, &info_ptr, NULL);
        return in_fail(error, error_size, IN_NO_MEMORY, "out of memory");
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_read_struct(&png, &info_ptr, NULL);
        return in_fail(error, error_size, IN_INVALID, "corrupt PNG header: %s", r.message);
    }
    read_header(png, info_ptr, &r, info, PNG_UINT_31_MAX);
    png_destroy_read_struct(&png, &info_ptr, NULL);
    uint32_t exif_max;
    walk_chunks(data, size, &info->frames, &exif_max);
    return IN_OK;
}

/* Whether png_idat.c reads the image data (8-bit RGB or RGBA, not interlaced) rather than
 * libpng's row reader, from IHDR at offset 8: bit depth at 24, colour type at 25, interlace
 * method at 28. */
static int idat_reader_takes(const uint8_t *data, const in_options *options, const in_info *info)
{
    return !options->libpng_only && in_png_idat_takes(data[24], data[25], data[28], info->has_alpha);
}

/* The bits per pixel libpng sizes its row buffers for, as png_read_start_row computes them for the
 * transformations used here (expand, gray_to_rgb, strip_16 applied later): up to 64, since it
 * reserves room for 16-bit samples whatever the depth (8-bit RGB gets 48 bits, RGBA 64). */
static int libpng_max_pixel_depth(int bit_depth, int color_type, int has_trns)
{
    static const int samples[7] = { 1, 0, 3, 1, 2, 0, 4 };
    int depth = bit_depth * samples[color_type & 7];
    if (color_type == PNG_COLOR_TYPE_PALETTE) depth = has_trns ? 32 : 24;
    else if (color_type == PNG_COLOR_TYPE_GRAY) { if (depth < 8) depth = 8; if (has_trns) depth *= 2; }
    else if (color_type == PNG_COLOR_TYPE_RGB && has_trns) depth = depth * 4 / 3;
    if (has_trns || color_type == PNG_COLOR_TYPE_GRAY_ALPHA) depth = depth <= 16 ? 32 : 64;
    else if (depth <= 8) depth = color_type == PNG_COLOR_TYPE_RGB_ALPHA ? 32 : 24;
    else depth = color_type == PNG_COLOR_TYPE_RGB_ALPHA ? 64 : 48;
    return depth;
}

int in_png_plan(const uint8_t *data, size_t size, const in_options *options, const in_info *info,
                in_plan *plan, char *error, size_t error_size)
{
    /* IHDR sits at offset 8 (the probe has parsed it): bit depth at 24, colour type at 25,
     * interlace method at 28. */
    if (size < 29) return in_fail(error, error_size, IN_INVALID, "corrupt PNG header");
    if (data[28] != PNG_INTERLACE_NONE) return in_fail(error, error_size, IN_UNSUPPORTED, "interlaced PNG: left to the managed path");
    const int color_type = data[25];
    const int has_trns = info->has_alpha && !(color_type & PNG_COLOR_MASK_ALPHA);
    const int channels = info->has_alpha ? 4 : 3; /* after png_set_expand and png_set_gray_to_rgb */
    int frames;
    uint32_t exif_max;
    walk_chunks(data, size, &frames, &exif_max);

    /* the eXIf chunk (read buffer and info copy) and the reducer, whichever reads the image data */
    int64_t m = IN_LIBRARY_STATE + 2 * (int64_t)exif_max
        + in_resizer_memory(info->width, info->height, plan->target_w, plan->target_h, channels, options->alpha_mode);
    if (idat_reader_takes(data, options, info)) {
        /* libpng reads the chunks before the image data (its state is freed before the rows are
         * allocated, and counted all the same); png_idat.c's stream and rows, or its ring and zlib */
        int whole;
        m += in_png_idat_memory(data, size, info->width, info->height, channels, options->max_memory, m,
                                !options->png_streamed, &whole);
        plan->png_whole = !whole ? IN_PNG_STREAMED : options->png_whole_only ? IN_PNG_WHOLE_ONLY : IN_PNG_WHOLE;
    } else {
        /* libpng's row_buf and prev_row: the width rounded up to 8 pixels at its maximum pixel
         * depth, a filter byte and a pixel to spare, 48 bytes of alignment each. */
        const int depth = libpng_max_pixel_depth(data[24], color_type, has_trns);
        const int64_t libpng_row = (((int64_t)info->width + 7) / 8 * 8 * depth + 7) / 8 + 1 + (depth + 7) / 8 + 48;
        m += 2 * libpng_row;
        m += (int64_t)info->width * channels;            /* our row, after strip_16 */
    }
    plan->memory = m;
    plan->kind = "PNG";
    plan->channels = in_resizer_output_channels(channels, options->alpha_mode);
    plan->side_limit = options->max_dimension > 0 ? 0 : IN_PNG_SIDE_LIMIT;
    return IN_OK;
}

int in_png_decode(const uint8_t *data, size_t size, const in_options *options, const in_info *info,
                  const in_plan *plan, in_image *image, char *error, size_t error_size)
{
    reader r = { data, size, 0, "" };
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &r, error_fn, warning_fn);
    png_infop info_ptr = png ? png_create_info_struct(png) : NULL;
    in_resizer *volatile resizer = NULL;
    png_bytep volatile row = NULL;
    in_info header;
    if (png == NULL || info_ptr == NULL) {
        png_destroy_read_struct(&png, &info_ptr, NULL);
        return in_fail(error, error_size, IN_NO_MEMORY, "out of memory");
    }
    if (setjmp(png_jmpbuf(png))) {
        in_resizer_free(resizer);
        free(row);
        png_destroy_read_struct(&png, &info_ptr, NULL);
        return in_fail(error, error_size, IN_INVALID, "corrupt PNG: %s", r.message);
    }
    memset(&header, 0, sizeof(header));
    png_uint_32 side_limit = options->max_dimension > 0 ? (png_uint_32)options->max_dimension : IN_PNG_SIDE_LIMIT;
    if (read_header(png, info_ptr, &r, &header, side_limit) != PNG_INTERLACE_NONE) {
        png_destroy_read_struct(&png, &info_ptr, NULL);
        return in_fail(error, error_size, IN_UNSUPPORTED, "interlaced PNG: left to the managed path");
    }
    if (header.width != info->width || header.height != info->height) { /* not the header the plan read */
        png_destroy_read_struct(&png, &info_ptr, NULL);
        return in_fail(error, error_size, IN_INVALID, "corrupt PNG header");
    }
    if (idat_reader_takes(data, options, info)) {
        /* libpng has read and checked every chunk before the image data; png_idat.c reads it */
        const int channels = info->has_alpha ? 4 : 3;
        png_destroy_read_struct(&png, &info_ptr, NULL);
        resizer = in_resizer_new(info->width, info->height, plan->target_w, plan->target_h, channels, options->alpha_mode);
        if (resizer == NULL) return in_fail(error, error_size, IN_NO_MEMORY, "out of memory");
        const int status = in_png_idat_decode(data, size, info->width, info->height, channels, plan->png_whole, resizer,
                                              options->cancel, error, error_size);
        if (status != IN_OK) {
            in_resizer_free(resizer);
            return status;
        }
        return in_resizer_take(resizer, image, error, error_size);
    }
#ifdef PNG_IGNORE_ADLER32
    /* The zlib stream's Adler-32 is a second checksum over the decompressed bytes (the chunk CRCs
     * already cover the compressed ones) and costs about a tenth of the decode; browsers skip it
     * too. Truncated or corrupt streams are still rejected by inflate and by the CRCs. */
    png_set_option(png, PNG_IGNORE_ADLER32, PNG_OPTION_ON);
#endif
    png_set_expand(png);
    png_set_strip_16(png);
    png_set_gray_to_rgb(png);
    png_read_update_info(png, info_ptr);
    int src_channels = png_get_channels(png, info_ptr);

    int out_w = plan->target_w, out_h = plan->target_h;
    resizer = in_resizer_new(info->width, info->height, out_w, out_h, src_channels, options->alpha_mode);
    row = malloc(png_get_rowbytes(png, info_ptr));
    if (resizer == NULL || row == NULL) {
        in_resizer_free(resizer);
        free(row);
        png_destroy_read_struct(&png, &info_ptr, NULL);
        return in_fail(error, error_size, IN_NO_MEMORY, "out of memory");
    }
    for (int y = 0; y < info->height; y++) {
        if (in_cancelled(options->cancel)) {
            in_resizer_free(resizer);
            free(row);
            png_destroy_read_struct(&png, &info_ptr, NULL);
            return in_fail(error, error_size, IN_CANCELLED, "cancelled");
        }
        png_read_row(png, row, NULL);
        in_resizer_push(resizer, row);
    }
    png_read_end(png, NULL);
    const int status = in_resizer_take(resizer, image, error, error_size);
    free(row);
    png_destroy_read_struct(&png, &info_ptr, NULL);
    return status;
}
