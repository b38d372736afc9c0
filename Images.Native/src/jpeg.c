/* JPEG through libjpeg-turbo: decode at the smallest DCT scale (1/8 .. 8/8) that still covers the
 * target, then the two-stage reduction while the scanlines stream in. libjpeg's errors longjmp
 * back into these functions only, never across the managed boundary. */
#include "internal.h"

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>

typedef struct guard {
    struct jpeg_error_mgr base;
    jmp_buf jump;
    char message[JMSG_LENGTH_MAX];
    int warnings;
} guard;

static void on_error(j_common_ptr cinfo)
{
    guard *g = (guard *)cinfo->err;
    (*cinfo->err->format_message)(cinfo, g->message);
    longjmp(g->jump, 1);
}

static void on_message(j_common_ptr cinfo, int level)
{
    guard *g = (guard *)cinfo->err;
    /* level -1: a warning such as "premature end of data segment" (a truncated file). */
    if (level < 0 && g->warnings++ == 0) (*cinfo->err->format_message)(cinfo, g->message);
}

static void setup(struct jpeg_decompress_struct *cinfo, guard *g)
{
    cinfo->err = jpeg_std_error(&g->base);
    g->base.error_exit = on_error;
    g->base.emit_message = on_message;
    g->message[0] = 0;
    g->warnings = 0;
}

/* EXIF orientation from the first APP1 "Exif" segment, read in place (libjpeg would copy every
 * APP1 segment, megabytes of XMP in some photos, to hand it over). */
static int orientation_in(const uint8_t *data, size_t size)
{
    size_t pos = 2;
    while (pos + 4 <= size && data[pos] == 0xFF) {
        uint8_t marker = data[pos + 1];
        if (marker == 0xFF) { pos++; continue; } /* fill byte */
        if (marker == 0xDA || marker == 0xD9) break;
        size_t length = (size_t)data[pos + 2] << 8 | data[pos + 3];
        if (length < 2 || length > size - pos - 2) break;
        if (marker == 0xE1 && length - 2 >= 6 && memcmp(data + pos + 4, "Exif\0\0", 6) == 0)
            return in_exif_orientation(data + pos + 4, length - 2);
        pos += 2 + length;
    }
    return 1;
}

static int channels_of(struct jpeg_decompress_struct *cinfo)
{
    switch (cinfo->jpeg_color_space) {
    case JCS_GRAYSCALE: return 1;
    case JCS_CMYK:
    case JCS_YCCK: return 4;
    default: return 3;
    }
}

int in_jpeg_probe(const uint8_t *data, size_t size, in_info *info, char *error, size_t error_size)
{
    struct jpeg_decompress_struct cinfo;
    guard g;
    setup(&cinfo, &g);
    if (setjmp(g.jump)) {
        jpeg_destroy_decompress(&cinfo);
        return in_fail(error, error_size, IN_INVALID, "corrupt JPEG header: %s", g.message);
    }
    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, data, (unsigned long)size);
    jpeg_read_header(&cinfo, TRUE);
    info->format = IN_FORMAT_JPEG;
    info->width = (int)cinfo.image_width;
    info->height = (int)cinfo.image_height;
    info->channels = channels_of(&cinfo);
    info->has_alpha = 0;
    info->orientation = orientation_in(data, size);
    jpeg_destroy_decompress(&cinfo);
    return IN_OK;
}

/* The decoding every thumbnail uses, at scale n/8 (and the 1/8 plan below predicts). */
static void configure(struct jpeg_decompress_struct *cinfo, unsigned n)
{
    cinfo->scale_num = n;
    cinfo->scale_denom = 8;
    cinfo->out_color_space = cinfo->jpeg_color_space == JCS_GRAYSCALE ? JCS_GRAYSCALE : JCS_RGB;
    cinfo->dct_method = JDCT_ISLOW;
    cinfo->do_fancy_upsampling = TRUE;
}

/* Whether chroma is stored at full resolution (4:4:4), which the encoder then keeps. */
static int has_full_chroma(const struct jpeg_decompress_struct *cinfo)
{
    return cinfo->num_components == 3
        && cinfo->comp_info[0].h_samp_factor == cinfo->comp_info[1].h_samp_factor
        && cinfo->comp_info[0].v_samp_factor == cinfo->comp_info[1].v_samp_factor;
}

/* At 1/8 scale most of a progressive JPEG is never used. Its DC coefficients sit in scans of
 * their own (Ss = 0), and libjpeg's 1x1 inverse DCT reads nothing else; subsampled chroma is
 * scaled up through a larger inverse DCT where libjpeg-turbo can (4:2:0 chroma gets a 2x2 DCT,
 * which also reads AC coefficients), so every AC scan of such a component is kept whole. Every
 * other AC scan, nearly all of the entropy-coded data, is left out of the stream libjpeg reads,
 * with a byte-identical result. */
typedef struct scan_plan {
    uint8_t keep_ac[256]; /* by component id: 1 when its AC scans are needed */
    int dc_decoder;       /* 8-bit grey or YCbCr: jpeg_dc.c can decode its DC scans */
    int out_w, out_h, components, full_chroma;
} scan_plan;

/* Fills the plan from the header (decoding at 1/8 as in_jpeg_thumbnail does); 0 when the file is
 * not progressive, every component needs its AC scans, or the header does not parse. */
static int plan_one_eighth(const uint8_t *data, size_t size, scan_plan *plan)
{
    struct jpeg_decompress_struct cinfo;
    guard g;
    setup(&cinfo, &g);
    if (setjmp(g.jump)) {
        jpeg_destroy_decompress(&cinfo);
        return 0;
    }
    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, data, (unsigned long)size);
    jpeg_read_header(&cinfo, TRUE);
    configure(&cinfo, 1);
    jpeg_calc_output_dimensions(&cinfo);
    memset(plan, 0, sizeof(*plan));
    int useful = 0;
    for (int c = 0; c < cinfo.num_components; c++) {
        int needs_ac = cinfo.comp_info[c].DCT_scaled_size != 1;
        plan->keep_ac[cinfo.comp_info[c].component_id & 0xFF] = (uint8_t)needs_ac;
        if (!needs_ac) useful = 1;
    }
    useful = useful && cinfo.progressive_mode;
    plan->dc_decoder = cinfo.data_precision == 8 && !cinfo.arith_code
        && ((cinfo.num_components == 1 && cinfo.jpeg_color_space == JCS_GRAYSCALE)
            || (cinfo.num_components == 3 && cinfo.jpeg_color_space == JCS_YCbCr));
    plan->out_w = (int)cinfo.output_width;
    plan->out_h = (int)cinfo.output_height;
    plan->components = cinfo.num_components;
    plan->full_chroma = has_full_chroma(&cinfo);
    jpeg_destroy_decompress(&cinfo);
    return useful;
}

/* Returns the stream without the AC scans the plan leaves out (the caller frees it), or NULL when
 * nothing is left out or the marker structure is not walked cleanly to the EOI marker (the caller
 * then decodes the original, which reports what is wrong with it). */
static uint8_t *drop_unused_scans(const uint8_t *data, size_t size, const scan_plan *plan, size_t *out_size)
{
    if (size < 4 || data[0] != 0xFF || data[1] != 0xD8) return NULL;
    uint8_t *out = malloc(size);
    if (out == NULL) return NULL;
    size_t pos = 2, used = 2;
    int dropped = 0;
    memcpy(out, data, 2);
    for (;;) {
        if (pos >= size || data[pos] != 0xFF) goto fail;
        while (pos < size && data[pos] == 0xFF) pos++; /* fill bytes */
        if (pos >= size) goto fail;
        uint8_t marker = data[pos++];
        if (marker == 0xD9) { /* EOI */
            out[used++] = 0xFF;
            out[used++] = 0xD9;
            break;
        }
        if (marker == 0x00 || marker == 0x01 || (marker >= 0xD0 && marker <= 0xD8)) goto fail;
        if (size - pos < 2) goto fail;
        size_t length = (size_t)data[pos] << 8 | data[pos + 1];
        if (length < 2 || length > size - pos) goto fail;
        size_t segment_end = pos + length;
        if (marker == 0xDA) {
            if (length < 3) goto fail;
            size_t components = data[pos + 2];
            if (components < 1 || length != 6 + 2 * components) goto fail;
            int spectral_start = data[pos + 3 + 2 * components];
            int keep = spectral_start == 0 || (components == 1 && plan->keep_ac[data[pos + 3]]);
            size_t end = in_jpeg_entropy_end(data, size, segment_end);
            if (end >= size) goto fail; /* truncated: no marker after the scan */
            if (keep) {
                out[used++] = 0xFF;
                out[used++] = marker;
                memcpy(out + used, data + pos, end - pos);
                used += end - pos;
            } else {
                dropped++;
            }
            pos = end;
            continue;
        }
        /* Metadata (EXIF, XMP, ICC, comments: megabytes in some photos) is not needed to decode;
         * JFIF (APP0) and Adobe (APP14) segments stay, they say how to read the colours. */
        if (!((marker >= 0xE1 && marker <= 0xED) || marker == 0xEF || marker == 0xFE)) {
            out[used++] = 0xFF;
            out[used++] = marker;
            memcpy(out + used, data + pos, length);
            used += length;
        }
        pos = segment_end;
    }
    if (dropped == 0) goto fail;
    *out_size = used;
    return out;
fail:
    free(out);
    return NULL;
}

size_t in_jpeg_entropy_end(const uint8_t *data, size_t size, size_t from)
{
    for (size_t end = from;; end++) {
        while (end < size && data[end] != 0xFF) end++;
        if (end + 1 >= size) return size;
        uint8_t next = data[end + 1];
        if (!(next == 0x00 || (next >= 0xD0 && next <= 0xD7) || next == 0xFF)) return end;
    }
}

/* The smallest scale n/8 whose output still covers the target in both directions. */
static unsigned scale_for(unsigned width, unsigned height, int target_w, int target_h)
{
    for (unsigned n = 1; n <= 8; n++)
        if ((int)((width * n + 7) / 8) >= target_w && (int)((height * n + 7) / 8) >= target_h) return n;
    return 8;
}

int in_jpeg_thumbnail(const uint8_t *data, size_t size, const in_request *request, in_info *info,
                      uint8_t **pixels, int *width, int *height, int *channels, int *full_chroma,
                      char *error, size_t error_size)
{
    if (info->channels == 4)
        return in_fail(error, error_size, IN_UNSUPPORTED, "CMYK JPEG: left to the managed path");

    int target_w, target_h;
    in_target_size(info->width, info->height, request->max_side, &target_w, &target_h);
    unsigned n = scale_for((unsigned)info->width, (unsigned)info->height, target_w, target_h);
    size_t dc_size = 0;
    uint8_t *volatile reduced = NULL; /* the stream without unused AC scans */
    scan_plan plan;
    int planned = n == 1 && !(request->flags & IN_FLAG_FULL_DECODE) && plan_one_eighth(data, size, &plan);
    if (planned && plan.dc_decoder && !(request->flags & IN_FLAG_LIBJPEG_ONLY)) {
        /* Every AC scan left out, the DC scans decoded here: one value per block instead of
         * libjpeg's whole coefficient buffer. 4:2:0 chroma then comes from its DC values alone,
         * replicated over 2x2 pixels, where libjpeg-turbo would run a 2x2 inverse DCT. */
        scan_plan dc_only = plan;
        memset(dc_only.keep_ac, 0, sizeof(dc_only.keep_ac));
        size_t stream_size = 0;
        uint8_t *stream = drop_unused_scans(data, size, &dc_only, &stream_size);
        if (stream != NULL) {
            int out_w = target_w < plan.out_w ? target_w : plan.out_w, out_h = target_h < plan.out_h ? target_h : plan.out_h;
            in_resizer *dc_resizer = in_resizer_new(plan.out_w, plan.out_h, out_w, out_h, plan.components, IN_ALPHA_NONE);
            int status = dc_resizer == NULL ? IN_NO_MEMORY : in_jpeg_dc_decode(stream, stream_size, dc_resizer, plan.out_w, plan.out_h);
            free(stream);
            if (status == IN_OK) {
                *full_chroma = plan.full_chroma;
                *channels = in_resizer_channels(dc_resizer);
                *pixels = in_resizer_finish(dc_resizer);
                in_resizer_free(dc_resizer);
                *width = out_w;
                *height = out_h;
                return *pixels != NULL ? IN_OK : in_fail(error, error_size, IN_NO_MEMORY, "out of memory");
            }
            in_resizer_free(dc_resizer); /* anything unexpected: libjpeg decodes, below */
        }
    }
    if (planned) {
        reduced = drop_unused_scans(data, size, &plan, &dc_size);
        if (reduced != NULL) {
            data = reduced;
            size = dc_size;
        }
    }

    struct jpeg_decompress_struct cinfo;
    guard g;
    in_resizer *volatile resizer = NULL;
    setup(&cinfo, &g);
    if (setjmp(g.jump)) {
        in_resizer_free(resizer);
        jpeg_destroy_decompress(&cinfo);
        free(reduced);
        return in_fail(error, error_size, IN_INVALID, "corrupt JPEG: %s", g.message);
    }
    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, data, (unsigned long)size);
    jpeg_read_header(&cinfo, TRUE);
    *full_chroma = has_full_chroma(&cinfo);
    /* With the AC scans left out, libjpeg would estimate the missing AC coefficients from the
     * neighbouring DC values ("block smoothing"), work the 1x1 DCT then throws away. */
    if (reduced != NULL) cinfo.do_block_smoothing = FALSE;
    configure(&cinfo, n);
    jpeg_start_decompress(&cinfo);

    int out_w = target_w <= (int)cinfo.output_width ? target_w : (int)cinfo.output_width;
    int out_h = target_h <= (int)cinfo.output_height ? target_h : (int)cinfo.output_height;
    resizer = in_resizer_new((int)cinfo.output_width, (int)cinfo.output_height, out_w, out_h,
                             cinfo.output_components, IN_ALPHA_NONE);
    JSAMPARRAY row = (*cinfo.mem->alloc_sarray)((j_common_ptr)&cinfo, JPOOL_IMAGE,
                                               cinfo.output_width * (JDIMENSION)cinfo.output_components, 1);
    if (resizer == NULL) {
        jpeg_destroy_decompress(&cinfo);
        free(reduced);
        return in_fail(error, error_size, IN_NO_MEMORY, "out of memory");
    }
    while (cinfo.output_scanline < cinfo.output_height) {
        jpeg_read_scanlines(&cinfo, row, 1);
        in_resizer_push(resizer, row[0]);
    }
    if (g.warnings > 0) {
        /* libjpeg fills a truncated scan with grey and only warns: treat it as the corruption it is. */
        in_resizer_free(resizer);
        jpeg_destroy_decompress(&cinfo);
        free(reduced);
        return in_fail(error, error_size, IN_INVALID, "truncated or corrupt JPEG: %s", g.message);
    }
    jpeg_finish_decompress(&cinfo);
    *channels = in_resizer_channels(resizer);
    *pixels = in_resizer_finish(resizer);
    in_resizer_free(resizer);
    jpeg_destroy_decompress(&cinfo);
    free(reduced);
    *width = out_w;
    *height = out_h;
    return IN_OK;
}

/* ---- encoding (JPEG or WebP) ---- */

#include <webp/encode.h>

typedef struct encode_guard {
    struct jpeg_error_mgr base;
    jmp_buf jump;
    char message[JMSG_LENGTH_MAX];
} encode_guard;

static void on_encode_error(j_common_ptr cinfo)
{
    encode_guard *g = (encode_guard *)cinfo->err;
    (*cinfo->err->format_message)(cinfo, g->message);
    longjmp(g->jump, 1);
}

int in_encode(const uint8_t *pixels, int width, int height, int channels, int full_chroma, const in_request *request,
              in_result *result, char *error, size_t error_size)
{
    int quality = request->quality < 1 ? 1 : request->quality > 100 ? 100 : request->quality;
    if (request->output == IN_OUTPUT_WEBP) {
        uint8_t *webp = NULL;
        size_t size;
        if (channels == 4) size = WebPEncodeRGBA(pixels, width, height, width * 4, (float)quality, &webp);
        else if (channels == 3) size = WebPEncodeRGB(pixels, width, height, width * 3, (float)quality, &webp);
        else return in_fail(error, error_size, IN_UNSUPPORTED, "WebP output of %d channels", channels);
        if (size == 0 || webp == NULL) return in_fail(error, error_size, IN_NO_MEMORY, "WebP encoding failed");
        result->data = malloc(size);
        if (result->data == NULL) {
            WebPFree(webp);
            return in_fail(error, error_size, IN_NO_MEMORY, "out of memory");
        }
        memcpy(result->data, webp, size);
        WebPFree(webp);
        result->size = size;
        result->width = width;
        result->height = height;
        return IN_OK;
    }
    if (channels != 1 && channels != 3) return in_fail(error, error_size, IN_UNSUPPORTED, "JPEG output of %d channels", channels);

    struct jpeg_compress_struct cinfo;
    encode_guard g;
    unsigned char *volatile out = NULL;
    unsigned long out_size = 0;
    cinfo.err = jpeg_std_error(&g.base);
    g.base.error_exit = on_encode_error;
    if (setjmp(g.jump)) {
        jpeg_destroy_compress(&cinfo);
        free(out);
        return in_fail(error, error_size, IN_NO_MEMORY, "JPEG encoding failed: %s", g.message);
    }
    jpeg_create_compress(&cinfo);
    unsigned char *buffer = NULL;
    jpeg_mem_dest(&cinfo, &buffer, &out_size);
    cinfo.image_width = (JDIMENSION)width;
    cinfo.image_height = (JDIMENSION)height;
    cinfo.input_components = channels;
    cinfo.in_color_space = channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_set_defaults(&cinfo);
    jpeg_set_quality(&cinfo, quality, TRUE);
    /* Chroma at full resolution (4:4:4) when the source JPEG had it, as the managed encoder keeps
     * it: at thumbnail size 4:2:0 smears coloured edges a pixel or two wide (about 7 dB PSNR on a
     * 4:4:4 artwork); 4:2:0 otherwise, the libjpeg default. */
    if (channels == 3 && full_chroma) {
        cinfo.comp_info[0].h_samp_factor = 1;
        cinfo.comp_info[0].v_samp_factor = 1;
    }
    cinfo.optimize_coding = TRUE;
    jpeg_start_compress(&cinfo, TRUE);
    while (cinfo.next_scanline < cinfo.image_height) {
        JSAMPROW row = (JSAMPROW)(pixels + (size_t)cinfo.next_scanline * width * channels);
        jpeg_write_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_compress(&cinfo);
    out = buffer;
    jpeg_destroy_compress(&cinfo);
    result->data = out;
    result->size = out_size;
    result->width = width;
    result->height = height;
    return IN_OK;
}
