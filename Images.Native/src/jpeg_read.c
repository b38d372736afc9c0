/* JPEG decoding through libjpeg-turbo: decode at the smallest DCT scale (1/8 .. 8/8) that still
 * covers the target, then the two-stage reduction while the scanlines stream in. libjpeg's errors
 * longjmp (through the shared guard, jpeg_guard.c) back into these functions only, never across
 * the managed boundary. Encoding is encode.c's.
 *
 * Budget (NFR-8), decided in in_jpeg_plan from jpeg_read_header + jpeg_calc_output_dimensions at
 * the chosen scale, before anything large is allocated; the terms are in libjpeg_memory() and
 * in_jpeg_plan. libjpeg's own max_memory_to_use is set to the budget too: with jmemnobs (the only
 * memory manager libjpeg-turbo builds) a whole-image coefficient buffer over it fails with "backing
 * store not supported" instead of being allocated, which is reported as IN_OVER_BUDGET.
 *
 * Time: libjpeg calls a progress monitor per iMCU row of every scan it reads and per
 * jpeg_read_scanlines call; it stops the decode (through the error guard's longjmp) when the
 * cancel flag is set or the file has more scans than the request allows. The scan walk
 * (jpeg_markers.c) and the DC-scan decoder (jpeg_dc.c) make the same checks per scan.
 *
 * Warnings: libjpeg only warns about corrupt or missing entropy-coded data and invents the rest
 * (zeros: grey blocks). A warning fails the image only when the invented data is data the
 * thumbnail is built from: a corrupt-data warning in a scan this scale reads (every scan of a
 * sequential file; a DC scan, or an AC scan of a component whose scaled inverse DCT reads AC
 * coefficients, in a progressive one) before that scan's last iMCU row; and a file that ends
 * inside any scan before its last iMCU row (truncated: what should have followed is unknown).
 * A file that ends between scans (only its EOI missing, or cut at a scan boundary) still gives a
 * thumbnail when every coefficient the scale reads is complete. Benign warnings (extraneous bytes
 * before a marker, JFIF/Adobe/ICC oddities, SOS parameters a sequential file ignores) never fail
 * the image. */
#include "jpeg_read.h"

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <jerror.h>

#include "budget.h"
#include "errors.h"
#include "jpeg_dc.h"
#include "jpeg_guard.h"
#include "jpeg_markers.h"
#include "resize.h"

/* The shared error guard (first, so that cinfo->err points at both) and what the decoder's
 * warning handler and progress monitor track. */
typedef struct guard {
    in_jpeg_guard base;
    struct jpeg_progress_mgr progress;
    const in_options *options;    /* NULL while only headers are read */
    int eof;                      /* the data ran out: libjpeg went on with a fake EOI marker */
    int tolerated;                /* warnings that did not touch what the thumbnail needs */
    unsigned seen;                /* components (by index) that appeared in a scan */
    uint8_t needs_ac[MAX_COMPONENTS]; /* by component index: its AC coefficients are read at this scale */
} guard;

/* Whether the current scan carries coefficients this scale reads. */
static int scan_needed(const struct jpeg_decompress_struct *d, const guard *g)
{
    if (!d->progressive_mode || d->Ss == 0) return 1;
    for (int i = 0; i < d->comps_in_scan; i++)
        if (g->needs_ac[d->cur_comp_info[i]->component_index]) return 1;
    return 0;
}

static void on_message(j_common_ptr cinfo, int level)
{
    guard *g = (guard *)cinfo->err;
    if (level >= 0 || g->options == NULL) return; /* trace messages; warnings while probing headers */
    int code = cinfo->err->msg_code;
    if (code == JWRN_JPEG_EOF) { /* decided at the marker libjpeg then hits, or at the end */
        g->eof = 1;
        return;
    }
    if (code != JWRN_HIT_MARKER && code != JWRN_HUFF_BAD_CODE && code != JWRN_ARITH_BAD_CODE
        && code != JWRN_MUST_RESYNC && code != JWRN_BOGUS_PROGRESSION) {
        g->tolerated++; /* benign: extraneous bytes, JFIF/Adobe/ICC versions, ... */
        return;
    }
    const struct jpeg_decompress_struct *d = (const struct jpeg_decompress_struct *)cinfo;
    /* A progression warning comes as a scan starts (before libjpeg resets input_iMCU_row). */
    int before_last_row = code == JWRN_BOGUS_PROGRESSION || d->input_iMCU_row + 1 < d->total_iMCU_rows;
    int truncated = code == JWRN_HIT_MARKER && g->eof; /* the marker is the fake EOI */
    if (before_last_row && (truncated || scan_needed(d, g))) {
        char text[JMSG_LENGTH_MAX];
        (*cinfo->err->format_message)(cinfo, text);
        if (truncated)
            snprintf(g->base.message, sizeof(g->base.message), "truncated JPEG: the data ends in scan %d at iMCU row %u of %u",
                     d->input_scan_number, d->input_iMCU_row + 1, d->total_iMCU_rows);
        else
            snprintf(g->base.message, sizeof(g->base.message), "truncated or corrupt JPEG: %s (scan %d, iMCU row %u of %u)",
                     text, d->input_scan_number, d->input_iMCU_row + 1, d->total_iMCU_rows);
        in_jpeg_guard_fail(cinfo, IN_INVALID);
    }
    g->tolerated++;
}

static void on_progress(j_common_ptr cinfo)
{
    guard *g = (guard *)cinfo->err;
    if (in_cancelled(g->options->cancel)) {
        snprintf(g->base.message, sizeof(g->base.message), "cancelled");
        in_jpeg_guard_fail(cinfo, IN_CANCELLED);
    }
    const struct jpeg_decompress_struct *d = (const struct jpeg_decompress_struct *)cinfo;
    if (d->input_scan_number > g->options->max_scans) {
        snprintf(g->base.message, sizeof(g->base.message), "more than %d scans in a progressive JPEG", g->options->max_scans);
        in_jpeg_guard_fail(cinfo, IN_INVALID);
    }
    for (int i = 0; i < d->comps_in_scan; i++) g->seen |= 1u << d->cur_comp_info[i]->component_index;
}

/* options NULL: header reads only (warnings ignored, no progress monitor). */
static void setup(struct jpeg_decompress_struct *cinfo, guard *g, const in_options *options)
{
    memset(g, 0, sizeof(*g));
    cinfo->err = in_jpeg_guard_init(&g->base);
    g->base.base.emit_message = on_message;
    g->options = options;
    if (options != NULL) {
        g->base.budget_limited = 1;
        g->base.max_memory = options->max_memory;
        g->progress.progress_monitor = on_progress;
    }
}

/* After jpeg_create_decompress: the monitor, and libjpeg's own memory limit (defense in depth). */
static void arm(struct jpeg_decompress_struct *cinfo, guard *g)
{
    if (g->options == NULL) return;
    cinfo->progress = &g->progress;
    if (g->options->max_memory > 0) cinfo->mem->max_memory_to_use = (long)g->options->max_memory;
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
    setup(&cinfo, &g, NULL);
    if (setjmp(g.base.jump)) {
        jpeg_destroy_decompress(&cinfo);
        return in_fail(error, error_size, IN_INVALID, "corrupt JPEG header: %s", g.base.text);
    }
    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, data, (unsigned long)size);
    jpeg_read_header(&cinfo, TRUE);
    info->format = IN_FORMAT_JPEG;
    info->width = (int)cinfo.image_width;
    info->height = (int)cinfo.image_height;
    info->channels = channels_of(&cinfo);
    info->has_alpha = 0;
    info->orientation = in_jpeg_orientation(data, size);
    jpeg_destroy_decompress(&cinfo);
    return IN_OK;
}

/* The decoding every thumbnail uses, at scale n/8 (and the 1/8 plan predicts). */
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

/* The smallest scale n/8 whose output still covers the target in both directions. */
static unsigned scale_for(unsigned width, unsigned height, int target_w, int target_h)
{
    for (unsigned n = 1; n <= 8; n++)
        if ((int)((width * n + 7) / 8) >= target_w && (int)((height * n + 7) / 8) >= target_h) return n;
    return 8;
}

static int64_t round_up(int64_t value, int64_t multiple) { return (value + multiple - 1) / multiple * multiple; }

/* Working memory of libjpeg decoding this header at the configured scale, our scanline and the
 * reducer included (after jpeg_calc_output_dimensions):
 *  - the main buffer: per component, width_in_blocks x DCT_scaled_size samples a row, for up to
 *    3 row groups of v_samp x DCT_scaled_size rows (the context rows fancy upsampling needs);
 *  - the upsampler's colour buffer: output_width (rounded to max_h_samp) x max_v_samp rows a
 *    component;
 *  - our scanline: output_width x output_components;
 *  - multi_scan (progressive, non-interleaved or buffered): the whole-image coefficient buffer,
 *    every block of every component (padded to whole MCUs) x 64 coefficients x 2 bytes;
 *  - the reducer from the scaled output to the target; libjpeg's own tables and structures. */
static int64_t libjpeg_memory(const struct jpeg_decompress_struct *cinfo, int multi_scan, int target_w, int target_h)
{
    int64_t m = IN_LIBRARY_STATE;
    for (int c = 0; c < cinfo->num_components; c++) {
        const jpeg_component_info *k = &cinfo->comp_info[c];
        int64_t s = k->DCT_scaled_size;
        m += (int64_t)k->width_in_blocks * s * 3 * k->v_samp_factor * s;
        m += round_up(cinfo->output_width, cinfo->max_h_samp_factor) * cinfo->max_v_samp_factor;
        if (multi_scan)
            m += round_up(k->width_in_blocks, k->h_samp_factor) * round_up(k->height_in_blocks, k->v_samp_factor) * (int64_t)sizeof(JBLOCK);
    }
    m += (int64_t)cinfo->output_width * cinfo->output_components;
    int out_w = target_w < (int)cinfo->output_width ? target_w : (int)cinfo->output_width;
    int out_h = target_h < (int)cinfo->output_height ? target_h : (int)cinfo->output_height;
    m += in_resizer_memory((int)cinfo->output_width, (int)cinfo->output_height, out_w, out_h, cinfo->output_components, IN_ALPHA_NONE);
    return m;
}

int in_jpeg_plan(const uint8_t *data, size_t size, const in_options *options, const in_info *info,
                 in_plan *plan, char *error, size_t error_size)
{
    if (info->channels == 4) return in_fail(error, error_size, IN_UNSUPPORTED, "CMYK JPEG: left to the managed path");
    struct jpeg_decompress_struct cinfo;
    guard g;
    setup(&cinfo, &g, NULL);
    if (setjmp(g.base.jump)) {
        jpeg_destroy_decompress(&cinfo);
        return in_fail(error, error_size, g.base.status, "%s", g.base.message);
    }
    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, data, (unsigned long)size);
    jpeg_read_header(&cinfo, TRUE);
    unsigned n = scale_for(cinfo.image_width, cinfo.image_height, plan->target_w, plan->target_h);
    configure(&cinfo, n);
    jpeg_calc_output_dimensions(&cinfo);

    plan->scale = (int)n;
    plan->kind = cinfo.progressive_mode ? "progressive JPEG" : "JPEG";
    plan->channels = cinfo.output_components;
    plan->components = cinfo.num_components;
    plan->full_chroma = has_full_chroma(&cinfo);
    plan->dc_w = (int)cinfo.output_width;
    plan->dc_h = (int)cinfo.output_height;
    /* At 1/8 most of a progressive JPEG is never used. Its DC coefficients sit in scans of their
     * own (Ss = 0), and libjpeg's 1x1 inverse DCT reads nothing else; subsampled chroma is scaled
     * up through a larger inverse DCT where libjpeg-turbo can (4:2:0 chroma gets a 2x2 DCT, which
     * also reads AC coefficients), so every AC scan of such a component is kept whole. Every other
     * AC scan, nearly all of the entropy-coded data, is left out of the stream libjpeg reads, with
     * a byte-identical result. */
    int useful = 0;
    for (int c = 0; c < cinfo.num_components; c++) {
        int needs_ac = cinfo.comp_info[c].DCT_scaled_size != 1;
        plan->keep_ac[cinfo.comp_info[c].component_id & 0xFF] = (uint8_t)needs_ac;
        if (!needs_ac) useful = 1;
    }
    plan->drop_scans = n == 1 && useful && cinfo.progressive_mode && !options->full_decode;
    plan->dc_decoder = plan->drop_scans && !options->libjpeg_only
        && cinfo.data_precision == 8 && !cinfo.arith_code
        && ((cinfo.num_components == 1 && cinfo.jpeg_color_space == JCS_GRAYSCALE)
            || (cinfo.num_components == 3 && cinfo.jpeg_color_space == JCS_YCbCr));

    int multi_scan = cinfo.progressive_mode || cinfo.comps_in_scan < cinfo.num_components;
    int64_t libjpeg = libjpeg_memory(&cinfo, multi_scan, plan->target_w, plan->target_h);
    if (plan->drop_scans) libjpeg += (int64_t)size; /* the copy of the stream without the unused AC scans */
    if (plan->dc_decoder) {
        /* jpeg_dc.c: the stream copy, one int16 DC value per block (padded to whole MCUs), a row of
         * pixels, the same reducer as libjpeg's 1/8 output. */
        int64_t mcus_w = (cinfo.image_width + 8 * cinfo.max_h_samp_factor - 1) / (8 * cinfo.max_h_samp_factor);
        int64_t mcus_h = (cinfo.image_height + 8 * cinfo.max_v_samp_factor - 1) / (8 * cinfo.max_v_samp_factor);
        int64_t m = IN_LIBRARY_STATE + (int64_t)size;
        for (int c = 0; c < cinfo.num_components; c++)
            m += mcus_w * cinfo.comp_info[c].h_samp_factor * mcus_h * cinfo.comp_info[c].v_samp_factor * (int64_t)sizeof(int16_t);
        m += (int64_t)cinfo.output_width * cinfo.num_components;
        int out_w = plan->target_w < plan->dc_w ? plan->target_w : plan->dc_w;
        int out_h = plan->target_h < plan->dc_h ? plan->target_h : plan->dc_h;
        m += in_resizer_memory(plan->dc_w, plan->dc_h, out_w, out_h, cinfo.num_components, IN_ALPHA_NONE);
        plan->memory = m;
        plan->libjpeg_memory = libjpeg; /* what the hand-over to libjpeg would need */
    } else {
        plan->memory = libjpeg;
    }
    jpeg_destroy_decompress(&cinfo);
    return IN_OK;
}

/* When the data ended early (libjpeg went on with a fake EOI), what the scale reads must still be
 * complete: in a progressive file every coefficient it reads fully refined (coef_bits, -1 or the
 * latest Al for each; valid until jpeg_finish_decompress frees it, and final once
 * jpeg_start_decompress has read every scan); in a sequential one, every component scanned. */
static const char *incomplete(const struct jpeg_decompress_struct *cinfo, const guard *g)
{
    if (cinfo->progressive_mode) {
        for (int c = 0; c < cinfo->num_components; c++) {
            if (cinfo->coef_bits[c][0] != 0) return "the DC coefficients are incomplete";
            if (g->needs_ac[c])
                for (int k = 1; k < DCTSIZE2; k++)
                    if (cinfo->coef_bits[c][k] != 0) return "AC coefficients this scale reads are incomplete";
        }
        return NULL;
    }
    for (int c = 0; c < cinfo->num_components; c++)
        if (!(g->seen & (1u << c))) return "a component has no scan";
    return NULL;
}

/* libjpeg decodes the stream at scale n/8 into the reducer. */
static int decode_libjpeg(const uint8_t *data, size_t size, int reduced, const in_options *options, const in_plan *plan,
                          in_image *image, char *error, size_t error_size)
{
    struct jpeg_decompress_struct cinfo;
    guard g;
    in_resizer *volatile resizer = NULL;
    setup(&cinfo, &g, options);
    if (setjmp(g.base.jump)) goto failed;
    jpeg_create_decompress(&cinfo);
    arm(&cinfo, &g);
    jpeg_mem_src(&cinfo, data, (unsigned long)size);
    jpeg_read_header(&cinfo, TRUE);
    /* With the AC scans left out, libjpeg would estimate the missing AC coefficients from the
     * neighbouring DC values ("block smoothing"), work the 1x1 DCT then throws away. */
    if (reduced) cinfo.do_block_smoothing = FALSE;
    configure(&cinfo, (unsigned)plan->scale);
    jpeg_calc_output_dimensions(&cinfo);
    for (int c = 0; c < cinfo.num_components && c < MAX_COMPONENTS; c++)
        g.needs_ac[c] = (uint8_t)(cinfo.comp_info[c].DCT_scaled_size != 1);
    jpeg_start_decompress(&cinfo); /* a multi-scan file is read whole here, scan by scan */

    int out_w = plan->target_w <= (int)cinfo.output_width ? plan->target_w : (int)cinfo.output_width;
    int out_h = plan->target_h <= (int)cinfo.output_height ? plan->target_h : (int)cinfo.output_height;
    resizer = in_resizer_new((int)cinfo.output_width, (int)cinfo.output_height, out_w, out_h,
                             cinfo.output_components, IN_ALPHA_NONE);
    JSAMPARRAY row = (*cinfo.mem->alloc_sarray)((j_common_ptr)&cinfo, JPOOL_IMAGE,
                                               cinfo.output_width * (JDIMENSION)cinfo.output_components, 1);
    if (resizer == NULL) {
        snprintf(g.base.message, sizeof(g.base.message), "out of memory");
        g.base.status = IN_NO_MEMORY;
        goto failed;
    }
    while (cinfo.output_scanline < cinfo.output_height) {
        if (in_cancelled(options->cancel)) {
            snprintf(g.base.message, sizeof(g.base.message), "cancelled");
            g.base.status = IN_CANCELLED;
            goto failed;
        }
        jpeg_read_scanlines(&cinfo, row, 1);
        in_resizer_push(resizer, row[0]);
    }
    /* Progressive: checked before finishing (coef_bits); sequential: after (EOI read). */
    const char *missing = g.eof && cinfo.progressive_mode ? incomplete(&cinfo, &g) : NULL;
    if (missing == NULL) {
        jpeg_finish_decompress(&cinfo);
        missing = g.eof && !cinfo.progressive_mode ? incomplete(&cinfo, &g) : NULL;
    }
    if (missing != NULL) {
        snprintf(g.base.message, sizeof(g.base.message), "truncated JPEG: the data ends after scan %d and %s", cinfo.input_scan_number, missing);
        g.base.status = IN_INVALID;
        goto failed;
    }
    const int status = in_resizer_take(resizer, image, error, error_size);
    jpeg_destroy_decompress(&cinfo);
    return status;
failed:
    in_resizer_free(resizer);
    jpeg_destroy_decompress(&cinfo);
    return in_fail(error, error_size, g.base.status, "%s", g.base.message);
}

int in_jpeg_decode(const uint8_t *data, size_t size, const in_options *options, const in_info *info,
                   const in_plan *plan, in_image *image, char *error, size_t error_size)
{
    int status = IN_OK;
    if (plan->dc_decoder) {
        /* Every AC scan left out, the DC scans decoded here: one value per block instead of
         * libjpeg's whole coefficient buffer. 4:2:0 chroma then comes from its DC values alone,
         * replicated over 2x2 pixels, where libjpeg-turbo would run a 2x2 inverse DCT. */
        static const uint8_t keep_none[256] = { 0 };
        size_t stream_size = 0;
        uint8_t *stream = in_jpeg_drop_scans(data, size, keep_none, options->max_scans, options->cancel, &stream_size, &status,
                                             error, error_size);
        if (status != IN_OK) return status;
        if (stream != NULL) {
            int out_w = plan->target_w < plan->dc_w ? plan->target_w : plan->dc_w;
            int out_h = plan->target_h < plan->dc_h ? plan->target_h : plan->dc_h;
            in_resizer *dc_resizer = in_resizer_new(plan->dc_w, plan->dc_h, out_w, out_h, plan->components, IN_ALPHA_NONE);
            status = dc_resizer == NULL ? in_fail(error, error_size, IN_NO_MEMORY, "out of memory")
                                        : in_jpeg_dc_decode(stream, stream_size, dc_resizer, plan->dc_w, plan->dc_h,
                                                            options->max_scans, options->cancel, error, error_size);
            free(stream);
            if (status == IN_OK) return in_resizer_take(dc_resizer, image, error, error_size);
            in_resizer_free(dc_resizer);
            if (status != IN_DC_HAND_OVER) return status;
        }
        /* Anything unexpected: libjpeg decodes, below, within the budget it needs for that. */
        if (options->max_memory > 0 && plan->libjpeg_memory > options->max_memory)
            return in_over_budget(options->max_memory, info, "progressive JPEG the DC-scan decoder handed to libjpeg",
                                  plan->libjpeg_memory, error, error_size);
    }
    uint8_t *reduced = NULL;
    size_t reduced_size = 0;
    if (plan->drop_scans) {
        reduced = in_jpeg_drop_scans(data, size, plan->keep_ac, options->max_scans, options->cancel, &reduced_size, &status,
                                     error, error_size);
        if (status != IN_OK) return status;
    }
    status = reduced != NULL
        ? decode_libjpeg(reduced, reduced_size, 1, options, plan, image, error, error_size)
        : decode_libjpeg(data, size, 0, options, plan, image, error, error_size);
    free(reduced);
    return status;
}
