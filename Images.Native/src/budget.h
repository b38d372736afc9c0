/* The budget helpers every decoder uses (NFR-8): the allowance for a library's own state, the
 * cancellation check, and the message of a decode over the working-memory limit. Bottom layer:
 * calls only errors.c. */
#ifndef IMAGES_NATIVE_BUDGET_H
#define IMAGES_NATIVE_BUDGET_H

#include "images_native.h"

/* Fixed allowance for a library's own state (structures, Huffman and quantisation tables, zlib's
 * window): small against the terms that scale with the image, counted once per library. */
#define IN_LIBRARY_STATE (256 * 1024)

/* Whether another thread asked the decode to stop (the request's cancel flag, which may be NULL).
 * A plain volatile read: cheap enough for every row. */
static inline int in_cancelled(const volatile int32_t *cancel)
{
    return cancel != NULL && *cancel != 0;
}

/* IN_OVER_BUDGET with the message that names the figure and the limit, e.g. "decoding needs about
 * 1889 MiB of working memory (PNG 99000000x1, 4 channels), over the limit of 512 MiB". */
int in_over_budget(int64_t max_memory, const in_info *info, const char *kind, int64_t memory,
                   char *error, size_t error_size);

#endif
