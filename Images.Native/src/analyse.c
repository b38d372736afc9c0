/* The insight sample: see analyse.h. An exact area average (every source pixel falls in one target
 * cell; cells are the integer partition of the source), so the result is the same whatever the
 * source size's divisibility, and the managed path (ImageSharp) can make the same one. */
#include "analyse.h"

#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "images_native.h"

int in_sample_rgba(const uint8_t *pixels, int width, int height, int channels,
                   uint8_t **out, int *out_width, int *out_height, char *error, size_t error_size)
{
    *out = NULL;
    *out_width = *out_height = 0;
    if (pixels == NULL || width < 1 || height < 1 || channels < 1 || channels > 4)
        return in_fail(error, error_size, IN_INVALID, "no image to sample");
    int w = width, h = height;
    if (width > IN_SAMPLE_MAX_SIDE || height > IN_SAMPLE_MAX_SIDE) {
        if (width >= height) {
            w = IN_SAMPLE_MAX_SIDE;
            h = (int)(((int64_t)height * IN_SAMPLE_MAX_SIDE + width / 2) / width);
        } else {
            h = IN_SAMPLE_MAX_SIDE;
            w = (int)(((int64_t)width * IN_SAMPLE_MAX_SIDE + height / 2) / height);
        }
        if (w < 1) w = 1;
        if (h < 1) h = 1;
    }
    /* Sums per target cell: alpha-weighted colour, alpha, count. */
    double *sums = calloc((size_t)w * h * 5, sizeof(double));
    uint8_t *rgba = malloc((size_t)w * h * 4);
    if (sums == NULL || rgba == NULL) {
        free(sums);
        free(rgba);
        return in_fail(error, error_size, IN_NO_MEMORY, "out of memory while sampling");
    }
    for (int y = 0; y < height; y++) {
        const int ty = (int)((int64_t)y * h / height);
        const uint8_t *row = pixels + (size_t)y * width * channels;
        for (int x = 0; x < width; x++) {
            const int tx = (int)((int64_t)x * w / width);
            const uint8_t *p = row + (size_t)x * channels;
            double r, g, b, a;
            switch (channels) {
            case 1: r = g = b = p[0]; a = 255; break;
            case 2: r = g = b = p[0]; a = p[1]; break;
            case 3: r = p[0]; g = p[1]; b = p[2]; a = 255; break;
            default: r = p[0]; g = p[1]; b = p[2]; a = p[3]; break;
            }
            double *s = sums + ((size_t)ty * w + tx) * 5;
            s[0] += r * a;
            s[1] += g * a;
            s[2] += b * a;
            s[3] += a;
            s[4] += 1;
        }
    }
    for (size_t i = 0; i < (size_t)w * h; i++) {
        const double *s = sums + i * 5;
        uint8_t *o = rgba + i * 4;
        if (s[3] > 0) {
            for (int c = 0; c < 3; c++) {
                const double v = s[c] / s[3] + 0.5;
                o[c] = (uint8_t)(v > 255 ? 255 : v);
            }
        } else {
            o[0] = o[1] = o[2] = 0;
        }
        const double alpha = s[4] > 0 ? s[3] / s[4] + 0.5 : 0;
        o[3] = (uint8_t)(alpha > 255 ? 255 : alpha);
    }
    free(sums);
    *out = rgba;
    *out_width = w;
    *out_height = h;
    return IN_OK;
}
