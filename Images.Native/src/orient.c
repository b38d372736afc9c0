#include "orient.h"

#include <stdlib.h>
#include <string.h>

uint8_t *in_orient(uint8_t *pixels, int *width, int *height, int channels, int orientation)
{
    if (orientation <= 1 || orientation > 8) return pixels;
    int w = *width, h = *height;
    int transpose = orientation >= 5;
    int ow = transpose ? h : w, oh = transpose ? w : h;
    uint8_t *out = malloc((size_t)ow * oh * channels);
    if (out == NULL) return NULL;
    for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
            int dx, dy;
            switch (orientation) {
            case 2: dx = w - 1 - x; dy = y; break;                 /* mirror horizontal */
            case 3: dx = w - 1 - x; dy = h - 1 - y; break;         /* rotate 180 */
            case 4: dx = x; dy = h - 1 - y; break;                 /* mirror vertical */
            case 5: dx = y; dy = x; break;                         /* transpose */
            case 6: dx = h - 1 - y; dy = x; break;                 /* rotate 90 clockwise */
            case 7: dx = h - 1 - y; dy = w - 1 - x; break;         /* transverse */
            default: dx = y; dy = w - 1 - x; break;                /* 8: rotate 270 clockwise */
            }
            memcpy(out + ((size_t)dy * ow + dx) * channels, pixels + ((size_t)y * w + x) * channels, (size_t)channels);
        }
    }
    *width = ow;
    *height = oh;
    return out;
}
