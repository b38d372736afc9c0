#include "encode.h"

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <webp/encode.h>

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

static int encode_webp(const uint8_t *pixels, int width, int height, int channels, int quality,
                       in_result *result, char *error, size_t error_size)
{
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

int in_encode(const uint8_t *pixels, int width, int height, int channels, int full_chroma, int output, int quality,
              in_result *result, char *error, size_t error_size)
{
    quality = quality < 1 ? 1 : quality > 100 ? 100 : quality;
    if (output == IN_OUTPUT_WEBP) return encode_webp(pixels, width, height, channels, quality, result, error, error_size);
    return encode_jpeg(pixels, width, height, channels, full_chroma, quality, result, error, error_size);
}
