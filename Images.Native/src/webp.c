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
    /* libwebp's scaled decoding averages areas down to twice the target (or keeps the source when
     * it is smaller than that); the reducer's second stage then filters to the exact size. */
    int mid_w = in_mid_size(info->width, out_w);
    int mid_h = in_mid_size(info->height, out_h);
    WebPDecoderConfig config;
    if (!WebPInitDecoderConfig(&config)) return in_fail(error, error_size, IN_UNSUPPORTED, "libwebp version mismatch");
    config.options.use_scaling = (mid_w != info->width || mid_h != info->height);
    config.options.scaled_width = mid_w;
    config.options.scaled_height = mid_h;
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
    int alpha_mode = request->output == IN_OUTPUT_WEBP ? IN_ALPHA_PREMULTIPLY : IN_ALPHA_FLATTEN_WHITE;
    if (out_w > w) out_w = w;
    if (out_h > h) out_h = h;
    in_resizer *resizer = in_resizer_new(w, h, out_w, out_h, info->has_alpha ? 4 : 3, alpha_mode);
    if (resizer == NULL) {
        WebPFreeDecBuffer(&config.output);
        return in_fail(error, error_size, IN_NO_MEMORY, "out of memory");
    }
    const uint8_t *src = config.output.u.RGBA.rgba;
    int stride = config.output.u.RGBA.stride;
    for (int y = 0; y < h; y++) in_resizer_push(resizer, src + (size_t)y * stride);
    WebPFreeDecBuffer(&config.output);
    *channels = in_resizer_channels(resizer);
    *pixels = in_resizer_finish(resizer);
    in_resizer_free(resizer);
    *width = out_w;
    *height = out_h;
    return IN_OK;
}
