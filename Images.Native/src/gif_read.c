/* GIF through giflib (FR-8.6): the first frame only, drawn on the logical screen (transparent where
 * the frame does not cover it or its GCE's transparent index says so), rows streamed into the
 * reducer. giflib is linked in statically (Debian's libgif.a), like the other codecs (ADR 8).
 *
 * The container is walked in place first (walk()): the logical screen, the first image descriptor,
 * the graphic control extension before it, and the number of image descriptors, every data
 * sub-block skipped by its length, nothing decompressed: O(file size), at most IN_GIF_MAX_FRAMES
 * counted.
 *
 * Budget (NFR-8): giflib's state (its LZW tables are fixed: 4096-entry prefix, suffix and stack
 * arrays), one frame row of indices, one canvas row of RGBA, for an interlaced frame its whole
 * index plane (rows arrive in four passes), the reducer. A frame larger than the screen is read
 * row by row and clipped. Time: the cancel flag is read before every row; LZW decodes exactly the
 * frame's width x height pixels (a "bomb" cannot expand further than that), so the pixel and side
 * limits on the screen and the frame bound the work. */
#include "gif_read.h"

#include <stdlib.h>
#include <string.h>

#include <gif_lib.h>

#include "budget.h"
#include "errors.h"
#include "resize.h"

#define IN_GIF_MAX_FRAMES 100000
/* giflib's decoder state: GifFileType, its private part with the LZW tables
 * (4096 x (2 + 1 + 1) bytes and a 4 KiB stack), two colour maps. */
#define IN_GIF_STATE (64 * 1024)

typedef struct gif_layout {
    int screen_w, screen_h;
    int frames;
    int x, y, w, h;      /* the first image descriptor */
    int interlaced;
    int transparent;     /* the first frame's transparent index, or -1 */
    int truncated;
} gif_layout;

static int le16(const uint8_t *p) { return p[0] | p[1] << 8; }

/* Skips data sub-blocks from *at; 0 when the data ends first. */
static int skip_blocks(const uint8_t *data, size_t size, size_t *at)
{
    while (*at < size) {
        const size_t n = data[*at];
        *at += 1 + n;
        if (n == 0) return *at <= size;
    }
    return 0;
}

static int walk(const uint8_t *data, size_t size, gif_layout *l)
{
    memset(l, 0, sizeof(*l));
    l->transparent = -1;
    if (size < 13 || (memcmp(data, "GIF87a", 6) != 0 && memcmp(data, "GIF89a", 6) != 0)) return 0;
    l->screen_w = le16(data + 6);
    l->screen_h = le16(data + 8);
    size_t at = 13;
    if (data[10] & 0x80) at += 3 * ((size_t)2 << (data[10] & 7));
    int gce_transparent = -1;
    while (at < size && l->frames < IN_GIF_MAX_FRAMES) {
        const uint8_t kind = data[at++];
        if (kind == 0x3B) return 1; /* trailer */
        if (kind == 0x21) {         /* extension: label, sub-blocks */
            if (at >= size) break;
            const uint8_t label = data[at++];
            if (label == 0xF9 && at + 5 <= size && data[at] == 4)
                gce_transparent = (data[at + 1] & 1) ? data[at + 4] : -1;
            if (!skip_blocks(data, size, &at)) break;
        } else if (kind == 0x2C) {  /* image descriptor, local colour table, LZW size, sub-blocks */
            if (at + 9 > size) break;
            if (l->frames == 0) {
                l->x = le16(data + at);
                l->y = le16(data + at + 2);
                l->w = le16(data + at + 4);
                l->h = le16(data + at + 6);
                l->interlaced = (data[at + 8] & 0x40) != 0;
                l->transparent = gce_transparent;
            }
            const uint8_t packed = data[at + 8];
            at += 9;
            if (packed & 0x80) at += 3 * ((size_t)2 << (packed & 7));
            at += 1;
            l->frames++;
            gce_transparent = -1;
            if (at > size || !skip_blocks(data, size, &at)) break;
        } else {
            return 1; /* garbage after the last frame: giflib stops there too */
        }
    }
    if (l->frames < IN_GIF_MAX_FRAMES) l->truncated = 1;
    return 1;
}

/* The canvas: the screen, or the first frame's extent when the screen says 0 (as browsers do). */
static void canvas(const gif_layout *l, int *w, int *h)
{
    *w = l->screen_w > 0 ? l->screen_w : l->x + l->w;
    *h = l->screen_h > 0 ? l->screen_h : l->y + l->h;
}

static int covers(const gif_layout *l, int cw, int ch)
{
    return l->x == 0 && l->y == 0 && l->w >= cw && l->h >= ch;
}

int in_gif_probe(const uint8_t *data, size_t size, in_info *info, char *error, size_t error_size)
{
    gif_layout l;
    if (!walk(data, size, &l)) return in_fail(error, error_size, IN_INVALID, "corrupt GIF header");
    if (l.frames == 0) return in_fail(error, error_size, IN_INVALID, l.truncated ? "truncated GIF: no image" : "GIF without an image");
    int w, h;
    canvas(&l, &w, &h);
    info->format = IN_FORMAT_GIF;
    info->width = w;
    info->height = h;
    info->has_alpha = l.transparent >= 0 || !covers(&l, w, h);
    info->channels = info->has_alpha ? 4 : 3;
    info->orientation = 1;
    info->frames = l.frames;
    return IN_OK;
}

int in_gif_plan(const uint8_t *data, size_t size, const in_options *options, const in_info *info,
                in_plan *plan, char *error, size_t error_size)
{
    gif_layout l;
    if (!walk(data, size, &l) || l.frames == 0) return in_fail(error, error_size, IN_INVALID, "corrupt GIF");
    if (l.w <= 0 || l.h <= 0) return in_fail(error, error_size, IN_INVALID, "the first GIF frame is %dx%d", l.w, l.h);
    /* The frame is read whole even where it lies outside the screen. */
    if (options->max_dimension > 0 && (l.w > options->max_dimension || l.h > options->max_dimension))
        return in_fail(error, error_size, IN_TOO_LARGE, "the first GIF frame is %dx%d, over the largest side of %d pixels",
                       l.w, l.h, options->max_dimension);
    const int channels = info->has_alpha ? 4 : 3;
    plan->kind = l.interlaced ? "interlaced GIF" : "GIF";
    plan->channels = in_resizer_output_channels(channels, options->alpha_mode);
    plan->memory = IN_GIF_STATE + (int64_t)l.w + 4 * (int64_t)info->width
        + (l.interlaced ? (int64_t)l.w * l.h : 0)
        + in_resizer_memory(info->width, info->height, plan->target_w, plan->target_h, channels, options->alpha_mode)
        + IN_LIBRARY_STATE;
    return IN_OK;
}

typedef struct reader { const uint8_t *data; size_t size, at; } reader;

static int read_fn(GifFileType *gif, GifByteType *out, int n)
{
    reader *r = gif->UserData;
    size_t left = r->size - r->at;
    size_t take = n < 0 ? 0 : (size_t)n;
    if (take > left) take = left;
    memcpy(out, r->data + r->at, take);
    r->at += take;
    return (int)take;
}

static int gif_error(char *error, size_t error_size, int code, const char *what)
{
    const char *text = GifErrorString(code);
    const int status = code == D_GIF_ERR_NOT_ENOUGH_MEM ? IN_NO_MEMORY : IN_INVALID;
    return in_fail(error, error_size, status, "%s GIF (giflib: %s)", what, text != NULL ? text : "unknown error");
}

/* One canvas row: the frame's row ro (NULL outside the frame) over transparent (or, without
 * alpha, the frame covers the whole row). */
static void draw_row(uint8_t *row, int cw, int channels, const gif_layout *l, const GifByteType *indices,
                     const ColorMapObject *map)
{
    memset(row, 0, (size_t)cw * channels);
    if (indices == NULL) return;
    const int end = l->x + l->w < cw ? l->x + l->w : cw;
    for (int x = l->x; x < end; x++) {
        const int i = indices[x - l->x];
        uint8_t *p = row + (size_t)x * channels;
        if (i == l->transparent) continue; /* stays transparent */
        if (map != NULL && i < map->ColorCount) {
            p[0] = map->Colors[i].Red;
            p[1] = map->Colors[i].Green;
            p[2] = map->Colors[i].Blue;
        } /* an index past the palette is black, as giflib's own renderers draw it */
        if (channels == 4) p[3] = 255;
    }
}

int in_gif_decode(const uint8_t *data, size_t size, const in_options *options, const in_info *info,
                  const in_plan *plan, in_image *image, char *error, size_t error_size)
{
    gif_layout l;
    if (!walk(data, size, &l) || l.frames == 0) return in_fail(error, error_size, IN_INVALID, "corrupt GIF");
    const int cw = info->width, ch = info->height, channels = info->has_alpha ? 4 : 3;
    reader r = { data, size, 0 };
    int code = 0;
    GifFileType *gif = DGifOpen(&r, read_fn, &code);
    if (gif == NULL) return gif_error(error, error_size, code, "corrupt");
    int status = IN_OK;
    GifByteType *line = NULL, *plane = NULL;
    uint8_t *row = NULL;
    in_resizer *resizer = NULL;
    /* Up to the first image descriptor, extensions skipped (walk() read the one that matters). */
    GifRecordType type;
    for (;;) {
        if (DGifGetRecordType(gif, &type) == GIF_ERROR) { status = gif_error(error, error_size, gif->Error, "corrupt or truncated"); goto done; }
        if (type == IMAGE_DESC_RECORD_TYPE) break;
        if (type == TERMINATE_RECORD_TYPE) { status = in_fail(error, error_size, IN_INVALID, "GIF without an image"); goto done; }
        if (type == EXTENSION_RECORD_TYPE) {
            int ext_code;
            GifByteType *ext;
            if (DGifGetExtension(gif, &ext_code, &ext) == GIF_ERROR) { status = gif_error(error, error_size, gif->Error, "corrupt or truncated"); goto done; }
            while (ext != NULL)
                if (DGifGetExtensionNext(gif, &ext) == GIF_ERROR) { status = gif_error(error, error_size, gif->Error, "corrupt or truncated"); goto done; }
        }
    }
    if (DGifGetImageDesc(gif) == GIF_ERROR) { status = gif_error(error, error_size, gif->Error, "corrupt or truncated"); goto done; }
    if (gif->Image.Width != l.w || gif->Image.Height != l.h) { status = in_fail(error, error_size, IN_INVALID, "corrupt GIF image descriptor"); goto done; }
    const ColorMapObject *map = gif->Image.ColorMap != NULL ? gif->Image.ColorMap : gif->SColorMap;
    line = malloc((size_t)l.w);
    row = malloc((size_t)cw * channels);
    if (l.interlaced) plane = malloc((size_t)l.w * l.h);
    resizer = in_resizer_new(cw, ch, plan->target_w < cw ? plan->target_w : cw, plan->target_h < ch ? plan->target_h : ch,
                             channels, options->alpha_mode);
    if (line == NULL || row == NULL || resizer == NULL || (l.interlaced && plane == NULL)) {
        status = in_fail(error, error_size, IN_NO_MEMORY, "out of memory");
        goto done;
    }
    if (l.interlaced) {
        /* Four passes: rows 0, 8, 16...; 4, 12...; 2, 6...; 1, 3... */
        static const int start[4] = { 0, 4, 2, 1 }, step[4] = { 8, 8, 4, 2 };
        for (int pass = 0; pass < 4; pass++)
            for (int y = start[pass]; y < l.h; y += step[pass]) {
                if (in_cancelled(options->cancel)) { status = in_fail(error, error_size, IN_CANCELLED, "cancelled"); goto done; }
                if (DGifGetLine(gif, plane + (size_t)y * l.w, l.w) == GIF_ERROR) { status = gif_error(error, error_size, gif->Error, "corrupt or truncated"); goto done; }
            }
    }
    /* Canvas rows top to bottom; the frame's rows read in order (those below the canvas are not read). */
    for (int y = 0; y < ch; y++) {
        if (in_cancelled(options->cancel)) { status = in_fail(error, error_size, IN_CANCELLED, "cancelled"); goto done; }
        const GifByteType *indices = NULL;
        if (y >= l.y && y < l.y + l.h) {
            if (l.interlaced) indices = plane + (size_t)(y - l.y) * l.w;
            else {
                if (DGifGetLine(gif, line, l.w) == GIF_ERROR) { status = gif_error(error, error_size, gif->Error, "corrupt or truncated"); goto done; }
                indices = line;
            }
        }
        draw_row(row, cw, channels, &l, indices, map);
        in_resizer_push(resizer, row);
    }
    status = in_resizer_take(resizer, image, error, error_size);
    resizer = NULL;
done:
    in_resizer_free(resizer);
    free(line);
    free(plane);
    free(row);
    DGifCloseFile(gif, &code);
    return status;
}
