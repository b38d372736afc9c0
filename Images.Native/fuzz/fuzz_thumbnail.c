/* libFuzzer harness: every input goes through the probe, the plan and the thumbnailer with both
 * outputs (JPEG, WebP) and every combination of the decoding flags, under a budget (memory, side,
 * pixels, scans), and once more with the cancellation flag already set. The largest side, the
 * memory budget and the scan limit come from the input itself (its last byte, its middle byte and
 * its size), so that libFuzzer explores them with the image.
 *
 * Invariants; a broken one aborts (libFuzzer reports it with the input):
 *  - every status is one of enum in_status;
 *  - plan and thumbnail agree: the same header fields as the probe, and the same memory figure and
 *    frame count; a plan that fails makes the thumbnail fail with the same status and message;
 *    a plan within the budget has a figure within it, one over it a figure over it;
 *  - IN_OK: encoded bytes with the JPEG or WebP signature, a size of at least 1 x 1, the longest
 *    side at most max_side (and exactly max_side when the source is larger), never larger than the
 *    oriented source in either direction;
 *  - a failure: no result data and a message;
 *  - for PNG, WebP and TIFF the JPEG flags (which only concern progressive JPEGs) change nothing
 *    (TIFF's JPEG strips and tiles go through libtiff's own libjpeg decoder, never through them),
 *    and IN_FLAG_PNG_STREAMED (png_idat.c's zlib stream instead of libdeflate's whole one) may
 *    only fail where the whole stream succeeds (libdeflate takes a few malformed Huffman blocks
 *    zlib rejects): where it succeeds, the default does too, with the same bytes;
 *    IN_FLAG_LIBPNG_ONLY (libpng's row reader) may be stricter or laxer about a broken file, but
 *    where both succeed, the bytes are the same. This build ignores PNG chunk CRCs
 *    (FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION), so that mutated image data reaches the readers;
 *  - cancelled before it starts: never IN_OK; IN_CANCELLED unless the checks on the header failed;
 *  - renditions (ABI 5, the insight sample since ABI 7; JPEG, WebP and PNG at two sizes, from one decode; AVIF is left out: libaom
 *    under the sanitizers is slow and none of our code): a known status, as the renditions plan
 *    says; IN_OK: two sizes, each at most its side and the smaller within the larger, a JPEG and a
 *    WebP signature each, a PNG (signature) exactly when the source has alpha; a failure: no data.
 */
#include "images_native.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ERROR_SIZE 256

static void check(int condition, const char *what, int status, const char *message)
{
    if (condition) return;
    fprintf(stderr, "invariant broken: %s (status %d, message \"%s\")\n", what, status, message);
    abort();
}

/* What the input says about the request: 1..256 for the largest side, a budget of 1 MiB once in
 * four inputs (else 256 MiB), a limit of 8 scans once in four (else the default of 500). */
static in_request request_for(const uint8_t *data, size_t size, int output, int flags)
{
    const uint32_t p = size == 0 ? 0 : ((uint32_t)data[size - 1] | (uint32_t)data[size / 2] << 8) ^ (uint32_t)size;
    in_request request = {
        .max_side = 1 + (int)(p & 0xFF),
        .quality = 75,
        .output = output,
        .flags = flags,
        .max_pixels = 4000000,
        .max_memory = ((p >> 8) & 3) == 0 ? 1 << 20 : 256 << 20,
        .max_dimension = 16384,
        .max_scans = ((p >> 10) & 3) == 0 ? 8 : 0,
        .cancel = NULL,
    };
    return request;
}

static int same_header(const in_info *a, const in_info *b)
{
    return a->format == b->format && a->width == b->width && a->height == b->height && a->channels == b->channels
        && a->has_alpha == b->has_alpha && a->orientation == b->orientation && a->frames == b->frames;
}

/* Plan and thumbnail for one request; the thumbnail's result stays with the caller (free it). */
static int run(const uint8_t *data, size_t size, const in_request *request, int probed, const in_info *probe,
               in_result *result)
{
    char plan_error[ERROR_SIZE] = "", error[ERROR_SIZE] = "";
    in_info planned, info;
    memset(&planned, 0, sizeof(planned));
    memset(&info, 0, sizeof(info));
    const int plan = images_native_plan(data, size, request, &planned, plan_error, sizeof(plan_error));
    check(plan >= IN_OK && plan <= IN_OVER_BUDGET, "plan: a known status", plan, plan_error);
    check(plan == IN_OK || plan_error[0] != '\0', "plan: a failure has a message", plan, plan_error);
    check(probed == IN_OK || plan == probed, "plan fails as the probe does", plan, plan_error);
    if (probed == IN_OK) check(same_header(&planned, probe), "plan: the probe's header", plan, plan_error);
    if (plan == IN_OK)
        check(planned.memory > 0 && (request->max_memory == 0 || planned.memory <= request->max_memory),
              "plan: a figure within the budget", plan, plan_error);
    if (plan == IN_OVER_BUDGET) check(planned.memory > request->max_memory, "plan: a figure over the budget", plan, plan_error);

    memset(result, 0xA5, sizeof(*result)); /* the library clears it */
    const int status = images_native_thumbnail(data, size, request, &info, result, error, sizeof(error));
    check(status >= IN_OK && status <= IN_OVER_BUDGET, "thumbnail: a known status", status, error);
    if (plan != IN_OK) {
        check(status == plan && strcmp(error, plan_error) == 0, "thumbnail fails as the plan does", status, error);
    } else {
        check(same_header(&info, &planned) && info.memory == planned.memory,
              "thumbnail: the plan's header, memory figure and frames", status, error);
    }
    if (status != IN_OK) {
        check(result->data == NULL && result->size == 0, "a failure: no result data", status, error);
        check(error[0] != '\0', "a failure: a message", status, error);
        return status;
    }

    check(result->data != NULL && result->size > 0, "IN_OK: encoded bytes", status, error);
    if (request->output == IN_OUTPUT_WEBP)
        check(result->size >= 12 && memcmp(result->data, "RIFF", 4) == 0 && memcmp(result->data + 8, "WEBP", 4) == 0,
              "IN_OK: the WebP signature", status, error);
    else
        check(result->size >= 3 && result->data[0] == 0xFF && result->data[1] == 0xD8 && result->data[2] == 0xFF,
              "IN_OK: the JPEG signature", status, error);
    const int transposed = info.orientation >= 5 && info.orientation <= 8;
    const int source_w = transposed ? info.height : info.width, source_h = transposed ? info.width : info.height;
    const int longest = result->width > result->height ? result->width : result->height;
    const int source_longest = source_w > source_h ? source_w : source_h;
    check(result->width >= 1 && result->height >= 1, "IN_OK: at least 1 x 1", status, error);
    check(result->width <= source_w && result->height <= source_h, "IN_OK: never upscaled", status, error);
    check(longest <= request->max_side, "IN_OK: within max_side", status, error);
    check(source_longest <= request->max_side || longest == request->max_side, "IN_OK: the longest side is max_side",
          status, error);
    return status;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char error[ERROR_SIZE] = "";
    in_info probe;
    in_result result;
    const int probed = images_native_probe(data, size, &probe, error, sizeof(error));
    check(probed >= IN_OK && probed <= IN_OVER_BUDGET, "probe: a known status", probed, error);

    static const int all_flags[] = { 0, IN_FLAG_LIBJPEG_ONLY, IN_FLAG_FULL_DECODE, IN_FLAG_LIBJPEG_ONLY | IN_FLAG_FULL_DECODE,
                                     IN_FLAG_PNG_STREAMED, IN_FLAG_LIBPNG_ONLY };
    const int jpeg = probed == IN_OK && probe.format == IN_FORMAT_JPEG;
    const int png = probed == IN_OK && probe.format == IN_FORMAT_PNG;
    for (int output = IN_OUTPUT_JPEG; output <= IN_OUTPUT_WEBP; output++) {
        /* The JPEG flags concern progressive JPEGs only, the PNG ones PNGs: for other files, none
         * against all of them. */
        uint8_t *first = NULL;
        size_t first_size = 0;
        int first_status = IN_OK;
        for (size_t i = 0; i < sizeof(all_flags) / sizeof(all_flags[0]); i++) {
            const int png_flag = (all_flags[i] & (IN_FLAG_PNG_STREAMED | IN_FLAG_LIBPNG_ONLY)) != 0;
            if (jpeg ? png_flag : (i != 0 && i != 3 && !(png && png_flag))) continue;
            const in_request request = request_for(data, size, output, all_flags[i]);
            const int status = run(data, size, &request, probed, &probe, &result);
            if (!jpeg && i == 0) {
                first = result.data;
                first_size = result.size;
                first_status = status;
                continue;
            }
            const int same = status == first_status && result.size == first_size && (first_size == 0 || memcmp(result.data, first, first_size) == 0);
            if (all_flags[i] == IN_FLAG_LIBPNG_ONLY)
                check(same || status != IN_OK || first_status != IN_OK, "PNG: libpng's rows and png_idat.c's are the same", status, "");
            else if (all_flags[i] == IN_FLAG_PNG_STREAMED)
                check((status != IN_OK || same) && (first_status == IN_OK || status != IN_OK),
                      "PNG: streamed succeeds only where whole does, with the same bytes", status, "");
            else if (!jpeg)
                check(same, "PNG, WebP and TIFF: the flags change nothing", status, "");
            images_native_free(result.data);
        }
        images_native_free(first);
    }

    /* Renditions: the largest side from the input, a second at half of it. */
    {
        const in_request limits = request_for(data, size, IN_OUTPUT_JPEG, 0);
        in_renditions_request many;
        memset(&many, 0, sizeof(many));
        many.limits = limits;
        many.count = 2;
        many.sides[0] = limits.max_side;
        many.sides[1] = limits.max_side / 2 + 1;
        many.outputs = 1 << IN_OUTPUT_JPEG | 1 << IN_OUTPUT_WEBP | 1 << IN_OUTPUT_PNG;
        many.webp_quality = 75;
        many.avif_quality = 60;
        many.avif_speed = 10;
        in_info planned, info;
        in_renditions out;
        char plan_error[ERROR_SIZE] = "";
        const int plan = images_native_renditions_plan(data, size, &many, &planned, plan_error, sizeof(plan_error));
        check(plan >= IN_OK && plan <= IN_OVER_BUDGET, "renditions plan: a known status", plan, plan_error);
        memset(&out, 0xA5, sizeof(out)); /* the library clears it */
        const int status = images_native_renditions(data, size, &many, &info, &out, error, sizeof(error));
        check(status >= IN_OK && status <= IN_OVER_BUDGET, "renditions: a known status", status, error);
        if (plan != IN_OK) check(status == plan && strcmp(error, plan_error) == 0, "renditions fail as their plan does", status, error);
        else check(info.memory == planned.memory, "renditions: the plan's memory figure", status, error);
        if (status == IN_OK) {
            check(out.count == 2, "renditions: two sizes", status, error);
            for (int i = 0; i < 2; i++) {
                const in_rendition *r = &out.items[i];
                const int longest = r->width > r->height ? r->width : r->height;
                check(r->width >= 1 && r->height >= 1 && longest <= many.sides[i], "renditions: within the side", status, error);
                check(r->width <= out.items[0].width && r->height <= out.items[0].height, "renditions: the smaller within the larger", status, error);
                check(r->data[IN_OUTPUT_JPEG] != NULL && r->size[IN_OUTPUT_JPEG] >= 3 && r->data[IN_OUTPUT_JPEG][0] == 0xFF
                      && r->data[IN_OUTPUT_JPEG][1] == 0xD8, "renditions: a JPEG", status, error);
                check(r->data[IN_OUTPUT_WEBP] != NULL && r->size[IN_OUTPUT_WEBP] >= 12 && memcmp(r->data[IN_OUTPUT_WEBP] + 8, "WEBP", 4) == 0,
                      "renditions: a WebP", status, error);
                check((r->data[IN_OUTPUT_PNG] != NULL) == (info.has_alpha != 0), "renditions: a PNG exactly for alpha", status, error);
                check(r->data[IN_OUTPUT_PNG] == NULL || memcmp(r->data[IN_OUTPUT_PNG], "\x89PNG", 4) == 0, "renditions: the PNG signature", status, error);
                check(r->data[IN_OUTPUT_AVIF] == NULL, "renditions: no AVIF unless asked", status, error);
            }
            /* ABI 7: the insight sample, at most 100 px, never larger than the largest rendition. */
            check(out.sample != NULL && out.sample_width >= 1 && out.sample_height >= 1 && out.sample_width <= 100
                  && out.sample_height <= 100 && out.sample_width <= out.items[0].width && out.sample_height <= out.items[0].height,
                  "renditions: the insight sample", status, error);
        } else {
            for (int i = 0; i < IN_MAX_RENDITIONS; i++)
                for (int o = 0; o < IN_OUTPUTS; o++) check(out.items[i].data[o] == NULL, "renditions failed: no data", status, error);
            check(out.sample == NULL, "renditions failed: no sample", status, error);
        }
        images_native_renditions_free(&out);
    }

    /* Cancelled before it starts. */
    volatile int32_t cancel = 1;
    in_request cancelled = request_for(data, size, IN_OUTPUT_JPEG, 0);
    cancelled.cancel = &cancel;
    in_info info;
    char plan_error[ERROR_SIZE] = "";
    const int plan = images_native_plan(data, size, &cancelled, &info, plan_error, sizeof(plan_error));
    const int status = images_native_thumbnail(data, size, &cancelled, &info, &result, error, sizeof(error));
    check(status != IN_OK, "cancelled: never IN_OK", status, error);
    check(status == (plan != IN_OK ? plan : IN_CANCELLED), "cancelled: IN_CANCELLED unless the header checks failed", status, error);
    check(result.data == NULL, "cancelled: no result data", status, error);
    return 0;
}
