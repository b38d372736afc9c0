#include "jpeg_guard.h"

#include <string.h>

#include <jerror.h>

#include "images_native.h"

void in_jpeg_guard_fail(j_common_ptr cinfo, int status)
{
    in_jpeg_guard *g = (in_jpeg_guard *)cinfo->err;
    g->status = status;
    longjmp(g->jump, 1);
}

static void on_error(j_common_ptr cinfo)
{
    in_jpeg_guard *g = (in_jpeg_guard *)cinfo->err;
    (*cinfo->err->format_message)(cinfo, g->text);
    if (cinfo->err->msg_code == JERR_NO_BACKING_STORE && g->budget_limited) {
        /* jmemnobs: a virtual array (the whole-image coefficient buffer) over max_memory_to_use. */
        snprintf(g->message, sizeof(g->message), "libjpeg's coefficient buffer does not fit the working-memory limit of %lld MiB",
                 (long long)(g->max_memory / (1024 * 1024)));
        in_jpeg_guard_fail(cinfo, IN_OVER_BUDGET);
    }
    snprintf(g->message, sizeof(g->message), "corrupt JPEG: %s", g->text);
    in_jpeg_guard_fail(cinfo, cinfo->err->msg_code == JERR_OUT_OF_MEMORY ? IN_NO_MEMORY : IN_INVALID);
}

struct jpeg_error_mgr *in_jpeg_guard_init(in_jpeg_guard *guard)
{
    memset(guard, 0, sizeof(*guard));
    guard->status = IN_INVALID;
    struct jpeg_error_mgr *err = jpeg_std_error(&guard->base);
    err->error_exit = on_error;
    return err;
}
