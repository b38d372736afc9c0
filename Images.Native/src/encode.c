#include "encode.h"

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <png.h>
#include <webp/encode.h>

#include "dynlib.h"

#include "budget.h"
#include "errors.h"
#include "jpeg_guard.h"

/* libjpeg keeps the whole image's coefficients while it optimises its Huffman tables: 2 bytes per
 * sample, 4:4:4 or 4:2:0 as in_encode chooses; libwebp converts to YUVA and keeps per-macroblock
 * state, and for alpha runs its lossless coder, generously 32 bytes a pixel; the encoded bytes
 * (libjpeg's buffer grows by doubling; libwebp's, then our copy). */
int64_t in_encode_memory(int width, int height, int channels, int orientation, int output, int full_chroma)
{
    const int64_t pixels = (int64_t)width * height, ch = channels;
    int64_t m = pixels * ch;
    if (orientation > 1) m += pixels * ch;
    if (output == IN_OUTPUT_WEBP) m += pixels * (ch == 4 ? 32 : 8) + 2 * pixels * ch;
    else m += (ch == 1 ? 2 * pixels : full_chroma ? 6 * pixels : 3 * pixels) + pixels * ch;
    return m + IN_LIBRARY_STATE;
}

/* Grey (1) or grey+alpha (2) as RGB or RGBA, for the encoders that take only those; NULL when out
 * of memory. Other counts: the same buffer. */
static uint8_t *expand_grey(const uint8_t *pixels, int width, int height, int channels, int *out_channels)
{
    *out_channels = channels;
    if (channels > 2) return (uint8_t *)pixels;
    const size_t n = (size_t)width * height;
    *out_channels = channels + 2;
    uint8_t *out = malloc(n * (size_t)*out_channels);
    if (out == NULL) return NULL;
    for (size_t i = 0; i < n; i++) {
        const uint8_t v = pixels[i * channels];
        uint8_t *d = out + i * (size_t)*out_channels;
        d[0] = d[1] = d[2] = v;
        if (channels == 2) d[3] = pixels[i * 2 + 1];
    }
    return out;
}

static int encode_webp(const uint8_t *pixels, int width, int height, int channels, int quality,
                       in_result *result, char *error, size_t error_size)
{
    if (channels <= 2) {
        int expanded_channels;
        uint8_t *expanded = expand_grey(pixels, width, height, channels, &expanded_channels);
        if (expanded == NULL) return in_fail(error, error_size, IN_NO_MEMORY, "out of memory");
        const int status = encode_webp(expanded, width, height, expanded_channels, quality, result, error, error_size);
        free(expanded);
        return status;
    }
    uint8_t *webp = NULL;
    size_t size;
    if (channels == 4) size = WebPEncodeRGBA(pixels, width, height, width * 4, (float)quality, &webp);
    else if (channels == 3) size = WebPEncodeRGB(pixels, width, height, width * 3, (float)quality, &webp);
    else return in_fail(error, error_size, IN_UNSUPPORTED, "WebP output of %d channels", channels);
    if (size == 0 || webp == NULL) return in_fail(error, error_size, IN_NO_MEMORY, "WebP encoding failed");
    result->data = malloc(size);
    if (result->data == NULL) {
        WebPFree(webp);
        return in_fail(error, error_size, IN_NO_MEMORY, "out of memory");
    }
    memcpy(result->data, webp, size);
    WebPFree(webp);
    result->size = size;
    result->width = width;
    result->height = height;
    return IN_OK;
}

static int encode_jpeg(const uint8_t *pixels, int width, int height, int channels, int full_chroma, int quality,
                       in_result *result, char *error, size_t error_size)
{
    if (channels != 1 && channels != 3) return in_fail(error, error_size, IN_UNSUPPORTED, "JPEG output of %d channels", channels);
    struct jpeg_compress_struct cinfo;
    in_jpeg_guard g;
    unsigned char *volatile out = NULL;
    unsigned long out_size = 0;
    cinfo.err = in_jpeg_guard_init(&g);
    if (setjmp(g.jump)) {
        jpeg_destroy_compress(&cinfo);
        free(out);
        return in_fail(error, error_size, IN_NO_MEMORY, "JPEG encoding failed: %s", g.text);
    }
    jpeg_create_compress(&cinfo);
    unsigned char *buffer = NULL;
    jpeg_mem_dest(&cinfo, &buffer, &out_size);
    cinfo.image_width = (JDIMENSION)width;
    cinfo.image_height = (JDIMENSION)height;
    cinfo.input_components = channels;
    cinfo.in_color_space = channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_set_defaults(&cinfo);
    jpeg_set_quality(&cinfo, quality, TRUE);
    /* Chroma at full resolution (4:4:4) when the source JPEG had it, as the managed encoder keeps
     * it: at thumbnail size 4:2:0 smears coloured edges a pixel or two wide (about 7 dB PSNR on a
     * 4:4:4 artwork); 4:2:0 otherwise, the libjpeg default. */
    if (channels == 3 && full_chroma) {
        cinfo.comp_info[0].h_samp_factor = 1;
        cinfo.comp_info[0].v_samp_factor = 1;
    }
    cinfo.optimize_coding = TRUE;
    jpeg_start_compress(&cinfo, TRUE);
    while (cinfo.next_scanline < cinfo.image_height) {
        JSAMPROW row = (JSAMPROW)(pixels + (size_t)cinfo.next_scanline * width * channels);
        jpeg_write_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_compress(&cinfo);
    out = buffer;
    jpeg_destroy_compress(&cinfo);
    result->data = out;
    result->size = out_size;
    result->width = width;
    result->height = height;
    return IN_OK;
}

static int encode_png(const uint8_t *pixels, int width, int height, int channels, in_result *result, char *error,
                      size_t error_size)
{
    png_image image;
    memset(&image, 0, sizeof(image));
    image.version = PNG_IMAGE_VERSION;
    image.width = (png_uint_32)width;
    image.height = (png_uint_32)height;
    image.format = channels == 1 ? PNG_FORMAT_GRAY : channels == 2 ? PNG_FORMAT_GA : channels == 3 ? PNG_FORMAT_RGB : PNG_FORMAT_RGBA;
    png_alloc_size_t size = 0;
    /* The first call sizes the output, the second writes it (no text, time or colour chunks). */
    image.flags = PNG_IMAGE_FLAG_FAST; /* faster filters and deflate: 2-3x less time, a few % more bytes */
    if (!png_image_write_to_memory(&image, NULL, &size, 0, pixels, width * channels, NULL) || size == 0) {
        png_image_free(&image);
        return in_fail(error, error_size, IN_NO_MEMORY, "PNG encoding failed: %s", image.message);
    }
    result->data = malloc(size);
    if (result->data == NULL) return in_fail(error, error_size, IN_NO_MEMORY, "out of memory");
    if (!png_image_write_to_memory(&image, result->data, &size, 0, pixels, width * channels, NULL)) {
        free(result->data);
        result->data = NULL;
        png_image_free(&image);
        return in_fail(error, error_size, IN_NO_MEMORY, "PNG encoding failed: %s", image.message);
    }
    result->size = size;
    result->width = width;
    result->height = height;
    return IN_OK;
}

int in_encode_avif(const uint8_t *pixels, int width, int height, int channels, int quality, int speed,
                   in_result *result, char *error, size_t error_size)
{
    const in_avif *avif = in_avif_get();
    if (avif == NULL) return in_fail(error, error_size, IN_UNSUPPORTED, "AVIF %s", in_avif_status());
    int rgb_channels;
    uint8_t *rgb_pixels = expand_grey(pixels, width, height, channels, &rgb_channels);
    if (rgb_pixels == NULL) return in_fail(error, error_size, IN_NO_MEMORY, "out of memory");
    quality = quality < 1 ? 1 : quality > 100 ? 100 : quality;
    speed = speed < 0 ? 0 : speed > 10 ? 10 : speed;
    const int quantizer = ((100 - quality) * 63 + 50) / 100;

    int status = IN_OK;
    avifEncoder *encoder = NULL;
    avifRWData output = AVIF_DATA_EMPTY;
    avifImage *image = avif->image_create((uint32_t)width, (uint32_t)height, 8, AVIF_PIXEL_FORMAT_YUV420);
    if (image == NULL) {
        status = in_fail(error, error_size, IN_NO_MEMORY, "out of memory");
        goto done;
    }
    image->colorPrimaries = AVIF_COLOR_PRIMARIES_BT709;
    image->transferCharacteristics = AVIF_TRANSFER_CHARACTERISTICS_SRGB;
    image->matrixCoefficients = AVIF_MATRIX_COEFFICIENTS_BT601;
    image->yuvRange = AVIF_RANGE_FULL;
    avifRGBImage rgb;
    avif->rgb_image_set_defaults(&rgb, image);
    rgb.format = rgb_channels == 4 ? AVIF_RGB_FORMAT_RGBA : AVIF_RGB_FORMAT_RGB;
    rgb.depth = 8;
    rgb.pixels = rgb_pixels;
    rgb.rowBytes = (uint32_t)(width * rgb_channels);
    avifResult r = avif->image_rgb_to_yuv(image, &rgb);
    if (r != AVIF_RESULT_OK) {
        status = in_fail(error, error_size, IN_NO_MEMORY, "AVIF conversion failed: %s", avif->result_to_string(r));
        goto done;
    }
    encoder = avif->encoder_create();
    if (encoder == NULL) {
        status = in_fail(error, error_size, IN_NO_MEMORY, "out of memory");
        goto done;
    }
    encoder->maxThreads = 1; /* the service bounds concurrency by images (IMG_PROCESSING_MAX_WORKERS) */
    encoder->speed = speed;
    encoder->minQuantizer = quantizer > 8 ? quantizer - 8 : 0;
    encoder->maxQuantizer = quantizer;
    /* Alpha finer than colour: a logo's edges and its transparent pixels must survive. */
    encoder->minQuantizerAlpha = 0;
    encoder->maxQuantizerAlpha = quantizer / 2;
    r = avif->encoder_write(encoder, image, &output);
    if (r != AVIF_RESULT_OK || output.size == 0) {
        status = in_fail(error, error_size, IN_NO_MEMORY, "AVIF encoding failed: %s", avif->result_to_string(r));
        goto done;
    }
    result->data = malloc(output.size);
    if (result->data == NULL) {
        status = in_fail(error, error_size, IN_NO_MEMORY, "out of memory");
        goto done;
    }
    memcpy(result->data, output.data, output.size);
    result->size = output.size;
    result->width = width;
    result->height = height;
done:
    if (output.data != NULL) avif->rw_data_free(&output);
    if (encoder != NULL) avif->encoder_destroy(encoder);
    if (image != NULL) avif->image_destroy(image);
    if (rgb_pixels != pixels) free(rgb_pixels);
    return status;
}

/* The encoders' own working memory: libjpeg's coefficients, libwebp's YUVA and lossless state,
 * libpng's filtered rows and deflate window, libaom's frame buffers, lookahead and per-superblock
 * state (measured with getrusage, ADR 12: up to ~46 bytes a pixel at speed 4-6, ~20 at 8-10, plus ~24 MiB of
 * fixed state, doubled for alpha's second encoder), and the encoded bytes twice. */
int64_t in_encode_output_memory(int width, int height, int channels, int output)
{
    const int64_t pixels = (int64_t)width * height, ch = channels;
    switch (output) {
    case IN_OUTPUT_WEBP: return pixels * (ch == 4 || ch == 2 ? 32 : 8) + 2 * pixels * 4 + pixels * 4 + IN_LIBRARY_STATE;
    case IN_OUTPUT_PNG: return 2 * pixels * ch + 4 * (int64_t)width * ch + 512 * 1024 + IN_LIBRARY_STATE;
    case IN_OUTPUT_AVIF: return (pixels * 4 + pixels * 2) + (ch == 4 || ch == 2 ? 2 : 1) * (pixels * 48 + 24 * 1024 * 1024) + 2 * pixels * ch;
    default: return (ch == 1 ? 2 * pixels : 6 * pixels) + 2 * pixels * ch + IN_LIBRARY_STATE;
    }
}

int in_encode(const uint8_t *pixels, int width, int height, int channels, int full_chroma, int output, int quality,
              in_result *result, char *error, size_t error_size)
{
    quality = quality < 1 ? 1 : quality > 100 ? 100 : quality;
    if (output == IN_OUTPUT_WEBP) return encode_webp(pixels, width, height, channels, quality, result, error, error_size);
    if (output == IN_OUTPUT_PNG) return encode_png(pixels, width, height, channels, result, error, error_size);
    if (output == IN_OUTPUT_AVIF) return in_encode_avif(pixels, width, height, channels, quality, 8, result, error, error_size);
    return encode_jpeg(pixels, width, height, channels, full_chroma, quality, result, error, error_size);
}
