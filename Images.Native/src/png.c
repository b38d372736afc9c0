/* PNG through libpng, decoded row by row into the streaming reducer: the full image is never
 * held. Interlaced files need every pass before a row is final, so they go to the managed path. */
#include "internal.h"

#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include <png.h>

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

static int channels_of(int color_type, int has_trns)
{
    switch (color_type) {
    case PNG_COLOR_TYPE_GRAY: return has_trns ? 2 : 1;
    case PNG_COLOR_TYPE_GRAY_ALPHA: return 2;
    case PNG_COLOR_TYPE_RGB_ALPHA: return 4;
    default: return has_trns ? 4 : 3;
    }
}

static int read_header(png_structp png, png_infop info_ptr, reader *r, in_info *info)
{
    png_set_read_fn(png, r, read_fn);
    png_set_user_limits(png, 0x7fffffff, 0x7fffffff);
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
    read_header(png, info_ptr, &r, info);
    png_destroy_read_struct(&png, &info_ptr, NULL);
    return IN_OK;
}

int in_png_thumbnail(const uint8_t *data, size_t size, const in_request *request, in_info *info,
                     uint8_t **pixels, int *width, int *height, int *channels, char *error, size_t error_size)
{
    reader r = { data, size, 0, "" };
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &r, error_fn, warning_fn);
    png_infop info_ptr = png ? png_create_info_struct(png) : NULL;
    in_resizer *volatile resizer = NULL;
    png_bytep volatile row = NULL;
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
    if (read_header(png, info_ptr, &r, info) != PNG_INTERLACE_NONE) {
        png_destroy_read_struct(&png, &info_ptr, NULL);
        return in_fail(error, error_size, IN_UNSUPPORTED, "interlaced PNG: left to the managed path");
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
    int alpha_mode = request->output == IN_OUTPUT_WEBP ? IN_ALPHA_PREMULTIPLY : IN_ALPHA_FLATTEN_WHITE;

    int out_w, out_h;
    in_target_size(info->width, info->height, request->max_side, &out_w, &out_h);
    resizer = in_resizer_new(info->width, info->height, out_w, out_h, src_channels, alpha_mode);
    row = malloc(png_get_rowbytes(png, info_ptr));
    if (resizer == NULL || row == NULL) {
        in_resizer_free(resizer);
        free(row);
        png_destroy_read_struct(&png, &info_ptr, NULL);
        return in_fail(error, error_size, IN_NO_MEMORY, "out of memory");
    }
    for (int y = 0; y < info->height; y++) {
        png_read_row(png, row, NULL);
        in_resizer_push(resizer, row);
    }
    png_read_end(png, NULL);
    *channels = in_resizer_channels(resizer);
    *pixels = in_resizer_finish(resizer);
    in_resizer_free(resizer);
    free(row);
    png_destroy_read_struct(&png, &info_ptr, NULL);
    *width = out_w;
    *height = out_h;
    return IN_OK;
}
