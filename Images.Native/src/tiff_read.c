/* TIFF through libtiff: the first page (IFD0) only, read from the caller's buffer. libtiff gets
 * client procedures over that buffer and takes it as its "mapped file", so strips and tiles are
 * decoded where they lie, never copied. The rows stream into the reducer as the other decoders'
 * do, in one of four ways (enum read_mode):
 *  - strips of interleaved samples: TIFFReadScanline, row by row (the codecs decode a strip as a
 *    stream: nothing holds more than a row, however tall the strip);
 *  - strips of one plane per sample: each plane's strip (TIFFReadEncodedStrip), then row by row;
 *  - tiles: one band of tile rows (a tile high, the image wide), filled tile by tile;
 *  - YCbCr not compressed with JPEG, and CIELab: libtiff's TIFFRGBAImage, a band of strips or tiles
 *    at a time (it upsamples and converts those to RGBA).
 * Natively: 1, 2, 4, 8 and 16 bits a sample (8 and 16 for RGB and CMYK), grey (min-is-black or
 * min-is-white, bilevel included), palette, RGB, CMYK (R = (255 - C)(255 - K) / 255, ...), YCbCr,
 * CIELab, with the first extra sample as alpha (associated alpha divided out; unspecified taken as
 * unassociated, as ImageSharp and libvips do); compressed with nothing, CCITT RLE, G3 or G4, LZW,
 * Deflate, PackBits, or JPEG (libjpeg converts YCbCr to RGB) when each strip or tile is one
 * interleaved scan, as JPEG-in-TIFF is meant to be. The rest is IN_UNSUPPORTED (float or signed
 * samples, other depths and photometrics, OJPEG, ZSTD, LZMA, WebP, JBIG, LERC, a progressive JPEG
 * strip): the managed path takes it, or says why it cannot. The orientation tag (274) is handed to
 * the dispatcher, which applies it as it does a JPEG's EXIF orientation.
 *
 * libtiff is told nothing through globals: each handle gets its own error and warning handlers
 * (TIFFClientOpenExt's options), which keep the first error as the message and print nothing; the
 * global handlers, which would print to stderr, are cleared once (with the codecs linked
 * statically that libtiff is this library's own, ADR 8).
 *
 * Budget (NFR-8), from the header (in_tiff_plan): libtiff's state and its codecs' (CCITT's run
 * arrays, 16 bytes a column; LZW's and zlib's tables; libjpeg's row buffers for the strip or tile
 * width), IFD0's tag values (a colour map, an ICC profile), 16 bytes per strip or tile for their
 * offsets and sizes (loaded on demand, into arrays that long), a copy of each strip when its bits
 * must be reversed (fill order 2), then the read mode's buffers (a scanline; a strip per plane; a
 * tile and a band; or TIFFRGBAImage's band of RGBA words and its strip or tile buffer), the palette
 * table, our converted row and the reducer. libtiff refuses any single allocation over the budget
 * (TIFFOpenOptionsSetMaxSingleMemAlloc: a second fence). Time: the cancel flag is read before every
 * row, strip and tile. */
#include "tiff_read.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tiffio.h>

#include "budget.h"
#include "errors.h"
#include "jpeg_markers.h"
#include "resize.h"

/* Pages counted at most: a longer chain (or a loop) is not walked further. The managed path's
 * Containers.MaxCounted. */
#define IN_TIFF_MAX_PAGES 100000
/* libtiff's codecs' own state beside IN_LIBRARY_STATE: LZW's code table (~80 KiB), zlib's window
 * and inflate state (~45 KiB), the JPEG codec's tables. */
#define IN_TIFF_CODEC_STATE (192 * 1024)

/* ---- The container, walked in place (libtiff reads IFD0 alone) ---- */

typedef struct container {
    int little, big;  /* byte order; BigTIFF */
    uint64_t first;   /* IFD0's offset */
} container;

static uint16_t rd16(const uint8_t *p, int little)
{
    return little ? (uint16_t)(p[0] | p[1] << 8) : (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t rd32(const uint8_t *p, int little)
{
    return little ? (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24
                  : (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static uint64_t rd64(const uint8_t *p, int little)
{
    return little ? (uint64_t)rd32(p + 4, 1) << 32 | rd32(p, 1) : (uint64_t)rd32(p, 0) << 32 | rd32(p + 4, 0);
}

static int read_container(const uint8_t *data, size_t size, container *c)
{
    if (size < 8) return 0;
    c->little = data[0] == 'I';
    c->big = rd16(data + 2, c->little) == 43;
    if (c->big && size < 16) return 0;
    c->first = c->big ? rd64(data + 8, c->little) : rd32(data + 4, c->little);
    return 1;
}

/* Whether the IFD at `ifd` lies whole inside the data (its entry count, entries and link), and
 * the offset of the next (0 at the end of the chain): Containers.TiffFirstPage's rules. */
static int ifd_link(const uint8_t *data, size_t size, const container *c, uint64_t ifd, uint64_t *next)
{
    const uint64_t count_size = c->big ? 8 : 2, entry_size = c->big ? 20 : 12, link_size = c->big ? 8 : 4;
    if (ifd < 8 || ifd >= size || size - ifd < count_size) return 0;
    const uint64_t entries = c->big ? rd64(data + ifd, c->little) : rd16(data + ifd, c->little);
    if (entries > size / entry_size) return 0;
    const uint64_t link = ifd + count_size + entries * entry_size;
    if (link > size || size - link < link_size) return 0;
    *next = c->big ? rd64(data + link, c->little) : rd32(data + link, c->little);
    return 1;
}

/* The IFD after `ifd` when there is one and it is whole, else 0. */
static uint64_t following(const uint8_t *data, size_t size, const container *c, uint64_t ifd)
{
    uint64_t next, unused;
    if (!ifd_link(data, size, c, ifd, &next) || next == 0) return 0;
    return ifd_link(data, size, c, next, &unused) ? next : 0;
}

/* The pages: every whole IFD of the chain, each counted once (where a loop closes, the count
 * ends), at most IN_TIFF_MAX_PAGES; 1 when even IFD0 is not whole. Brent's cycle detection: no
 * memory, whatever the chain. */
static int count_pages(const uint8_t *data, size_t size, const container *c)
{
    uint64_t unused;
    if (!ifd_link(data, size, c, c->first, &unused)) return 1;
    uint64_t tortoise = c->first, hare = c->first;
    long steps = 1, power = 1, lambda = 0;
    for (;;) {
        hare = following(data, size, c, hare);
        if (hare == 0) return steps < IN_TIFF_MAX_PAGES ? (int)steps : IN_TIFF_MAX_PAGES; /* the chain ends */
        steps++;
        lambda++;
        if (hare == tortoise) break; /* a loop of lambda IFDs */
        /* Brent finds a loop of mu + lambda IFDs within about 3 (mu + lambda) steps. */
        if (steps >= 4L * IN_TIFF_MAX_PAGES) return IN_TIFF_MAX_PAGES;
        if (lambda == power) {
            tortoise = hare;
            power *= 2;
            lambda = 0;
        }
    }
    /* mu, the IFDs before the loop: two walkers lambda apart meet where it starts. */
    uint64_t a = c->first, b = c->first;
    for (long i = 0; i < lambda; i++) b = following(data, size, c, b);
    long mu = 0;
    while (a != b && mu < IN_TIFF_MAX_PAGES) {
        a = following(data, size, c, a);
        b = following(data, size, c, b);
        mu++;
    }
    return mu + lambda < IN_TIFF_MAX_PAGES ? (int)(mu + lambda) : IN_TIFF_MAX_PAGES;
}

/* One entry of IFD0: its tag and type, how many values, and where they are (inside the entry when
 * they fit there, else at the offset it holds); `bytes` is 0 for a type of unknown size, or
 * values that would not fit in the file. */
typedef struct entry {
    uint16_t tag, type;
    uint64_t count, at, bytes;
} entry;

/* IFD0's entry `i` of `*entries` (0 entries when IFD0 is not whole). */
static int ifd0_entry(const uint8_t *data, size_t size, const container *c, uint64_t i, uint64_t *entries, entry *e)
{
    static const uint8_t type_size[19] = { 0, 1, 1, 2, 4, 8, 1, 1, 2, 4, 8, 4, 8, 4, 0, 0, 8, 8, 8 };
    uint64_t unused;
    const uint64_t count_size = c->big ? 8 : 2, entry_size = c->big ? 20 : 12, inline_size = c->big ? 8 : 4;
    *entries = !ifd_link(data, size, c, c->first, &unused) ? 0
             : c->big ? rd64(data + c->first, c->little) : rd16(data + c->first, c->little);
    if (i >= *entries) return 0;
    const uint8_t *p = data + c->first + count_size + i * entry_size;
    e->tag = rd16(p, c->little);
    e->type = rd16(p + 2, c->little);
    e->count = c->big ? rd64(p + 4, c->little) : rd32(p + 4, c->little);
    const uint64_t unit = e->type < sizeof(type_size) ? type_size[e->type] : 0;
    e->bytes = unit == 0 || e->count > size / unit ? 0 : e->count * unit;
    e->at = e->bytes <= inline_size ? (uint64_t)(p + 4 + (c->big ? 8 : 4) - data)
          : c->big ? rd64(p + 12, c->little) : rd32(p + 8, c->little);
    if (e->at > size || e->bytes > size - e->at) e->bytes = 0;
    return 1;
}

static int strile_array(uint16_t tag)
{
    return tag == TIFFTAG_STRIPOFFSETS || tag == TIFFTAG_STRIPBYTECOUNTS || tag == TIFFTAG_TILEOFFSETS || tag == TIFFTAG_TILEBYTECOUNTS;
}

/* Bytes of IFD0's tag values stored outside its entries, which libtiff reads into memory; the
 * strip and tile arrays are left out (read on demand, counted per strip or tile). */
static uint64_t ifd0_values(const uint8_t *data, size_t size, const container *c)
{
    const uint64_t inline_size = c->big ? 8 : 4;
    uint64_t entries, total = 0;
    entry e;
    for (uint64_t i = 0; ifd0_entry(data, size, c, i, &entries, &e); i++)
        if (!strile_array(e.tag) && e.bytes > inline_size) total += e.bytes; /* libtiff refuses values the file cannot hold */
    return total;
}

/* IFD0's array `tag` (SHORT, LONG or LONG8 values), read in place: 0 when absent or not whole. */
static int ifd0_array(const uint8_t *data, size_t size, const container *c, uint16_t tag, entry *array)
{
    uint64_t entries;
    for (uint64_t i = 0; ifd0_entry(data, size, c, i, &entries, array); i++)
        if (array->tag == tag)
            return array->bytes > 0 && (array->type == TIFF_SHORT || array->type == TIFF_LONG || array->type == TIFF_LONG8);
    return 0;
}

static uint64_t array_value(const uint8_t *data, const container *c, const entry *array, uint64_t i)
{
    if (array->type == TIFF_SHORT) return rd16(data + array->at + 2 * i, c->little);
    if (array->type == TIFF_LONG) return rd32(data + array->at + 4 * i, c->little);
    return rd64(data + array->at + 8 * i, c->little);
}

/* ---- libtiff over the caller's buffer ---- */

typedef struct source {
    const uint8_t *data;
    uint64_t size, offset;
    char message[256]; /* libtiff's first error */
    int over_limit;    /* it refused an allocation over the open options' limit */
} source;

static tmsize_t source_read(thandle_t handle, void *buffer, tmsize_t length)
{
    source *s = handle;
    if (length <= 0 || s->offset >= s->size) return 0;
    uint64_t n = s->size - s->offset;
    if ((uint64_t)length < n) n = (uint64_t)length;
    memcpy(buffer, s->data + s->offset, (size_t)n);
    s->offset += n;
    return (tmsize_t)n;
}

static tmsize_t source_write(thandle_t handle, void *buffer, tmsize_t length)
{
    (void)handle;
    (void)buffer;
    (void)length;
    return -1; /* read only */
}

static toff_t source_seek(thandle_t handle, toff_t offset, int whence)
{
    source *s = handle;
    const uint64_t base = whence == SEEK_CUR ? s->offset : whence == SEEK_END ? s->size : 0;
    s->offset = base + offset; /* past the end, reads return nothing */
    return s->offset;
}

static int source_close(thandle_t handle)
{
    (void)handle;
    return 0;
}

static toff_t source_size(thandle_t handle) { return ((source *)handle)->size; }

static int source_map(thandle_t handle, void **base, toff_t *size)
{
    source *s = handle;
    *base = (void *)s->data; /* libtiff only reads it */
    *size = s->size;
    return 1;
}

static void source_unmap(thandle_t handle, void *base, toff_t size)
{
    (void)handle;
    (void)base;
    (void)size;
}

static int on_error(TIFF *tif, void *user_data, const char *module, const char *format, va_list args)
{
    (void)tif;
    (void)module;
    source *s = user_data;
    if (strstr(format, "byte limit defined in open options") != NULL) s->over_limit = 1;
    if (s->message[0] == '\0') vsnprintf(s->message, sizeof(s->message), format, args);
    return 1; /* handled: libtiff calls no global handler after this one */
}

static int on_warning(TIFF *tif, void *user_data, const char *module, const char *format, va_list args)
{
    (void)tif;
    (void)user_data;
    (void)module;
    (void)format;
    (void)args;
    return 1;
}

static pthread_once_t quiet_once = PTHREAD_ONCE_INIT;

/* The global handlers get what libtiff reports before a handle exists; by default they print. */
static void quiet(void)
{
    TIFFSetErrorHandler(NULL);
    TIFFSetWarningHandler(NULL);
}

/* IFD0 read ("r"), the buffer as libtiff's mapped file (the default), strip and tile offsets read
 * on demand ("O") rather than the whole arrays a header may declare; no single allocation of
 * libtiff's over max_alloc (0: none). NULL with s->message when the header does not read. */
static TIFF *open_source(source *s, const uint8_t *data, size_t size, int64_t max_alloc)
{
    memset(s, 0, sizeof(*s));
    s->data = data;
    s->size = size;
    pthread_once(&quiet_once, quiet);
    TIFFOpenOptions *options = TIFFOpenOptionsAlloc();
    if (options == NULL) return NULL;
    TIFFOpenOptionsSetErrorHandlerExtR(options, on_error, s);
    TIFFOpenOptionsSetWarningHandlerExtR(options, on_warning, s);
    if (max_alloc > 0) TIFFOpenOptionsSetMaxSingleMemAlloc(options, (tmsize_t)max_alloc);
    TIFF *tif = TIFFClientOpenExt("TIFF", "rO", s, source_read, source_write, source_seek, source_close, source_size,
                                  source_map, source_unmap, options);
    TIFFOpenOptionsFree(options);
    return tif;
}

/* What libtiff said, as a status: over the budget when it refused an allocation for it. */
static int libtiff_failure(const source *s, const char *what, char *error, size_t error_size)
{
    const char *detail = s->message[0] != '\0' ? s->message : "libtiff could not read it";
    if (s->over_limit) return in_fail(error, error_size, IN_OVER_BUDGET, "%s: over the decode budget (%s)", what, detail);
    return in_fail(error, error_size, IN_INVALID, "%s: %s", what, detail);
}

/* ---- What the first page is and how it is read ---- */

enum read_mode { READ_SCANLINES, READ_PLANES, READ_TILES, READ_RGBA };
enum colour_kind { KIND_GREY, KIND_PALETTE, KIND_RGB, KIND_CMYK };

typedef struct layout {
    uint32_t width, height;
    uint16_t bps, spp, photometric, planar, compression, fill_order;
    int kind;                 /* enum colour_kind */
    int colour;               /* samples that make the colour: 1 (grey, palette), 3 (RGB), 4 (CMYK) */
    int alpha;                /* 0, EXTRASAMPLE_ASSOCALPHA or EXTRASAMPLE_UNASSALPHA: the first extra sample */
    int mode;                 /* enum read_mode */
    int planes;               /* buffers read per band: 1, or each sample used when planar separate */
    int channels;             /* of the rows handed to the reducer: 1, 2, 3 or 4 */
    int direct;               /* the decoded rows are the reducer's as they are */
    uint32_t rows_per_strip, tile_w, tile_h;
    uint64_t striles;         /* strips or tiles, every plane's */
    const uint16_t *map[3];   /* palette: libtiff's colour map (red, green, blue; 65535 is full) */
} layout;

static int natively_compressed(uint16_t compression)
{
    switch (compression) {
    case COMPRESSION_NONE: case COMPRESSION_CCITTRLE: case COMPRESSION_CCITTFAX3: case COMPRESSION_CCITTFAX4:
    case COMPRESSION_LZW: case COMPRESSION_JPEG: case COMPRESSION_ADOBE_DEFLATE: case COMPRESSION_DEFLATE:
    case COMPRESSION_PACKBITS:
        return 1;
    default:
        return 0;
    }
}

/* The channels and alpha the probe reports: 1 grey, 3 colour, 4 CMYK, one more for an extra
 * sample (alpha), at most 4 (CMYK with alpha says 4 and has_alpha). */
static void header_channels(uint16_t photometric, uint16_t spp, in_info *info)
{
    int colour;
    switch (photometric) {
    case PHOTOMETRIC_MINISWHITE: case PHOTOMETRIC_MINISBLACK: colour = 1; break;
    case PHOTOMETRIC_SEPARATED: colour = 4; break;
    default: colour = 3; break; /* palette, RGB, YCbCr, Lab... */
    }
    const int colour_samples = photometric == PHOTOMETRIC_PALETTE ? 1 : colour; /* an index makes the colour */
    info->has_alpha = spp > colour_samples;
    info->channels = colour + info->has_alpha < 4 ? colour + info->has_alpha : 4;
}

/* The layout of IFD0 and how it will be read; IN_UNSUPPORTED (with the reason) for what this
 * decoder leaves to the managed path. Sets libtiff's JPEG colour mode for YCbCr JPEG data, which
 * changes the scanline and tile sizes libtiff reports: call it before asking for them. */
static int describe(TIFF *tif, layout *l, char *error, size_t error_size)
{
    memset(l, 0, sizeof(*l));
    uint16_t sample_format = SAMPLEFORMAT_UINT, inkset = INKSET_CMYK, extra_count = 0;
    uint16_t *extra = NULL;
    if (!TIFFGetField(tif, TIFFTAG_IMAGEWIDTH, &l->width) || !TIFFGetField(tif, TIFFTAG_IMAGELENGTH, &l->height)
        || !TIFFGetField(tif, TIFFTAG_PHOTOMETRIC, &l->photometric))
        return in_fail(error, error_size, IN_INVALID, "corrupt TIFF header: no width, height or photometric interpretation");
    TIFFGetFieldDefaulted(tif, TIFFTAG_BITSPERSAMPLE, &l->bps);
    TIFFGetFieldDefaulted(tif, TIFFTAG_SAMPLESPERPIXEL, &l->spp);
    TIFFGetFieldDefaulted(tif, TIFFTAG_PLANARCONFIG, &l->planar);
    TIFFGetFieldDefaulted(tif, TIFFTAG_COMPRESSION, &l->compression);
    TIFFGetFieldDefaulted(tif, TIFFTAG_FILLORDER, &l->fill_order);
    TIFFGetFieldDefaulted(tif, TIFFTAG_SAMPLEFORMAT, &sample_format);
    TIFFGetFieldDefaulted(tif, TIFFTAG_INKSET, &inkset);
    TIFFGetFieldDefaulted(tif, TIFFTAG_EXTRASAMPLES, &extra_count, &extra);

    if (!natively_compressed(l->compression))
        return in_fail(error, error_size, IN_UNSUPPORTED, "TIFF compressed with scheme %u: left to the managed path", l->compression);
    if (sample_format != SAMPLEFORMAT_UINT && sample_format != SAMPLEFORMAT_VOID)
        return in_fail(error, error_size, IN_UNSUPPORTED, "TIFF of sample format %u: left to the managed path", sample_format);
    const int low_depth = l->bps == 1 || l->bps == 2 || l->bps == 4;
    if (!(low_depth || l->bps == 8 || l->bps == 16) || (l->compression == COMPRESSION_JPEG && l->bps != 8))
        return in_fail(error, error_size, IN_UNSUPPORTED, "TIFF of %u bits a sample: left to the managed path", l->bps);

    l->mode = READ_SCANLINES;
    switch (l->photometric) {
    case PHOTOMETRIC_MINISWHITE:
    case PHOTOMETRIC_MINISBLACK:
        l->kind = KIND_GREY;
        l->colour = 1;
        break;
    case PHOTOMETRIC_PALETTE:
        l->kind = KIND_PALETTE;
        l->colour = 1;
        if (!TIFFGetField(tif, TIFFTAG_COLORMAP, &l->map[0], &l->map[1], &l->map[2]))
            return in_fail(error, error_size, IN_INVALID, "corrupt TIFF: a palette image without a colour map");
        break;
    case PHOTOMETRIC_RGB:
        l->kind = KIND_RGB;
        l->colour = 3;
        break;
    case PHOTOMETRIC_SEPARATED:
        if (inkset != INKSET_CMYK)
            return in_fail(error, error_size, IN_UNSUPPORTED, "TIFF with inks other than CMYK: left to the managed path");
        l->kind = KIND_CMYK;
        l->colour = 4;
        break;
    case PHOTOMETRIC_YCBCR:
        l->kind = KIND_RGB;
        l->colour = 3;
        if (l->compression == COMPRESSION_JPEG && l->planar == PLANARCONFIG_CONTIG) {
            /* libjpeg converts to RGB (and upsamples the chroma): the data reads as 8-bit RGB. */
            if (!TIFFSetField(tif, TIFFTAG_JPEGCOLORMODE, JPEGCOLORMODE_RGB))
                return in_fail(error, error_size, IN_INVALID, "corrupt TIFF: its JPEG colour mode cannot be set");
        } else {
            l->mode = READ_RGBA;
        }
        break;
    case PHOTOMETRIC_CIELAB:
        l->kind = KIND_RGB;
        l->colour = 3;
        l->mode = READ_RGBA;
        break;
    default:
        return in_fail(error, error_size, IN_UNSUPPORTED, "TIFF of photometric interpretation %u: left to the managed path", l->photometric);
    }
    if ((low_depth && l->colour != 1) || (l->bps == 16 && l->mode == READ_RGBA))
        return in_fail(error, error_size, IN_UNSUPPORTED, "TIFF of %u bits a sample in photometric interpretation %u: left to the managed path",
                       l->bps, l->photometric);
    if (l->spp < l->colour || l->spp > 32)
        return in_fail(error, error_size, IN_INVALID, "corrupt TIFF: %u samples a pixel for photometric interpretation %u", l->spp, l->photometric);
    if (l->spp > l->colour)
        l->alpha = extra_count > 0 && extra != NULL && extra[0] == EXTRASAMPLE_ASSOCALPHA ? EXTRASAMPLE_ASSOCALPHA : EXTRASAMPLE_UNASSALPHA;

    l->planar = l->spp > 1 ? l->planar : PLANARCONFIG_CONTIG;
    if (TIFFIsTiled(tif)) {
        if (!TIFFGetField(tif, TIFFTAG_TILEWIDTH, &l->tile_w) || !TIFFGetField(tif, TIFFTAG_TILELENGTH, &l->tile_h)
            || l->tile_w == 0 || l->tile_h == 0)
            return in_fail(error, error_size, IN_INVALID, "corrupt TIFF: tiles without a size");
        l->striles = TIFFNumberOfTiles(tif);
        if (l->mode != READ_RGBA) l->mode = READ_TILES;
    } else {
        TIFFGetFieldDefaulted(tif, TIFFTAG_ROWSPERSTRIP, &l->rows_per_strip);
        if (l->rows_per_strip == 0 || l->rows_per_strip > l->height) l->rows_per_strip = l->height;
        l->striles = TIFFNumberOfStrips(tif);
        if (l->mode != READ_RGBA && l->planar == PLANARCONFIG_SEPARATE) l->mode = READ_PLANES;
    }
    if (l->mode == READ_RGBA) {
        char message[1024] = "";
        if (!TIFFRGBAImageOK(tif, message))
            return in_fail(error, error_size, IN_UNSUPPORTED, "TIFF libtiff cannot convert (%s): left to the managed path", message);
    }
    l->planes = l->planar == PLANARCONFIG_SEPARATE ? l->colour + (l->alpha != 0) : 1;
    l->channels = (l->kind == KIND_GREY ? 1 : 3) + (l->alpha != 0);
    l->direct = l->mode != READ_RGBA && l->bps == 8 && l->planes == 1 && l->spp == l->channels
        && (l->kind == KIND_GREY || l->kind == KIND_RGB) && l->photometric != PHOTOMETRIC_MINISWHITE
        && l->alpha != EXTRASAMPLE_ASSOCALPHA;
    return IN_OK;
}

/* ---- The working memory (saturating: a header may declare anything) ---- */

static uint64_t add(uint64_t a, uint64_t b) { return a > UINT64_MAX - b ? UINT64_MAX : a + b; }

static uint64_t mul(uint64_t a, uint64_t b) { return b != 0 && a > UINT64_MAX / b ? UINT64_MAX : a * b; }

/* The read mode's buffers and libtiff's, everything but the reducer. */
static uint64_t read_memory(TIFF *tif, const layout *l, uint64_t tag_values, size_t file_size)
{
    uint64_t m = IN_LIBRARY_STATE + IN_TIFF_CODEC_STATE;
    m = add(m, mul(l->width, 16));       /* CCITT's two run arrays */
    m = add(m, tag_values);              /* IFD0's tag values */
    m = add(m, mul(l->striles, 16));     /* strip or tile offsets and byte counts */
    if (l->fill_order == FILLORDER_LSB2MSB && l->compression != COMPRESSION_CCITTRLE
        && l->compression != COMPRESSION_CCITTFAX3 && l->compression != COMPRESSION_CCITTFAX4)
        m = add(m, file_size);           /* a strip's bits reversed in a copy */
    if (l->compression == COMPRESSION_JPEG) /* libjpeg's sample and upsampling rows for a strip or tile's width */
        m = add(m, mul(l->mode == READ_TILES ? l->tile_w : l->width, (uint64_t)l->spp * 96));
    if (l->kind == KIND_PALETTE) m = add(m, (uint64_t)3 << l->bps);
    m = add(m, mul(l->width, (uint64_t)l->channels)); /* our converted row */
    switch (l->mode) {
    case READ_SCANLINES:
        m = add(m, TIFFScanlineSize64(tif));
        break;
    case READ_PLANES:
        m = add(m, mul(l->planes, TIFFStripSize64(tif)));
        break;
    case READ_TILES: {
        const uint64_t across = (l->width + (uint64_t)l->tile_w - 1) / l->tile_w;
        m = add(m, TIFFTileSize64(tif));
        m = add(m, mul(mul(mul(l->planes, across), TIFFTileRowSize64(tif)), l->tile_h));
        break;
    }
    default: { /* TIFFRGBAImage: our band of RGBA words, its buffer of a strip or tile, its colour tables */
        const uint64_t band = l->tile_h > 0 ? l->tile_h : l->rows_per_strip;
        m = add(m, mul(mul(l->width, band), 4));
        m = add(m, mul(l->planes, l->tile_h > 0 ? TIFFTileSize64(tif) : TIFFStripSize64(tif)));
        m = add(m, 256 * 1024);
        break;
    }
    }
    return m;
}

/* Whether libtiff can size the read mode's buffers (it says 0, with an error, for sizes past 64
 * bits or sample counts it refuses). */
static int sizes_known(TIFF *tif, const layout *l)
{
    switch (l->mode) {
    case READ_SCANLINES: return TIFFScanlineSize64(tif) > 0;
    case READ_PLANES: return TIFFScanlineSize64(tif) > 0 && TIFFStripSize64(tif) > 0;
    case READ_TILES: return TIFFTileSize64(tif) > 0 && TIFFTileRowSize64(tif) > 0;
    default: return (l->tile_h > 0 ? TIFFTileSize64(tif) : TIFFStripSize64(tif)) > 0;
    }
}

/* ---- probe, plan, decode ---- */

int in_tiff_probe(const uint8_t *data, size_t size, in_info *info, char *error, size_t error_size)
{
    container c;
    if (!read_container(data, size, &c)) return in_fail(error, error_size, IN_INVALID, "corrupt TIFF header: the file is too short");
    source s;
    TIFF *tif = open_source(&s, data, size, 0);
    if (tif == NULL) return libtiff_failure(&s, "corrupt TIFF header", error, error_size);
    uint32_t width = 0, height = 0;
    uint16_t photometric = PHOTOMETRIC_MINISBLACK, spp = 1, orientation = ORIENTATION_TOPLEFT;
    TIFFGetField(tif, TIFFTAG_IMAGEWIDTH, &width);
    TIFFGetField(tif, TIFFTAG_IMAGELENGTH, &height);
    TIFFGetField(tif, TIFFTAG_PHOTOMETRIC, &photometric);
    TIFFGetFieldDefaulted(tif, TIFFTAG_SAMPLESPERPIXEL, &spp);
    TIFFGetFieldDefaulted(tif, TIFFTAG_ORIENTATION, &orientation);
    TIFFClose(tif);
    info->format = IN_FORMAT_TIFF;
    /* Sides past INT32_MAX are reported as INT32_MAX: over every limit, and in_tiff_plan refuses them. */
    info->width = width > INT32_MAX ? INT32_MAX : (int32_t)width;
    info->height = height > INT32_MAX ? INT32_MAX : (int32_t)height;
    header_channels(photometric, spp, info);
    info->orientation = orientation >= 1 && orientation <= 8 ? orientation : 1;
    info->frames = count_pages(data, size, &c);
    return IN_OK;
}

/* Every strip and tile of the page, walked in place before anything is decoded (their offsets and
 * sizes read from IFD0's arrays in the buffer, nothing allocated): each must start inside the file
 * (libtiff's own message for one that does not gives a negative byte count), and with JPEG
 * compression each must be one interleaved sequential scan, as JPEG-in-TIFF is meant to be: for
 * anything else libjpeg would buffer the coefficients of a whole strip, which the plan does not
 * count (IN_UNSUPPORTED: the managed path takes it). Arrays libtiff cannot read either are left to
 * it to report. */
static int check_striles(const layout *l, int tiled, const uint8_t *data, size_t size, const container *c,
                         char *error, size_t error_size)
{
    entry offsets, lengths;
    if (!ifd0_array(data, size, c, tiled ? TIFFTAG_TILEOFFSETS : TIFFTAG_STRIPOFFSETS, &offsets)
        || !ifd0_array(data, size, c, tiled ? TIFFTAG_TILEBYTECOUNTS : TIFFTAG_STRIPBYTECOUNTS, &lengths))
        return IN_OK;
    const char *what = tiled ? "tile" : "strip";
    uint64_t n = l->striles < offsets.count ? l->striles : offsets.count;
    if (lengths.count < n) n = lengths.count;
    for (uint64_t i = 0; i < n; i++) {
        const uint64_t offset = array_value(data, c, &offsets, i);
        uint64_t length = array_value(data, c, &lengths, i);
        if (offset >= size && length > 0)
            return in_fail(error, error_size, IN_INVALID, "corrupt TIFF: %s %llu starts at byte %llu, past the end of the file (%zu bytes)",
                           what, (unsigned long long)i, (unsigned long long)offset, size);
        if (offset >= size) continue;
        if (length > size - offset) length = size - offset;
        if (l->compression == COMPRESSION_JPEG && in_jpeg_multiple_scans(data + offset, (size_t)length))
            return in_fail(error, error_size, IN_UNSUPPORTED,
                           "TIFF whose JPEG %s %llu is progressive or not interleaved: left to the managed path", what, (unsigned long long)i);
    }
    return IN_OK;
}

int in_tiff_plan(const uint8_t *data, size_t size, const in_options *options, const in_info *info,
                 in_plan *plan, char *error, size_t error_size)
{
    container c;
    if (!read_container(data, size, &c)) return in_fail(error, error_size, IN_INVALID, "corrupt TIFF header: the file is too short");
    source s;
    TIFF *tif = open_source(&s, data, size, options->max_memory);
    if (tif == NULL) return libtiff_failure(&s, "corrupt TIFF header", error, error_size);
    layout l;
    int status = describe(tif, &l, error, error_size);
    if (status == IN_OK && (l.width > INT32_MAX || l.height > INT32_MAX))
        status = in_fail(error, error_size, IN_TOO_LARGE, "the TIFF is %ux%u, over the largest side of %d pixels", l.width, l.height, INT32_MAX);
    if (status == IN_OK && !sizes_known(tif, &l))
        status = libtiff_failure(&s, "corrupt TIFF header", error, error_size);
    if (status == IN_OK) {
        uint64_t m = read_memory(tif, &l, ifd0_values(data, size, &c), size);
        m = add(m, (uint64_t)in_resizer_memory(info->width, info->height, plan->target_w, plan->target_h, l.channels, options->alpha_mode));
        plan->memory = m > INT64_MAX ? INT64_MAX : (int64_t)m;
        plan->kind = l.mode == READ_TILES ? "tiled TIFF" : l.mode == READ_PLANES ? "TIFF of one plane per sample"
                   : l.compression == COMPRESSION_JPEG ? "JPEG-compressed TIFF" : "TIFF";
        plan->channels = in_resizer_output_channels(l.channels, options->alpha_mode);
        status = check_striles(&l, TIFFIsTiled(tif), data, size, &c, error, error_size);
    }
    TIFFClose(tif);
    return status;
}

/* ---- Rows: libtiff's samples to the reducer's pixels ---- */

typedef struct reader {
    TIFF *tif;
    const layout *l;
    const source *s;
    const volatile int32_t *cancel;
    in_resizer *resizer;
    uint8_t *row;             /* the converted row, width x channels */
    uint8_t *lut;             /* palette: 3 bytes an index */
} reader;

static unsigned sample(const uint8_t *row, size_t index, int bps)
{
    if (bps == 8) return row[index];
    if (bps == 16) {
        uint16_t v;
        memcpy(&v, row + 2 * index, 2); /* libtiff has put it in the machine's byte order */
        return v;
    }
    const size_t bit = index * (size_t)bps; /* 1, 2 or 4 bits, the first in the high bits */
    return (unsigned)(row[bit >> 3] >> (8 - bps - (int)(bit & 7))) & ((1u << bps) - 1);
}

static uint8_t to8(unsigned value, int bps)
{
    if (bps == 8) return (uint8_t)value;
    if (bps == 16) return (uint8_t)(value >> 8);
    return (uint8_t)(value * 255 / ((1u << bps) - 1));
}

static uint8_t mul255(unsigned a, unsigned b) { return (uint8_t)((a * b + 127) / 255); }

/* Associated alpha divided out of the colour before it (the reducer takes straight alpha). */
static void unpremultiply(uint8_t *pixel, int colour, unsigned alpha)
{
    for (int i = 0; i < colour; i++) {
        const unsigned v = alpha == 0 ? 0 : (pixel[i] * 255u + alpha / 2) / alpha;
        pixel[i] = (uint8_t)(v > 255 ? 255 : v);
    }
}

/* One row as the reducer takes it. rows[p] is plane p (planar separate), or rows[0] every sample
 * interleaved. */
static void convert(const reader *r, const uint8_t *const *rows, uint8_t *out)
{
    const layout *l = r->l;
    const int separate = l->planes > 1, step = separate ? 1 : l->spp, out_colour = l->channels - (l->alpha != 0);
    for (uint32_t x = 0; x < l->width; x++, out += l->channels) {
        unsigned v[5];
        for (int i = 0; i < l->colour + (l->alpha != 0); i++)
            v[i] = sample(rows[separate ? i : 0], (size_t)x * step + (separate ? 0 : i), l->bps);
        switch (l->kind) {
        case KIND_GREY: {
            const uint8_t grey = to8(v[0], l->bps);
            out[0] = l->photometric == PHOTOMETRIC_MINISWHITE ? 255 - grey : grey;
            break;
        }
        case KIND_PALETTE:
            memcpy(out, r->lut + 3 * (size_t)v[0], 3);
            break;
        case KIND_RGB:
            for (int i = 0; i < 3; i++) out[i] = to8(v[i], l->bps);
            break;
        default: { /* CMYK */
            const unsigned k = 255u - to8(v[3], l->bps);
            for (int i = 0; i < 3; i++) out[i] = mul255(255u - to8(v[i], l->bps), k);
            break;
        }
        }
        if (l->alpha != 0) {
            const uint8_t a = to8(v[l->colour], l->bps);
            out[out_colour] = a;
            if (l->alpha == EXTRASAMPLE_ASSOCALPHA) unpremultiply(out, out_colour, a);
        }
    }
}

static int push(reader *r, const uint8_t *const *rows)
{
    if (r->l->direct) {
        in_resizer_push(r->resizer, rows[0]);
    } else {
        convert(r, rows, r->row);
        in_resizer_push(r->resizer, r->row);
    }
    return IN_OK;
}

static int cancelled(const reader *r, char *error, size_t error_size)
{
    return in_cancelled(r->cancel) ? in_fail(error, error_size, IN_CANCELLED, "cancelled") : IN_OK;
}

static uint32_t smaller(uint32_t a, uint32_t b) { return a < b ? a : b; }

/* One zeroed buffer of `size` bytes per plane read (planes[] all freeable on failure). */
static int plane_buffers(const layout *l, uint8_t **planes, size_t count, size_t size, char *error, size_t error_size)
{
    for (int p = 0; p < l->planes; p++)
        if ((planes[p] = calloc(count, size)) == NULL) return in_fail(error, error_size, IN_NO_MEMORY, "out of memory");
    return IN_OK;
}

/* The first `rows` rows of a band held per plane, `stride` bytes apart, to the reducer. */
static int push_band(reader *r, uint8_t *const *planes, size_t stride, uint32_t rows)
{
    int status = IN_OK;
    for (uint32_t y = 0; y < rows && status == IN_OK; y++) {
        const uint8_t *rows_of[5];
        for (int p = 0; p < r->l->planes; p++) rows_of[p] = planes[p] + (size_t)y * stride;
        status = push(r, rows_of);
    }
    return status;
}

/* Strips of interleaved samples, a scanline at a time. */
static int read_scanlines(reader *r, char *error, size_t error_size)
{
    uint8_t *line = malloc((size_t)TIFFScanlineSize64(r->tif));
    if (line == NULL) return in_fail(error, error_size, IN_NO_MEMORY, "out of memory");
    int status = IN_OK;
    for (uint32_t y = 0; y < r->l->height && status == IN_OK; y++) {
        status = cancelled(r, error, error_size);
        if (status == IN_OK && TIFFReadScanline(r->tif, line, y, 0) < 0)
            status = libtiff_failure(r->s, "corrupt TIFF", error, error_size);
        if (status == IN_OK) {
            const uint8_t *rows[1] = { line };
            status = push(r, rows);
        }
    }
    free(line);
    return status;
}

/* Strips of one plane per sample: each plane's strip of a band, then its rows. */
static int read_planes(reader *r, char *error, size_t error_size)
{
    const layout *l = r->l;
    const tmsize_t strip_size = (tmsize_t)TIFFStripSize64(r->tif);
    const size_t row_size = (size_t)TIFFScanlineSize64(r->tif);
    const uint32_t strips = (l->height + l->rows_per_strip - 1) / l->rows_per_strip;
    uint8_t *planes[5] = { NULL };
    int status = plane_buffers(l, planes, 1, (size_t)strip_size, error, error_size);
    for (uint32_t strip = 0; strip < strips && status == IN_OK; strip++) {
        for (int p = 0; p < l->planes && status == IN_OK; p++) {
            status = cancelled(r, error, error_size);
            if (status == IN_OK && TIFFReadEncodedStrip(r->tif, (uint32_t)p * strips + strip, planes[p], strip_size) < 0)
                status = libtiff_failure(r->s, "corrupt TIFF", error, error_size);
        }
        if (status == IN_OK) status = push_band(r, planes, row_size, smaller(l->rows_per_strip, l->height - strip * l->rows_per_strip));
    }
    for (int p = 0; p < l->planes; p++) free(planes[p]);
    return status;
}

/* Tiles: a band of tile rows per plane, the image wide, filled tile by tile. */
static int read_tiles(reader *r, char *error, size_t error_size)
{
    const layout *l = r->l;
    const tmsize_t tile_size = (tmsize_t)TIFFTileSize64(r->tif);
    const size_t tile_row = (size_t)TIFFTileRowSize64(r->tif);
    const uint32_t across = (l->width + l->tile_w - 1) / l->tile_w;
    const size_t band_row = (size_t)across * tile_row;
    uint8_t *tile = calloc(1, (size_t)tile_size), *bands[5] = { NULL };
    int status = tile != NULL ? plane_buffers(l, bands, l->tile_h, band_row, error, error_size)
                              : in_fail(error, error_size, IN_NO_MEMORY, "out of memory");
    for (uint32_t top = 0; top < l->height && status == IN_OK; top += l->tile_h) {
        const uint32_t rows = smaller(l->tile_h, l->height - top);
        for (uint32_t column = 0; column < across && status == IN_OK; column++) {
            for (int p = 0; p < l->planes && status == IN_OK; p++) {
                status = cancelled(r, error, error_size);
                const uint32_t index = TIFFComputeTile(r->tif, column * l->tile_w, top, 0, (uint16_t)p);
                if (status == IN_OK && TIFFReadEncodedTile(r->tif, index, tile, tile_size) < 0)
                    status = libtiff_failure(r->s, "corrupt TIFF", error, error_size);
                for (uint32_t y = 0; y < rows && status == IN_OK; y++)
                    memcpy(bands[p] + (size_t)y * band_row + (size_t)column * tile_row, tile + (size_t)y * tile_row, tile_row);
            }
        }
        if (status == IN_OK) status = push_band(r, bands, band_row, rows);
    }
    free(tile);
    for (int p = 0; p < l->planes; p++) free(bands[p]);
    return status;
}

/* YCbCr (not JPEG) and CIELab: libtiff's RGBA conversion, a band of strips or tiles at a time, in
 * stored order (the dispatcher orients). Its alpha comes premultiplied. */
static int read_rgba(reader *r, char *error, size_t error_size)
{
    const layout *l = r->l;
    char message[1024] = "";
    TIFFRGBAImage image;
    if (!TIFFRGBAImageBegin(&image, r->tif, 1, message))
        return in_fail(error, error_size, IN_INVALID, "corrupt TIFF: %s", message[0] != '\0' ? message : r->s->message);
    image.req_orientation = image.orientation; /* no flip: rows as stored */
    const uint32_t band = l->tile_h > 0 ? l->tile_h : l->rows_per_strip;
    uint32_t *raster = malloc((size_t)l->width * band * 4);
    int status = raster != NULL ? IN_OK : in_fail(error, error_size, IN_NO_MEMORY, "out of memory");
    for (uint32_t top = 0; top < l->height && status == IN_OK; top += band) {
        const uint32_t rows = smaller(band, l->height - top);
        status = cancelled(r, error, error_size);
        image.row_offset = (int)top;
        image.col_offset = 0;
        if (status == IN_OK && !TIFFRGBAImageGet(&image, raster, l->width, rows))
            status = libtiff_failure(r->s, "corrupt TIFF", error, error_size);
        for (uint32_t y = 0; y < rows && status == IN_OK; y++) {
            const uint32_t *words = raster + (size_t)y * l->width;
            uint8_t *out = r->row;
            for (uint32_t x = 0; x < l->width; x++, out += l->channels) {
                out[0] = (uint8_t)TIFFGetR(words[x]);
                out[1] = (uint8_t)TIFFGetG(words[x]);
                out[2] = (uint8_t)TIFFGetB(words[x]);
                if (l->alpha != 0) {
                    out[3] = (uint8_t)TIFFGetA(words[x]);
                    unpremultiply(out, 3, out[3]);
                }
            }
            in_resizer_push(r->resizer, r->row);
        }
    }
    free(raster);
    TIFFRGBAImageEnd(&image);
    return status;
}

int in_tiff_decode(const uint8_t *data, size_t size, const in_options *options, const in_info *info,
                   const in_plan *plan, in_image *image, char *error, size_t error_size)
{
    source s;
    TIFF *tif = open_source(&s, data, size, options->max_memory);
    if (tif == NULL) return libtiff_failure(&s, "corrupt TIFF header", error, error_size);
    layout l;
    int status = describe(tif, &l, error, error_size);
    if (status == IN_OK && ((int64_t)l.width != info->width || (int64_t)l.height != info->height)) /* not the header the plan read */
        status = in_fail(error, error_size, IN_INVALID, "corrupt TIFF header");
    reader r = { tif, &l, &s, options->cancel, NULL, NULL, NULL };
    if (status == IN_OK) {
        r.resizer = in_resizer_new(info->width, info->height, plan->target_w, plan->target_h, l.channels, options->alpha_mode);
        r.row = malloc((size_t)l.width * (size_t)l.channels);
        if (l.kind == KIND_PALETTE && (r.lut = malloc((size_t)3 << l.bps)) != NULL)
            for (size_t i = 0; i < (size_t)1 << l.bps; i++)
                for (int c = 0; c < 3; c++) r.lut[3 * i + c] = (uint8_t)(l.map[c][i] >> 8);
        if (r.resizer == NULL || r.row == NULL || (l.kind == KIND_PALETTE && r.lut == NULL))
            status = in_fail(error, error_size, IN_NO_MEMORY, "out of memory");
    }
    if (status == IN_OK) {
        switch (l.mode) {
        case READ_SCANLINES: status = read_scanlines(&r, error, error_size); break;
        case READ_PLANES: status = read_planes(&r, error, error_size); break;
        case READ_TILES: status = read_tiles(&r, error, error_size); break;
        default: status = read_rgba(&r, error, error_size); break;
        }
    }
    if (status == IN_OK) {
        status = in_resizer_take(r.resizer, image, error, error_size);
        r.resizer = NULL;
    }
    in_resizer_free(r.resizer);
    free(r.row);
    free(r.lut);
    TIFFClose(tif);
    return status;
}
