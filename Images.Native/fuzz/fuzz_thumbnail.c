/* libFuzzer harness: every input goes through the probe, the plan and the thumbnailer, with both
 * outputs and the three ways of decoding progressive JPEGs, under a budget (memory, side, pixels),
 * and once more with the cancellation flag already set, which must never give IN_OK. */
#include "images_native.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char error[256];
    in_info info;
    in_result result;
    images_native_probe(data, size, &info, error, sizeof(error));
    /* The default decoding (progressive JPEGs at 1/8 through the DC-scan decoder), libjpeg alone on
     * the reduced stream, and every scan decoded; JPEG and WebP output. */
    static const struct { int output, flags; } runs[] = {
        { IN_OUTPUT_JPEG, 0 }, { IN_OUTPUT_JPEG, IN_FLAG_LIBJPEG_ONLY }, { IN_OUTPUT_WEBP, IN_FLAG_FULL_DECODE },
    };
    for (size_t i = 0; i < sizeof(runs) / sizeof(runs[0]); i++) {
        in_request request = { .max_side = 64, .quality = 75, .output = runs[i].output, .flags = runs[i].flags,
                               .max_pixels = 4000000, .max_memory = 256 << 20, .max_dimension = 16384, .cancel = NULL };
        if (i == 0) images_native_plan(data, size, &request, &info, error, sizeof(error));
        if (images_native_thumbnail(data, size, &request, &info, &result, error, sizeof(error)) == IN_OK)
            images_native_free(result.data);
    }
    /* Cancelled before it starts: IN_CANCELLED, or a failure the checks before decoding found. */
    volatile int32_t cancel = 1;
    in_request cancelled = { .max_side = 64, .quality = 75, .max_pixels = 4000000, .max_memory = 256 << 20,
                             .max_dimension = 16384, .cancel = &cancel };
    int status = images_native_thumbnail(data, size, &cancelled, &info, &result, error, sizeof(error));
    if (status == IN_OK) abort();
    return 0;
}
