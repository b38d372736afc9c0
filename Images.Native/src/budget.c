#include "budget.h"

#include <stdio.h>

#include "errors.h"

#define MIB (1024 * 1024LL)

int in_over_budget(int64_t max_memory, const in_info *info, const char *kind, int64_t memory,
                   char *error, size_t error_size)
{
    char limit[32];
    if (max_memory % MIB == 0) snprintf(limit, sizeof(limit), "%lld MiB", (long long)(max_memory / MIB));
    else snprintf(limit, sizeof(limit), "%lld bytes", (long long)max_memory);
    return in_fail(error, error_size, IN_OVER_BUDGET,
                   "decoding needs about %lld MiB of working memory (%s %dx%d, %d channels), over the limit of %s",
                   (long long)((memory + MIB - 1) / MIB), kind, info->width, info->height, info->channels, limit);
}
