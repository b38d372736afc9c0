/* The PNG image data of the common case read without libpng's row reader (png_idat.c): 8-bit RGB
 * or RGBA, not interlaced. The IDAT chunks are inflated at once by libdeflate when the image is
 * small enough, else streamed through zlib on a helper thread; the calling thread undoes the row
 * filters (SSE2) and feeds the reducer, which may reduce on a thread of its own. The rows are
 * byte for byte what libpng gives. Called by png_read.c; calls the bottom layer (errors.c,
 * budget.h, resize.c), libdeflate and zlib. */
#ifndef IMAGES_NATIVE_PNG_IDAT_H
#define IMAGES_NATIVE_PNG_IDAT_H

#include <stddef.h>
#include <stdint.h>

#include "resize.h"

/* Whether the IDAT reader takes a file with this IHDR (bit depth, colour type, interlace method)
 * and this alpha (the probe's: tRNS counts). */
int in_png_idat_takes(int bit_depth, int color_type, int interlace, int has_alpha);

/* Bytes in_png_idat_decode allocates for the width x height image of channels bytes a pixel (3 or
 * 4) in the PNG file in data, the reducer's aside, and whether it inflates the whole stream at
 * once (*whole: when allowed and the stream and the inflated rows take at most 64 MiB, at most half
 * of max_memory and, with other_memory (the rest of the decode: the reducer, libpng's state), at
 * most max_memory; 0 for no budget) or streams it (a few rows, the ring between the threads,
 * zlib's state). */
int64_t in_png_idat_memory(const uint8_t *data, size_t size, int width, int height, int channels, int64_t max_memory,
                           int64_t other_memory, int allow_whole, int *whole);

/* in_png_idat_decode's whole: streamed, whole with the streamed reader taking what libdeflate
 * will not, or whole only (IN_FLAG_PNG_WHOLE_ONLY, for tests: that is an error instead). */
enum { IN_PNG_STREAMED = 0, IN_PNG_WHOLE = 1, IN_PNG_WHOLE_ONLY = 2 };

/* The IDAT chunks of the PNG file in data (its signature and IHDR already checked by libpng),
 * inflated (whole: as in_png_idat_memory decided), unfiltered and pushed into the resizer row by
 * row, top to bottom; then the chunks after them walked to IEND. Every chunk's CRC is checked, the zlib stream's Adler-32 is not (as
 * png_read.c asks of libpng). IN_OK, IN_INVALID ("corrupt PNG: ..."), IN_NO_MEMORY or
 * IN_CANCELLED (cancel read before every row). */
int in_png_idat_decode(const uint8_t *data, size_t size, int width, int height, int channels, int whole,
                       in_resizer *resizer, const volatile int32_t *cancel, char *error, size_t error_size);

#endif
