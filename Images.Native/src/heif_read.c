/* HEIC/HEIF through libheif (FR-8.6), opened at run time like lcms2 and libavif (ADR 12): Debian
 * ships no static libheif, and it would bring libde265 (and x265, aom, dav1d) with it. Missing, the
 * format is reported unsupported with "HEIC decoding is not available on this machine (libheif)"
 * and the managed path fails the image with that reason.
 *
 * Geometry: libheif applies the primary image's irot/imir (and clap) while decoding unless told
 * not to, and heif_image_handle_get_width/height are the size after them; the EXIF orientation an
 * iPhone also writes describes the same rotation, so it is NOT applied again: the orientation
 * handed to the dispatcher is always 1 (applied exactly once, by libheif).
 *
 * Budget (NFR-8), from the handle (ispe and the transforms) before anything is decoded:
 * libde265 decodes each coded image (the whole picture, or each tile of a grid) into planes of
 * its own, libheif assembles the full picture in YCbCr and converts it to interleaved RGB(A) (one
 * more full-size buffer), with alpha the auxiliary image decoded the same way; then the reducer.
 * Figure: width x height x (3 x bytes per sample for the YCbCr planes, twice: the decoder's and
 * libheif's, + 4 for RGBA, + 2 x bytes per sample for an alpha plane) + IN_HEIF_STATE; calibrated
 * with bench/native-memory.sh (ADR 6's method; the numbers are in ADR 15).
 * libheif's own limit (heif_context_set_maximum_image_size_limit) is set to the side limit, a
 * second fence behind the plan.
 * Time: libheif 1.15 has no cancellation hook (its progress callbacks cannot stop a decode), so
 * the flag is read before and after the decode only; the pixel and memory budgets bound it. */
#include "heif_read.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libheif/heif.h>

#include "budget.h"
#include "errors.h"
#include "resize.h"

/* libde265's context, its tables and thread pool, libheif's context and box tree. */
#define IN_HEIF_STATE (4 * 1024 * 1024)
#define IN_HEIF_UNAVAILABLE "HEIC decoding is not available on this machine (libheif)"

static struct {
    struct heif_context *(*context_alloc)(void);
    void (*context_free)(struct heif_context *);
    struct heif_error (*read_from_memory_without_copy)(struct heif_context *, const void *, size_t, const struct heif_reading_options *);
    int (*number_of_top_level_images)(struct heif_context *);
    struct heif_error (*primary_image_handle)(struct heif_context *, struct heif_image_handle **);
    void (*set_maximum_image_size_limit)(struct heif_context *, int);
    void (*set_max_decoding_threads)(struct heif_context *, int);
    void (*handle_release)(const struct heif_image_handle *);
    int (*handle_width)(const struct heif_image_handle *);
    int (*handle_height)(const struct heif_image_handle *);
    int (*handle_has_alpha)(const struct heif_image_handle *);
    int (*handle_luma_bits)(const struct heif_image_handle *);
    struct heif_decoding_options *(*options_alloc)(void);
    void (*options_free)(struct heif_decoding_options *);
    struct heif_error (*decode_image)(const struct heif_image_handle *, struct heif_image **, enum heif_colorspace, enum heif_chroma,
                                      const struct heif_decoding_options *);
    const uint8_t *(*plane_readonly)(const struct heif_image *, enum heif_channel, int *);
    int (*image_width)(const struct heif_image *, enum heif_channel);
    int (*image_height)(const struct heif_image *, enum heif_channel);
    void (*image_release)(const struct heif_image *);
    const char *(*version)(void);
    int (*have_decoder)(enum heif_compression_format);
} heif;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int loaded;
static char status_text[256];

#define SYMBOL(field, name)                                                                              \
    do {                                                                                                 \
        *(void **)(&heif.field) = dlsym(handle, name);                                                  \
        if (heif.field == NULL) {                                                                        \
            snprintf(status_text, sizeof(status_text), "not available: libheif.so.1 lacks %s", name);   \
            return;                                                                                      \
        }                                                                                                \
    } while (0)

static void load(void)
{
    void *handle = dlopen("libheif.so.1", RTLD_NOW | RTLD_LOCAL);
    if (handle == NULL) {
        const char *why = dlerror();
        snprintf(status_text, sizeof(status_text), "not available: %s", why != NULL ? why : "libheif.so.1 not found");
        return;
    }
    SYMBOL(context_alloc, "heif_context_alloc");
    SYMBOL(context_free, "heif_context_free");
    SYMBOL(read_from_memory_without_copy, "heif_context_read_from_memory_without_copy");
    SYMBOL(number_of_top_level_images, "heif_context_get_number_of_top_level_images");
    SYMBOL(primary_image_handle, "heif_context_get_primary_image_handle");
    SYMBOL(set_maximum_image_size_limit, "heif_context_set_maximum_image_size_limit");
    SYMBOL(set_max_decoding_threads, "heif_context_set_max_decoding_threads");
    SYMBOL(handle_release, "heif_image_handle_release");
    SYMBOL(handle_width, "heif_image_handle_get_width");
    SYMBOL(handle_height, "heif_image_handle_get_height");
    SYMBOL(handle_has_alpha, "heif_image_handle_has_alpha_channel");
    SYMBOL(handle_luma_bits, "heif_image_handle_get_luma_bits_per_pixel");
    SYMBOL(options_alloc, "heif_decoding_options_alloc");
    SYMBOL(options_free, "heif_decoding_options_free");
    SYMBOL(decode_image, "heif_decode_image");
    SYMBOL(plane_readonly, "heif_image_get_plane_readonly");
    SYMBOL(image_width, "heif_image_get_width");
    SYMBOL(image_height, "heif_image_get_height");
    SYMBOL(image_release, "heif_image_release");
    SYMBOL(version, "heif_get_version");
    SYMBOL(have_decoder, "heif_have_decoder_for_format");
    if (!heif.have_decoder(heif_compression_HEVC)) {
        snprintf(status_text, sizeof(status_text), "not available: libheif %s has no HEVC decoder", heif.version());
        return;
    }
    snprintf(status_text, sizeof(status_text), "libheif %s", heif.version());
    loaded = 1;
}

int in_heif_available(void)
{
    pthread_once(&once, load);
    return loaded;
}

const char *in_heif_status(void)
{
    pthread_once(&once, load);
    return status_text;
}

/* An open file: the context and its primary image. */
typedef struct opened { struct heif_context *ctx; struct heif_image_handle *handle; } opened;

static void close_file(opened *o)
{
    if (o->handle != NULL) heif.handle_release(o->handle);
    if (o->ctx != NULL) heif.context_free(o->ctx);
    o->handle = NULL;
    o->ctx = NULL;
}

/* IN_UNSUPPORTED is kept for a missing libheif (the managed path then says so): a file libheif
 * cannot read is the file's fault. */
static int heif_status(struct heif_error e)
{
    if (e.subcode == heif_suberror_Security_limit_exceeded) return IN_TOO_LARGE;
    if (e.code == heif_error_Memory_allocation_error) return IN_NO_MEMORY;
    return IN_INVALID;
}

/* The message lives in the context: formatted before the context is freed, on one line (libheif
 * ends some with a newline). */
static int heif_failure(struct heif_error e, const char *what, char *error, size_t error_size)
{
    char text[256];
    snprintf(text, sizeof(text), "%s", e.message != NULL ? e.message : "error");
    size_t n = strlen(text);
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)text[i] < 0x20) text[i] = ' ';
    while (n > 0 && text[n - 1] == ' ') text[--n] = '\0';
    return in_fail(error, error_size, heif_status(e), "%s HEIF (libheif: %s)", what, text);
}

static int open_file(const uint8_t *data, size_t size, int max_side, opened *o, char *error, size_t error_size)
{
    memset(o, 0, sizeof(*o));
    if (!in_heif_available()) return in_fail(error, error_size, IN_UNSUPPORTED, IN_HEIF_UNAVAILABLE ": %s", in_heif_status());
    o->ctx = heif.context_alloc();
    if (o->ctx == NULL) return in_fail(error, error_size, IN_NO_MEMORY, "out of memory");
    /* A second fence behind the plan: libheif refuses images wider or taller than this (its
     * default is 32768 x 32768 pixels in area terms). */
    if (max_side > 0) heif.set_maximum_image_size_limit(o->ctx, max_side);
    heif.set_max_decoding_threads(o->ctx, 1);
    struct heif_error e = heif.read_from_memory_without_copy(o->ctx, data, size, NULL);
    if (e.code == heif_error_Ok) e = heif.primary_image_handle(o->ctx, &o->handle);
    if (e.code != heif_error_Ok) {
        const int status = heif_failure(e, "corrupt, truncated or unsupported", error, error_size);
        close_file(o);
        return status;
    }
    return IN_OK;
}

static int probe_open(opened *o, in_info *info)
{
    info->format = IN_FORMAT_HEIF;
    info->width = heif.handle_width(o->handle);
    info->height = heif.handle_height(o->handle);
    info->has_alpha = heif.handle_has_alpha(o->handle) != 0;
    info->channels = info->has_alpha ? 4 : 3;
    info->orientation = 1; /* libheif applies irot/imir itself */
    const int images = heif.number_of_top_level_images(o->ctx);
    info->frames = images > 0 ? images : 1;
    return IN_OK;
}

int in_heif_probe(const uint8_t *data, size_t size, in_info *info, char *error, size_t error_size)
{
    opened o;
    int status = open_file(data, size, 0, &o, error, error_size);
    if (status != IN_OK) return status;
    probe_open(&o, info);
    close_file(&o);
    return IN_OK;
}

int in_heif_plan(const uint8_t *data, size_t size, const in_options *options, const in_info *info,
                 in_plan *plan, char *error, size_t error_size)
{
    opened o;
    int status = open_file(data, size, options->max_dimension, &o, error, error_size);
    if (status != IN_OK) return status;
    int bits = heif.handle_luma_bits(o.handle);
    close_file(&o);
    const int64_t bps = bits > 8 ? 2 : 1, pixels = (int64_t)info->width * info->height;
    const int channels = info->has_alpha ? 4 : 3;
    plan->kind = "HEIC";
    plan->channels = in_resizer_output_channels(channels, options->alpha_mode);
    plan->memory = pixels * (2 * 3 * bps + channels + (info->has_alpha ? 2 * bps : 0)) + IN_HEIF_STATE
        + in_resizer_memory(info->width, info->height, plan->target_w, plan->target_h, channels, options->alpha_mode);
    return IN_OK;
}

int in_heif_decode(const uint8_t *data, size_t size, const in_options *options, const in_info *info,
                   const in_plan *plan, in_image *image, char *error, size_t error_size)
{
    opened o;
    int status = open_file(data, size, options->max_dimension, &o, error, error_size);
    if (status != IN_OK) return status;
    const int channels = info->has_alpha ? 4 : 3;
    struct heif_decoding_options *decoding = heif.options_alloc();
    if (decoding == NULL) {
        close_file(&o);
        return in_fail(error, error_size, IN_NO_MEMORY, "out of memory");
    }
    decoding->ignore_transformations = 0; /* irot/imir applied here, once */
    if (decoding->version >= 2) decoding->convert_hdr_to_8bit = 1;
    struct heif_image *decoded = NULL;
    struct heif_error e = heif.decode_image(o.handle, &decoded, heif_colorspace_RGB,
                                            channels == 4 ? heif_chroma_interleaved_RGBA : heif_chroma_interleaved_RGB, decoding);
    heif.options_free(decoding);
    if (e.code != heif_error_Ok) {
        status = heif_failure(e, "corrupt or truncated", error, error_size);
        close_file(&o);
        return status;
    }
    int stride = 0;
    const uint8_t *pixels = heif.plane_readonly(decoded, heif_channel_interleaved, &stride);
    const int w = heif.image_width(decoded, heif_channel_interleaved), h = heif.image_height(decoded, heif_channel_interleaved);
    if (pixels == NULL || w != info->width || h != info->height || stride < w * channels) {
        status = in_fail(error, error_size, IN_INVALID, "libheif decoded %dx%d where the header says %dx%d", w, h, info->width, info->height);
    } else if (in_cancelled(options->cancel)) {
        status = in_fail(error, error_size, IN_CANCELLED, "cancelled");
    } else {
        in_resizer *resizer = in_resizer_new(w, h, plan->target_w < w ? plan->target_w : w, plan->target_h < h ? plan->target_h : h,
                                             channels, options->alpha_mode);
        if (resizer == NULL) status = in_fail(error, error_size, IN_NO_MEMORY, "out of memory");
        else {
            for (int y = 0; y < h; y++) in_resizer_push(resizer, pixels + (size_t)y * stride);
            status = in_resizer_take(resizer, image, error, error_size);
        }
    }
    heif.image_release(decoded);
    close_file(&o);
    return status;
}
