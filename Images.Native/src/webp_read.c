/* WebP through libwebp: a still image with libwebp's built-in scaled decoding to twice the target,
 * through its incremental decoder fed from the caller's buffer (nothing copied) 64 KiB at a time
 * so that the cancel flag is read between chunks; an animation's first frame through
 * libwebpdemux's WebPAnimDecoder (the frame count comes from the container, walked here). The EXIF
 * orientation comes from the RIFF container's EXIF chunk.
 *
 * Budget (NFR-8), from WebPGetFeatures and the container's chunks (in_webp_plan):
 *  - lossy (VP8): the scaled output buffer, libwebp's rescaler rows, its per-macroblock-row state
 *    and caches (about 4.4 KiB per macroblock column with the filtering thread), and with alpha
 *    two w x h planes (the decoder's and the alpha plane) plus, when the ALPH chunk is losslessly
 *    compressed, the lossless decoder's buffers below for a w x h image;
 *  - lossless (VP8L): libwebp keeps the whole image as ARGB, 4 x (w x h + 17 w) bytes, plus its
 *    Huffman tables and transform data, read from the stream's header (webp_vp8l.c);
 *  - animation: the canvas twice (WebPAnimDecoder's current and previous frames, w x h x 4 each),
 *    the first frame's own decode at its size (into the canvas: no output buffer), the demuxer's
 *    records (a few hundred bytes a chunk);
 *  - the reducer from libwebp's output to the target, libwebp's own state.
 * Time: a still image is fed in chunks of 64 KiB with the cancel flag read between them (chunks
 * that double while libwebp is still reading the headers, which it restarts on each update; a chunk
 * that decodes a large area at once, e.g. a lossless image of single-symbol codes, is bounded by
 * the memory budget rather than by the flag); an animation's first frame is one libwebp call. */
#include "webp_read.h"

#include <stdlib.h>
#include <string.h>

#include <webp/decode.h>
#include <webp/demux.h>

#include "budget.h"
#include "bytes.h"
#include "errors.h"
#include "exif.h"
#include "resize.h"
#include "webp_vp8l.h"

#define IN_WEBP_CHUNK (64 * 1024)
/* libwebp's per-macroblock-column state: intra modes (4), top samples (32), VP8MB (2), filter
 * info (2 x 4 with the filtering thread), coefficients (2 x ~800 with it), and the row cache:
 * 32 bytes a column for up to (3 x 16 + 8) x 3/2 rows. */
#define IN_VP8_BYTES_PER_MB_COLUMN (4 + 32 + 2 + 8 + 1600 + 32 * 84)
/* The demuxer's record of one chunk or frame (with its allocation overhead), generously. */
#define IN_DEMUX_BYTES_PER_CHUNK 256

static uint32_t le24(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16; }

/* The chunks libwebp decodes for a still image or an animation frame: the first VP8 or VP8L
 * chunk, and the ALPH chunk that goes with it. */
typedef struct image_chunks {
    const uint8_t *vp8l, *alph;
    size_t vp8l_size, alph_size;
    int found, lossy;
} image_chunks;

/* The container, walked in place: the still image's chunks (the last ALPH before the first image
 * chunk, as libwebp's parser takes them), the first frame's (its first ALPH and image chunk, as
 * the demuxer takes them), the number of ANMF frames and of chunks, the EXIF orientation. */
typedef struct layout {
    image_chunks still, first;
    int frames, first_w, first_h;
    int64_t chunks;
    int orientation;
    int truncated;        /* a chunk runs past the end of the data (it is taken as far as it goes) */
} layout;

/* One chunk towards an image (nothing once its image chunk is found). */
static void image_chunk(image_chunks *image, const uint8_t *type, const uint8_t *payload, uint32_t length, int first_alpha_wins)
{
    if (image->found) return;
    if (memcmp(type, "ALPH", 4) == 0) {
        if (!first_alpha_wins || image->alph == NULL) { image->alph = payload; image->alph_size = length; }
    } else if (memcmp(type, "VP8L", 4) == 0) {
        image->vp8l = payload;
        image->vp8l_size = length;
        image->found = 1;
    } else if (memcmp(type, "VP8 ", 4) == 0) {
        image->lossy = 1;
        image->found = 1;
    }
}

static void walk(const uint8_t *data, size_t size, layout *l)
{
    memset(l, 0, sizeof(*l));
    l->orientation = 1;
    size_t offset = 12;
    while (offset + 8 <= size) {
        uint32_t length = in_le32(data + offset + 4);
        if (length > size - offset - 8) {
            l->truncated = 1;
            length = (uint32_t)(size - offset - 8);
        }
        const uint8_t *type = data + offset, *payload = data + offset + 8;
        l->chunks++;
        if (memcmp(type, "ANMF", 4) == 0) {
            if (l->frames++ == 0 && length >= 16) {
                l->first_w = 1 + (int)le24(payload + 6);
                l->first_h = 1 + (int)le24(payload + 9);
                for (size_t sub = 16; sub + 8 <= length;) { /* the frame's own chunks */
                    uint32_t sub_length = in_le32(payload + sub + 4);
                    if (sub_length > length - sub - 8) {
                        l->truncated = 1;
                        sub_length = (uint32_t)(length - sub - 8);
                    }
                    image_chunk(&l->first, payload + sub, payload + sub + 8, sub_length, 1);
                    sub += 8 + (size_t)sub_length + (sub_length & 1);
                }
            }
        } else if (memcmp(type, "EXIF", 4) == 0) {
            l->orientation = in_exif_orientation(payload, length);
        } else {
            image_chunk(&l->still, type, payload, length, 0);
        }
        offset += 8 + (size_t)length + (length & 1);
    }
}

int in_webp_probe(const uint8_t *data, size_t size, in_info *info, char *error, size_t error_size)
{
    WebPBitstreamFeatures features;
    if (WebPGetFeatures(data, size, &features) != VP8_STATUS_OK)
        return in_fail(error, error_size, IN_INVALID, "corrupt WebP header");
    layout l;
    walk(data, size, &l);
    info->format = IN_FORMAT_WEBP;
    info->width = features.width;
    info->height = features.height;
    info->has_alpha = features.has_alpha;
    info->channels = features.has_alpha ? 4 : 3;
    info->orientation = l.orientation;
    info->frames = features.has_animation ? (l.frames > 0 ? l.frames : 1) : 1;
    return IN_OK;
}

/* libwebp's lossless decoder for a w x h stream (an image, or an ALPH chunk's alpha): the ARGB
 * image with its top row and 16 cache rows, the rescaler when it scales to out_w, its tables and
 * transform data from the stream's header, two colour caches. */
static int lossless_memory(const uint8_t *stream, size_t size, int with_header, int w, int h, int scaled_w,
                           const in_options *options, int64_t *memory, char *error, size_t error_size)
{
    int64_t m = 4 * ((int64_t)w * h + 17 * (int64_t)w) + 2 * 4 * 2048;
    if (scaled_w > 0) m += 4 * (2 * 4 + 1) * (int64_t)scaled_w + 256;
    *memory = m;
    /* Already over the budget from its pixels alone: the header need not be read. */
    if (options->max_memory > 0 && m > options->max_memory) return IN_OK;
    in_vp8l_header header;
    int status = in_vp8l_scan(stream, size, with_header, w, h, options->cancel, &header);
    if (status == IN_CANCELLED) return in_fail(error, error_size, status, "cancelled");
    if (status != IN_OK) return in_fail(error, error_size, status, "corrupt or truncated lossless WebP stream");
    *memory = m + header.table_bytes + header.stored_bytes;
    return IN_OK;
}

/* libwebp's decoder for a w x h frame or still image, output excluded. scaled_w: its rescaler's
 * output width (0 when it does not scale). */
static int decoder_memory(const image_chunks *image, int w, int h, int scaled_w, const in_options *options,
                          int64_t *memory, char *error, size_t error_size)
{
    int64_t m = IN_LIBRARY_STATE;
    if (image->vp8l != NULL) {
        int64_t lossless;
        int status = lossless_memory(image->vp8l, image->vp8l_size, 1, w, h, scaled_w, options, &lossless, error, error_size);
        if (status != IN_OK) return status;
        *memory = m + lossless;
        return IN_OK;
    }
    m += IN_VP8_BYTES_PER_MB_COLUMN * (int64_t)((w + 15) / 16);
    if (scaled_w > 0) m += 4 * 2 * 4 * (int64_t)scaled_w + 3 * 4 * (int64_t)scaled_w; /* rescalers, their rows */
    if (image->alph != NULL && image->alph_size > 0) {
        m += 2 * (int64_t)w * h; /* the decoder's alpha plane and the alpha decoder's output */
        if ((image->alph[0] & 3) == 1) {
            int64_t lossless;
            int status = lossless_memory(image->alph + 1, image->alph_size - 1, 0, w, h, 0, options, &lossless, error, error_size);
            if (status != IN_OK) return status;
            m += lossless;
        }
    }
    *memory = m;
    return IN_OK;
}

int in_webp_plan(const uint8_t *data, size_t size, const in_options *options, const in_info *info,
                 in_plan *plan, char *error, size_t error_size)
{
    WebPBitstreamFeatures features;
    if (WebPGetFeatures(data, size, &features) != VP8_STATUS_OK) return in_fail(error, error_size, IN_INVALID, "corrupt WebP header");
    layout l;
    walk(data, size, &l);
    int64_t decoder = 0;
    int status;
    if (features.has_animation) {
        if (l.frames == 0 || l.first_w <= 0 || l.first_h <= 0 || !l.first.found)
            return in_fail(error, error_size, IN_INVALID, "animated WebP without a readable first frame");
        plan->animated = 1;
        plan->kind = "animated WebP";
        plan->mid_w = info->width;
        plan->mid_h = info->height;
        plan->channels = in_resizer_output_channels(4, options->alpha_mode);
        /* The frame is decoded at its own size straight into the canvas. */
        status = decoder_memory(&l.first, l.first_w, l.first_h, 0, options, &decoder, error, error_size);
        if (status != IN_OK) return status;
        plan->memory = decoder + 2 * 4 * (int64_t)info->width * info->height + IN_DEMUX_BYTES_PER_CHUNK * l.chunks
            + in_resizer_memory(info->width, info->height, plan->target_w, plan->target_h, 4, options->alpha_mode);
        return IN_OK;
    }
    /* The estimate must describe the stream libwebp decodes. */
    if (!l.still.found || (features.format == 2) != (l.still.vp8l != NULL))
        return in_fail(error, error_size, IN_INVALID, l.truncated ? "truncated WebP" : "corrupt WebP container");
    /* libwebp's scaled decoding averages areas down to twice the target (or keeps the source when
     * it is smaller than that); the reducer's second stage then filters to the exact size. */
    plan->mid_w = in_mid_size(info->width, plan->target_w);
    plan->mid_h = in_mid_size(info->height, plan->target_h);
    int scaling = plan->mid_w != info->width || plan->mid_h != info->height;
    int bpp = info->has_alpha ? 4 : 3;
    plan->kind = features.format == 2 ? "lossless WebP" : "WebP";
    plan->channels = in_resizer_output_channels(bpp, options->alpha_mode);
    status = decoder_memory(&l.still, info->width, info->height, scaling ? plan->mid_w : 0, options, &decoder, error, error_size);
    if (status != IN_OK) return status;
    int out_w = plan->target_w < plan->mid_w ? plan->target_w : plan->mid_w;
    int out_h = plan->target_h < plan->mid_h ? plan->target_h : plan->mid_h;
    plan->memory = decoder + (int64_t)plan->mid_w * plan->mid_h * bpp /* libwebp's output */
        + in_resizer_memory(plan->mid_w, plan->mid_h, out_w, out_h, bpp, options->alpha_mode);
    return IN_OK;
}

static int push_rows(const uint8_t *src, int stride, int w, int h, int out_w, int out_h, int channels, int alpha_mode,
                     in_image *image, char *error, size_t error_size)
{
    if (out_w > w) out_w = w;
    if (out_h > h) out_h = h;
    in_resizer *resizer = in_resizer_new(w, h, out_w, out_h, channels, alpha_mode);
    if (resizer == NULL) return in_fail(error, error_size, IN_NO_MEMORY, "out of memory");
    for (int y = 0; y < h; y++) in_resizer_push(resizer, src + (size_t)y * stride);
    return in_resizer_take(resizer, image, error, error_size);
}

static int first_frame(const uint8_t *data, size_t size, const in_options *options, const in_plan *plan,
                       in_image *image, char *error, size_t error_size)
{
    WebPAnimDecoderOptions anim_options;
    if (!WebPAnimDecoderOptionsInit(&anim_options)) return in_fail(error, error_size, IN_UNSUPPORTED, "libwebpdemux version mismatch");
    anim_options.color_mode = MODE_RGBA;
    anim_options.use_threads = 0;
    WebPData webp = { data, size };
    WebPAnimDecoder *decoder = WebPAnimDecoderNew(&webp, &anim_options);
    if (decoder == NULL) return in_fail(error, error_size, IN_INVALID, "corrupt or truncated animated WebP");
    WebPAnimInfo anim;
    uint8_t *canvas = NULL;
    int timestamp = 0;
    if (!WebPAnimDecoderGetInfo(decoder, &anim) || (int)anim.canvas_width != plan->mid_w || (int)anim.canvas_height != plan->mid_h) {
        WebPAnimDecoderDelete(decoder);
        return in_fail(error, error_size, IN_INVALID, "corrupt animated WebP");
    }
    if (in_cancelled(options->cancel)) {
        WebPAnimDecoderDelete(decoder);
        return in_fail(error, error_size, IN_CANCELLED, "cancelled");
    }
    if (!WebPAnimDecoderGetNext(decoder, &canvas, &timestamp)) {
        WebPAnimDecoderDelete(decoder);
        return in_fail(error, error_size, IN_INVALID, "corrupt or truncated first frame of an animated WebP");
    }
    int status = push_rows(canvas, 4 * plan->mid_w, plan->mid_w, plan->mid_h, plan->target_w, plan->target_h, 4,
                           options->alpha_mode, image, error, error_size);
    WebPAnimDecoderDelete(decoder);
    return status;
}

int in_webp_decode(const uint8_t *data, size_t size, const in_options *options, const in_info *info,
                   const in_plan *plan, in_image *image, char *error, size_t error_size)
{
    if (plan->animated) return first_frame(data, size, options, plan, image, error, error_size);
    WebPDecoderConfig config;
    if (!WebPInitDecoderConfig(&config)) return in_fail(error, error_size, IN_UNSUPPORTED, "libwebp version mismatch");
    config.options.use_scaling = (plan->mid_w != info->width || plan->mid_h != info->height);
    config.options.scaled_width = plan->mid_w;
    config.options.scaled_height = plan->mid_h;
    config.output.colorspace = info->has_alpha ? MODE_RGBA : MODE_RGB;
    /* Thumbnail-grade decoding: libwebp's filtering thread, and simple chroma upsampling (the
     * reduction averages far more than the fancy upsampler's neighbourhood anyway). */
    config.options.use_threads = 1;
    config.options.no_fancy_upsampling = 1;
    WebPIDecoder *decoder = WebPIDecode(NULL, 0, &config);
    if (decoder == NULL) return in_fail(error, error_size, IN_NO_MEMORY, "out of memory");
    VP8StatusCode status = VP8_STATUS_SUSPENDED;
    size_t fed = 0, chunk = IN_WEBP_CHUNK;
    while (status == VP8_STATUS_SUSPENDED && fed < size) {
        if (in_cancelled(options->cancel)) {
            WebPIDelete(decoder);
            WebPFreeDecBuffer(&config.output);
            return in_fail(error, error_size, IN_CANCELLED, "cancelled");
        }
        fed = size - fed > chunk ? fed + chunk : size;
        status = WebPIUpdate(decoder, data, fed); /* the data so far, read in place */
        /* Until its output exists libwebp is still in the headers, which it reads again from the
         * start on every update (a lossless header holds every Huffman code and can be most of
         * the file): offer twice as much each time, so they are read O(size) bytes in all. */
        chunk = WebPIDecGetRGB(decoder, NULL, NULL, NULL, NULL) == NULL ? 2 * chunk : IN_WEBP_CHUNK;
    }
    WebPIDelete(decoder);
    if (status != VP8_STATUS_OK) {
        WebPFreeDecBuffer(&config.output);
        if (status == VP8_STATUS_SUSPENDED) return in_fail(error, error_size, IN_INVALID, "truncated WebP (libwebp wants more data)");
        return in_fail(error, error_size, status == VP8_STATUS_OUT_OF_MEMORY ? IN_NO_MEMORY : IN_INVALID,
                       "corrupt or truncated WebP (libwebp status %d)", (int)status);
    }
    int result = push_rows(config.output.u.RGBA.rgba, config.output.u.RGBA.stride, config.output.width, config.output.height,
                           plan->target_w, plan->target_h, info->has_alpha ? 4 : 3, options->alpha_mode, image,
                           error, error_size);
    WebPFreeDecBuffer(&config.output);
    return result;
}
