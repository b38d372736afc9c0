/* AVIF through libavif's decoder (FR-8.6), opened at run time like its encoder (ADR 12; Debian
 * ships no static libavif). Its own table of the decoder's functions, so that AVIF input and AVIF
 * output are reported (and can be missing) independently: a libavif built without dav1d or
 * libaom's decoder has no AV1 decoder. Missing, the format is reported unsupported with "AVIF
 * decoding is not available on this machine (libavif)".
 *
 * Geometry: libavif 0.11 does not apply irot/imir to the pixels (it reports them in
 * transformFlags), so they are turned into the EXIF orientation they equal and the dispatcher
 * applies it once, as for a JPEG. clap (cropping) is not applied.
 * Frames: an image sequence (avis) reports its imageCount from the sample table at
 * avifDecoderParse, nothing decoded; only the first frame is decoded (avifDecoderNextImage once).
 *
 * Budget (NFR-8), from avifDecoderParse (the container, before any AV1 data is decoded; a grid's
 * size is its output size): dav1d's picture of the image (3 planes at 4:4:4 as the worst case, 1
 * or 2 bytes a sample) and its reference and output copies, the alpha item's own decoder and
 * picture, libavif's RGB(A) conversion target, the reducer, and dav1d's state. libavif's own
 * limits (imageSizeLimit, imageDimensionLimit, imageCountLimit) are set from the request as a
 * second fence. Time: libavif 0.11 has no cancellation hook (dav1d is called for a whole image or
 * grid cell); the flag is read before and after the decode, and the budget bounds it. */
#include "avif_read.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <avif/avif.h>

#include "budget.h"
#include "errors.h"
#include "resize.h"

/* dav1d's context, tile and frame threads' state (one thread), libavif's container tables. */
#define IN_AVIF_STATE (4 * 1024 * 1024)
#define IN_AVIF_UNAVAILABLE "AVIF decoding is not available on this machine (libavif)"

static struct {
    avifDecoder *(*decoder_create)(void);
    void (*decoder_destroy)(avifDecoder *);
    avifResult (*set_io_memory)(avifDecoder *, const uint8_t *, size_t);
    avifResult (*parse)(avifDecoder *);
    avifResult (*next_image)(avifDecoder *);
    void (*rgb_set_defaults)(avifRGBImage *, const avifImage *);
    avifResult (*yuv_to_rgb)(const avifImage *, avifRGBImage *);
    const char *(*result_to_string)(avifResult);
    const char *(*version)(void);
    const char *(*codec_name)(avifCodecChoice, avifCodecFlags);
} av;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int loaded;
static char status_text[256];

#define SYMBOL(field, name)                                                                              \
    do {                                                                                                 \
        *(void **)(&av.field) = dlsym(handle, name);                                                    \
        if (av.field == NULL) {                                                                          \
            snprintf(status_text, sizeof(status_text), "not available: libavif lacks %s", name);        \
            return;                                                                                      \
        }                                                                                                \
    } while (0)

static void load(void)
{
    void *handle = dlopen("libavif.so.15", RTLD_NOW | RTLD_LOCAL);
    if (handle == NULL) {
        const char *why = dlerror();
        snprintf(status_text, sizeof(status_text), "not available: %s", why != NULL ? why : "libavif.so.15 not found");
        return;
    }
    SYMBOL(decoder_create, "avifDecoderCreate");
    SYMBOL(decoder_destroy, "avifDecoderDestroy");
    SYMBOL(set_io_memory, "avifDecoderSetIOMemory");
    SYMBOL(parse, "avifDecoderParse");
    SYMBOL(next_image, "avifDecoderNextImage");
    SYMBOL(rgb_set_defaults, "avifRGBImageSetDefaults");
    SYMBOL(yuv_to_rgb, "avifImageYUVToRGB");
    SYMBOL(result_to_string, "avifResultToString");
    SYMBOL(version, "avifVersion");
    SYMBOL(codec_name, "avifCodecName");
    /* The structures compiled in are 0.11's. */
    const char *version = av.version();
    if (strncmp(version, "0.11.", 5) != 0) {
        snprintf(status_text, sizeof(status_text), "not available: libavif %s found, 0.11 expected", version);
        return;
    }
    const char *codec = av.codec_name(AVIF_CODEC_CHOICE_AUTO, AVIF_CODEC_FLAG_CAN_DECODE);
    if (codec == NULL) {
        snprintf(status_text, sizeof(status_text), "not available: libavif %s has no AV1 decoder", version);
        return;
    }
    snprintf(status_text, sizeof(status_text), "libavif %s (%s)", version, codec);
    loaded = 1;
}

int in_avif_input_available(void)
{
    pthread_once(&once, load);
    return loaded;
}

const char *in_avif_input_status(void)
{
    pthread_once(&once, load);
    return status_text;
}

/* irot (anticlockwise quarter turns) then imir (mode 0: top and bottom exchanged, 1: left and
 * right) as the EXIF orientation that makes the same picture. */
static int orientation_of(const avifImage *image)
{
    static const int table[4][3] = { { 1, 4, 2 }, { 8, 5, 7 }, { 3, 2, 4 }, { 6, 7, 5 } };
    const int angle = (image->transformFlags & AVIF_TRANSFORM_IROT) ? (image->irot.angle & 3) : 0;
    const int mirror = (image->transformFlags & AVIF_TRANSFORM_IMIR) ? 1 + (image->imir.mode & 1) : 0;
    return table[angle][mirror];
}

static int avif_status(avifResult r)
{
    switch (r) {
    case AVIF_RESULT_OUT_OF_MEMORY: return IN_NO_MEMORY;
    case AVIF_RESULT_NOT_IMPLEMENTED: return IN_UNSUPPORTED;
    default: return IN_INVALID;
    }
}

static int open_decoder(const uint8_t *data, size_t size, int max_side, avifDecoder **out, char *error, size_t error_size)
{
    *out = NULL;
    if (!in_avif_input_available()) return in_fail(error, error_size, IN_UNSUPPORTED, IN_AVIF_UNAVAILABLE ": %s", in_avif_input_status());
    avifDecoder *decoder = av.decoder_create();
    if (decoder == NULL) return in_fail(error, error_size, IN_NO_MEMORY, "out of memory");
    decoder->maxThreads = 1;
    decoder->ignoreExif = AVIF_TRUE;
    decoder->ignoreXMP = AVIF_TRUE;
    if (max_side > 0) decoder->imageDimensionLimit = (uint32_t)max_side;
    avifResult r = av.set_io_memory(decoder, data, size);
    if (r == AVIF_RESULT_OK) r = av.parse(decoder);
    if (r != AVIF_RESULT_OK) {
        av.decoder_destroy(decoder);
        return in_fail(error, error_size, avif_status(r) == IN_UNSUPPORTED ? IN_INVALID : avif_status(r),
                       "corrupt, truncated or unsupported AVIF (libavif: %s)", av.result_to_string(r));
    }
    *out = decoder;
    return IN_OK;
}

int in_avif_probe(const uint8_t *data, size_t size, in_info *info, char *error, size_t error_size)
{
    avifDecoder *decoder;
    int status = open_decoder(data, size, 0, &decoder, error, error_size);
    if (status != IN_OK) return status;
    info->format = IN_FORMAT_AVIF;
    info->width = (int32_t)decoder->image->width;
    info->height = (int32_t)decoder->image->height;
    info->has_alpha = decoder->alphaPresent != 0;
    info->channels = info->has_alpha ? 4 : 3;
    info->orientation = orientation_of(decoder->image);
    info->frames = decoder->imageCount > 0 ? decoder->imageCount : 1;
    av.decoder_destroy(decoder);
    return IN_OK;
}

int in_avif_plan(const uint8_t *data, size_t size, const in_options *options, const in_info *info,
                 in_plan *plan, char *error, size_t error_size)
{
    avifDecoder *decoder;
    int status = open_decoder(data, size, options->max_dimension, &decoder, error, error_size);
    if (status != IN_OK) return status;
    const int64_t bps = decoder->image->depth > 8 ? 2 : 1;
    av.decoder_destroy(decoder);
    const int64_t pixels = (int64_t)info->width * info->height;
    const int channels = info->has_alpha ? 4 : 3;
    plan->kind = info->frames > 1 ? "AVIF sequence" : "AVIF";
    plan->channels = in_resizer_output_channels(channels, options->alpha_mode);
    plan->memory = pixels * (2 * 3 * bps + channels + (info->has_alpha ? 2 * bps : 0)) + IN_AVIF_STATE
        + in_resizer_memory(info->width, info->height, plan->target_w, plan->target_h, channels, options->alpha_mode);
    return IN_OK;
}

int in_avif_decode(const uint8_t *data, size_t size, const in_options *options, const in_info *info,
                   const in_plan *plan, in_image *image, char *error, size_t error_size)
{
    avifDecoder *decoder;
    int status = open_decoder(data, size, options->max_dimension, &decoder, error, error_size);
    if (status != IN_OK) return status;
    avifResult r = av.next_image(decoder);
    if (r != AVIF_RESULT_OK) {
        av.decoder_destroy(decoder);
        return in_fail(error, error_size, avif_status(r) == IN_UNSUPPORTED ? IN_INVALID : avif_status(r),
                       "corrupt or truncated AVIF (libavif: %s)", av.result_to_string(r));
    }
    const avifImage *decoded = decoder->image;
    const int w = (int)decoded->width, h = (int)decoded->height, channels = info->has_alpha ? 4 : 3;
    if (w != info->width || h != info->height) {
        av.decoder_destroy(decoder);
        return in_fail(error, error_size, IN_INVALID, "libavif decoded %dx%d where the container says %dx%d", w, h, info->width, info->height);
    }
    if (in_cancelled(options->cancel)) {
        av.decoder_destroy(decoder);
        return in_fail(error, error_size, IN_CANCELLED, "cancelled");
    }
    avifRGBImage rgb;
    av.rgb_set_defaults(&rgb, decoded);
    rgb.format = channels == 4 ? AVIF_RGB_FORMAT_RGBA : AVIF_RGB_FORMAT_RGB;
    rgb.depth = 8;
    rgb.rowBytes = (uint32_t)w * (uint32_t)channels;
    rgb.pixels = malloc((size_t)rgb.rowBytes * h);
    if (rgb.pixels == NULL) {
        av.decoder_destroy(decoder);
        return in_fail(error, error_size, IN_NO_MEMORY, "out of memory");
    }
    r = av.yuv_to_rgb(decoded, &rgb);
    if (r != AVIF_RESULT_OK) {
        status = in_fail(error, error_size, avif_status(r) == IN_UNSUPPORTED ? IN_INVALID : avif_status(r),
                         "AVIF colour conversion failed (libavif: %s)", av.result_to_string(r));
    } else {
        in_resizer *resizer = in_resizer_new(w, h, plan->target_w < w ? plan->target_w : w, plan->target_h < h ? plan->target_h : h,
                                             channels, options->alpha_mode);
        if (resizer == NULL) status = in_fail(error, error_size, IN_NO_MEMORY, "out of memory");
        else {
            for (int y = 0; y < h; y++) in_resizer_push(resizer, rgb.pixels + (size_t)y * rgb.rowBytes);
            status = in_resizer_take(resizer, image, error, error_size);
        }
    }
    free(rgb.pixels);
    av.decoder_destroy(decoder);
    return status;
}
