/* libFuzzer harness: every input goes through the probe and the thumbnailer, with both outputs
 * and both ways of decoding progressive JPEGs. */
#include "images_native.h"

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char error[256];
    in_info info;
    in_result result;
    images_native_probe(data, size, &info, error, sizeof(error));
    for (int output = IN_OUTPUT_JPEG; output <= IN_OUTPUT_WEBP; output++) {
        /* JPEG output with the default decoding (unused AC scans of progressive JPEGs left out at 1/8),
         * WebP output with every scan decoded. */
        in_request request = { .max_side = 64, .quality = 75, .output = output, .flags = output == IN_OUTPUT_WEBP ? IN_FLAG_FULL_DECODE : 0,
                               .max_pixels = 4000000 };
        if (images_native_thumbnail(data, size, &request, &info, &result, error, sizeof(error)) == IN_OK)
            images_native_free(result.data);
    }
    return 0;
}
