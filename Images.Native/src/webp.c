/* WebP through libwebp, with its built-in scaled decoding straight to the target size. The EXIF
 * orientation comes from the RIFF container's EXIF chunk. */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

#include <webp/decode.h>

static uint32_t le32(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }

static int riff_orientation(const uint8_t *data, size_t size)
{
    size_t offset = 12;
    while (offset + 8 <= size) {
        uint32_t length = le32(data + offset + 4);
        if (length > size - offset - 8) break;
        if (memcmp(data + offset, "EXIF", 4) == 0) return in_exif_orientation(data + offset + 8, length);
        offset += 8 + (size_t)length + (length & 1);
    }
    return 1;
}

int in_webp_probe(const uint8_t *data, size_t size, in_info *info, char *error, size_t error_size)
{
    WebPBitstreamFeatures features;
    if (WebPGetFeatures(data, size, &features) != VP8_STATUS_OK)
        return in_fail(error, error_size, IN_INVALID, "corrupt WebP header");
    if (features.has_animation) return in_fail(error, error_size, IN_UNSUPPORTED, "animated WebP: left to the managed path");
    info->format = IN_FORMAT_WEBP;
    info->width = features.width;
    info->height = features.height;
    info->has_alpha = features.has_alpha;
    info->channels = features.has_alpha ? 4 : 3;
    info->orientation = riff_orientation(data, size);
    return IN_OK;
}

int in_webp_thumbnail(const uint8_t *data, size_t size, const in_request *request, in_info *info,
                      uint8_t **pixels, int *width, int *height, int *channels, char *error, size_t error_size)
{
    int out_w, out_h;
    in_target_size(info->width, info->height, request->max_side, &out_w, &out_h);
    int keep_alpha = info->has_alpha && request->output == IN_OUTPUT_WEBP;
    WebPDecoderConfig config;
    if (!WebPInitDecoderConfig(&config)) return in_fail(error, error_size, IN_UNSUPPORTED, "libwebp version mismatch");
    config.options.use_scaling = (out_w != info->width || out_h != info->height);
    config.options.scaled_width = out_w;
    config.options.scaled_height = out_h;
    config.output.colorspace = info->has_alpha ? MODE_RGBA : MODE_RGB;
    /* Thumbnail-grade decoding: libwebp's filtering thread, and simple chroma upsampling (the
     * reduction averages far more than the fancy upsampler's neighbourhood anyway). */
    config.options.use_threads = 1;
    config.options.no_fancy_upsampling = 1;
    VP8StatusCode status = WebPDecode(data, size, &config);
    if (status != VP8_STATUS_OK) {
        WebPFreeDecBuffer(&config.output);
        return in_fail(error, error_size, status == VP8_STATUS_OUT_OF_MEMORY ? IN_NO_MEMORY : IN_INVALID,
                       "corrupt or truncated WebP (libwebp status %d)", (int)status);
    }
    int w = config.output.width, h = config.output.height;
    int src_ch = info->has_alpha ? 4 : 3;
    int ch = keep_alpha ? 4 : 3;
    uint8_t *out = malloc((size_t)w * h * ch);
    if (out == NULL) {
        WebPFreeDecBuffer(&config.output);
        return in_fail(error, error_size, IN_NO_MEMORY, "out of memory");
    }
    const uint8_t *src = config.output.u.RGBA.rgba;
    int stride = config.output.u.RGBA.stride;
    for (int y = 0; y < h; y++) {
        const uint8_t *s = src + (size_t)y * stride;
        uint8_t *d = out + (size_t)y * w * ch;
        if (src_ch == ch) {
            memcpy(d, s, (size_t)w * ch);
        } else {
            for (int x = 0; x < w; x++) {
                unsigned a = s[x * 4 + 3];
                for (int c = 0; c < 3; c++) d[x * 3 + c] = (uint8_t)((s[x * 4 + c] * a + 255 * (255 - a) + 127) / 255);
            }
        }
    }
    WebPFreeDecBuffer(&config.output);
    *pixels = out;
    *width = w;
    *height = h;
    *channels = ch;
    return IN_OK;
}
