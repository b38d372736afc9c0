#include "sizes.h"

void in_target_size(int width, int height, int max_side, int *out_width, int *out_height)
{
    int longest = width > height ? width : height;
    if (max_side <= 0 || longest <= max_side) {
        *out_width = width;
        *out_height = height;
        return;
    }
    double scale = (double)max_side / (double)longest;
    int w = (int)(width * scale + 0.5);
    int h = (int)(height * scale + 0.5);
    *out_width = w < 1 ? 1 : (w > width ? width : w);
    *out_height = h < 1 ? 1 : (h > height ? height : h);
}
