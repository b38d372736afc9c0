/* The thumbnail's size (FR-2.1): longest side at most max_side, aspect kept, never upscaled.
 * Bottom layer: calls nothing of this library. */
#ifndef IMAGES_NATIVE_SIZES_H
#define IMAGES_NATIVE_SIZES_H

/* Sizes in stored orientation (the caller swaps them for orientations 5..8 if it needs to);
 * max_side <= 0 keeps the source size. */
void in_target_size(int width, int height, int max_side, int *out_width, int *out_height);

#endif
