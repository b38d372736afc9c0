/* The 1/8-scale image of a progressive JPEG from its DC scans alone, without libjpeg's whole-image
 * coefficient buffer. jpeg_read.c hands over the stream once every AC scan is gone. This decodes the
 * DC first and refinement scans (Huffman, interleaved or not, restart intervals), keeps one value
 * per 8x8 block (2 bytes, against the 128 libjpeg keeps) and produces pixels the way
 * libjpeg-turbo does at that scale: the 1x1 inverse DCT with its range limiting, chroma
 * replicated (libjpeg-turbo does no fancy upsampling at 1/8), its YCbCr->RGB tables, so the
 * result is byte-identical to libjpeg's. The exception is 4:2:0, whose chroma libjpeg-turbo
 * scales through a 2x2 inverse DCT of AC coefficients that are not decoded here: that chroma is
 * replicated over 2x2 pixels instead (closer to the 2x2 DCT, on the test files, than a triangle
 * filter). Anything it does not expect is reported (IN_DC_HAND_OVER), and jpeg_read.c
 * then lets libjpeg decode the stream instead.
 *
 * Time: scans are counted against the request's limit, and the cancel flag is read at every scan
 * and every 4096 MCUs. Memory: 2 bytes a block (jpeg_read.c's plan counts them before the call). */
#include "jpeg_dc.h"

#include <stdlib.h>
#include <string.h>

#include "budget.h"
#include "errors.h"
#include "jpeg_markers.h"

typedef struct huffman {
    int defined;
    uint8_t values[256];
    int32_t mincode[17], maxcode[18], valptr[17];
} huffman;

typedef struct component {
    int id, h, v;
    int quant_table, dc_table;
    int blocks_w, blocks_h; /* the block grid, padded to whole MCUs */
    int16_t *dc;
    int q0;                 /* DC quantiser, latched at the component's first scan */
    int seen, bits;         /* bits: the Al of the latest DC scan (successive approximation) */
    int pred;
} component;

typedef struct bits {
    const uint8_t *p, *end;
    uint64_t acc;
    int n, fake, failed;
} bits;

static void fill(bits *b)
{
    while (b->n <= 56) {
        unsigned byte = 0;
        if (b->p < b->end && !(b->p[0] == 0xFF && (b->p + 1 >= b->end || b->p[1] != 0x00))) {
            byte = *b->p++;
            if (byte == 0xFF) b->p++; /* stuffed 0xFF00 */
        } else {
            b->fake += 8; /* at a marker or the end: zeros, which valid data never reaches */
        }
        b->acc = b->acc << 8 | byte;
        b->n += 8;
    }
}

static unsigned get(bits *b, int k)
{
    if (k == 0) return 0;
    if (b->n < k) fill(b);
    unsigned value = (unsigned)(b->acc >> (b->n - k)) & ((1u << k) - 1);
    b->n -= k;
    if (b->n < b->fake) b->failed = 1;
    return value;
}

static int decode(bits *b, const huffman *t)
{
    int code = (int)get(b, 1), length = 1;
    while (code > t->maxcode[length]) {
        if (++length > 16) {
            b->failed = 1;
            return 0;
        }
        code = code << 1 | (int)get(b, 1);
    }
    return t->values[(t->valptr[length] + code - t->mincode[length]) & 0xFF];
}

static int define_table(huffman *t, const uint8_t *counts, const uint8_t *values, int total)
{
    int code = 0, k = 0;
    for (int length = 1; length <= 16; length++) {
        t->valptr[length] = k;
        t->mincode[length] = code;
        code += counts[length - 1];
        k += counts[length - 1];
        if (code > (1 << length)) return 0; /* more codes than this length holds */
        t->maxcode[length] = counts[length - 1] ? code - 1 : -1;
        code <<= 1;
    }
    t->maxcode[17] = 0x7FFFFFFF;
    if (k != total || k > 256) return 0;
    memcpy(t->values, values, (size_t)k);
    t->defined = 1;
    return 1;
}

static uint8_t idct_1x1(int dc, int q)
{
    int value = (dc * q + 4) >> 3;       /* DESCALE(DEQUANTIZE(dc), 3) */
    int index = value & 1023;            /* libjpeg's post-IDCT range-limit table */
    return (uint8_t)(index < 128 ? index + 128 : index < 512 ? 255 : index < 896 ? 0 : index - 896);
}

static uint8_t limit(int x) { return (uint8_t)(x < 0 ? 0 : x > 255 ? 255 : x); }

int in_jpeg_dc_decode(const uint8_t *data, size_t size, in_resizer *resizer, int out_w, int out_h,
                      int max_scans, const volatile int32_t *cancel, char *error, size_t error_size)
{
    component comps[3];
    huffman tables[4];
    int quant[4][64] = { { 0 } }, quant_defined[4] = { 0 };
    int ncomps = 0, width = 0, height = 0, max_h = 1, max_v = 1, restart = 0, status = IN_DC_HAND_OVER;
    int scans = 0;
    int frame_mcus_w = 0, frame_mcus_h = 0; /* the MCU grid of interleaved scans */
    memset(comps, 0, sizeof(comps));
    memset(tables, 0, sizeof(tables));
    size_t pos = 2;
    for (;;) {
        if (pos + 2 > size || data[pos] != 0xFF) goto done;
        uint8_t marker = data[pos + 1];
        if (marker == 0xD9) break;
        if (pos + 4 > size) goto done;
        size_t length = (size_t)data[pos + 2] << 8 | data[pos + 3];
        const uint8_t *s = data + pos + 4;
        if (length < 2 || pos + 2 + length > size) goto done;
        size_t n = length - 2, next = pos + 2 + length;
        if (marker == 0xDB) { /* DQT */
            for (size_t i = 0; i < n;) {
                int precision = s[i] >> 4, id = s[i] & 15;
                size_t bytes = precision ? 128 : 64;
                if (id > 3 || i + 1 + bytes > n) goto done;
                for (int k = 0; k < 64; k++) quant[id][k] = precision ? s[i + 1 + 2 * k] << 8 | s[i + 2 + 2 * k] : s[i + 1 + k];
                quant_defined[id] = 1;
                i += 1 + bytes;
            }
        } else if (marker == 0xC4) { /* DHT: the DC tables (class 0) matter */
            for (size_t i = 0; i < n;) {
                if (i + 17 > n) goto done;
                int total = 0;
                for (int k = 0; k < 16; k++) total += s[i + 1 + k];
                if (i + 17 + (size_t)total > n) goto done;
                int cls = s[i] >> 4, id = s[i] & 15;
                if (id > 3) goto done;
                if (cls == 0 && !define_table(&tables[id], s + i + 1, s + i + 17, total)) goto done;
                i += 17 + (size_t)total;
            }
        } else if (marker == 0xDD) { /* DRI */
            if (n < 2) goto done;
            restart = s[0] << 8 | s[1];
        } else if (marker == 0xC2) { /* SOF2 */
            if (n < 6 || s[0] != 8 || ncomps != 0) goto done;
            height = s[1] << 8 | s[2];
            width = s[3] << 8 | s[4];
            ncomps = s[5];
            if ((ncomps != 1 && ncomps != 3) || n < 6 + 3 * (size_t)ncomps || width <= 0 || height <= 0) { ncomps = 0; goto done; }
            for (int c = 0; c < ncomps; c++) {
                comps[c].id = s[6 + 3 * c];
                comps[c].h = s[7 + 3 * c] >> 4;
                comps[c].v = s[7 + 3 * c] & 15;
                comps[c].quant_table = s[8 + 3 * c];
                if (comps[c].quant_table > 3) goto done;
                if (comps[c].h < 1 || comps[c].h > 4 || comps[c].v < 1 || comps[c].v > 4) goto done;
                if (comps[c].h > max_h) max_h = comps[c].h;
                if (comps[c].v > max_v) max_v = comps[c].v;
            }
            for (int c = 0; c < ncomps; c++) /* libjpeg refuses fractional sampling ratios */
                if (max_h % comps[c].h != 0 || max_v % comps[c].v != 0) goto done;
            frame_mcus_w = (width + 8 * max_h - 1) / (8 * max_h);
            frame_mcus_h = (height + 8 * max_v - 1) / (8 * max_v);
            for (int c = 0; c < ncomps; c++) {
                comps[c].blocks_w = frame_mcus_w * comps[c].h;
                comps[c].blocks_h = frame_mcus_h * comps[c].v;
                comps[c].dc = calloc((size_t)comps[c].blocks_w * comps[c].blocks_h, sizeof(int16_t));
                if (comps[c].dc == NULL) { status = in_fail(error, error_size, IN_NO_MEMORY, "out of memory"); goto done; }
            }
        } else if (marker == 0xDA) { /* SOS: a DC scan (jpeg_read.c left no other) */
            if (++scans > max_scans) { status = in_fail(error, error_size, IN_INVALID, "more than %d scans in a progressive JPEG", max_scans); goto done; }
            if (in_cancelled(cancel)) { status = in_fail(error, error_size, IN_CANCELLED, "cancelled"); goto done; }
            if (ncomps == 0 || n < 1) goto done;
            int ns = s[0];
            if (ns < 1 || ns > ncomps || n != 4 + 2 * (size_t)ns) goto done;
            int ss = s[1 + 2 * ns], se = s[2 + 2 * ns], ah = s[3 + 2 * ns] >> 4, al = s[3 + 2 * ns] & 15;
            if (ss != 0 || se != 0 || al > 13) goto done;
            component *in_scan[3];
            for (int k = 0; k < ns; k++) {
                in_scan[k] = NULL;
                for (int c = 0; c < ncomps; c++)
                    if (comps[c].id == s[1 + 2 * k]) in_scan[k] = &comps[c];
                if (in_scan[k] == NULL) goto done;
                component *c = in_scan[k];
                if (ah == 0) {
                    c->dc_table = s[2 + 2 * k] >> 4;
                    if (c->dc_table > 3 || !tables[c->dc_table].defined) goto done;
                    if (c->seen) goto done; /* a second first scan: leave it to libjpeg */
                    if (!quant_defined[c->quant_table]) goto done;
                    c->q0 = quant[c->quant_table][0];
                    c->seen = 1;
                } else if (!c->seen || ah != c->bits || al != ah - 1) {
                    goto done;
                }
                c->bits = al;
                c->pred = 0;
            }
            size_t end = in_jpeg_entropy_end(data, size, next);
            if (end >= size) goto done;
            bits b = { data + next, data + end, 0, 0, 0, 0 };
            int mcus_w, mcus_h, blocks_per_mcu = 0;
            if (ns == 1) { /* non-interleaved: the component's own blocks, without MCU padding */
                component *c = in_scan[0];
                mcus_w = ((width * c->h + max_h - 1) / max_h + 7) / 8;
                mcus_h = ((height * c->v + max_v - 1) / max_v + 7) / 8;
            } else {
                mcus_w = frame_mcus_w;
                mcus_h = frame_mcus_h;
                for (int k = 0; k < ns; k++) blocks_per_mcu += in_scan[k]->h * in_scan[k]->v;
                if (blocks_per_mcu > 10) goto done;
            }
            long mcus = (long)mcus_w * mcus_h, until_restart = restart;
            int next_rst = 0;
            for (long m = 0; m < mcus; m++) {
                if ((m & 4095) == 4095 && in_cancelled(cancel)) { status = in_fail(error, error_size, IN_CANCELLED, "cancelled"); goto done; }
                if (restart && until_restart == 0) {
                    /* Only the last byte's padding may be left, then the expected RSTn marker;
                     * the predictions start again. */
                    if (b.n - b.fake >= 8 || b.p + 1 >= b.end || b.p[0] != 0xFF || b.p[1] != 0xD0 + next_rst) goto done;
                    b.p += 2;
                    b.acc = 0;
                    b.n = b.fake = 0;
                    next_rst = (next_rst + 1) & 7;
                    until_restart = restart;
                    for (int k = 0; k < ns; k++) in_scan[k]->pred = 0;
                }
                int mx = (int)(m % mcus_w), my = (int)(m / mcus_w);
                for (int k = 0; k < ns; k++) {
                    component *c = in_scan[k];
                    int bw = ns == 1 ? 1 : c->h, bh = ns == 1 ? 1 : c->v;
                    for (int v = 0; v < bh; v++) {
                        for (int h = 0; h < bw; h++) {
                            int bx = mx * bw + h, by = my * bh + v;
                            int16_t *block = &c->dc[(size_t)by * c->blocks_w + bx];
                            if (ah == 0) {
                                int t = decode(&b, &tables[c->dc_table]);
                                if (t > 11) goto done;
                                int diff = (int)get(&b, t);
                                if (t > 0 && diff < (1 << (t - 1))) diff += (int)(~0u << t) + 1;
                                c->pred += diff;
                                *block = (int16_t)(int)((unsigned)c->pred << al);
                            } else if (get(&b, 1)) {
                                *block = (int16_t)(*block | (1 << al));
                            }
                        }
                    }
                }
                if (b.failed) goto done;
                until_restart--;
            }
            pos = end;
            continue;
        } else if (marker == 0xC0 || marker == 0xC1 || marker == 0xC3 || (marker >= 0xC5 && marker <= 0xCF && marker != 0xC8 && marker != 0xCC)) {
            goto done;
        }
        pos = next;
    }
    for (int c = 0; c < ncomps; c++)
        if (!comps[c].seen) goto done;
    if (ncomps == 0 || (width + 7) / 8 != out_w || (height + 7) / 8 != out_h) goto done;

    {
        /* Pixels, one per block of the largest sampling, as libjpeg-turbo makes them at 1/8. */
        int cr_r[256], cb_b[256];
        long cr_g[256], cb_g[256];
        for (int i = 0; i < 256; i++) {
            long x = i - 128;
            cr_r[i] = (int)((91881L * x + 32768L) >> 16);        /* FIX(1.40200) */
            cb_b[i] = (int)((116130L * x + 32768L) >> 16);       /* FIX(1.77200) */
            cr_g[i] = -46802L * x;                               /* -FIX(0.71414) */
            cb_g[i] = -22554L * x + 32768L;                      /* -FIX(0.34414), + ONE_HALF */
        }
        uint8_t *row = malloc((size_t)out_w * ncomps);
        if (row == NULL) { status = in_fail(error, error_size, IN_NO_MEMORY, "out of memory"); goto done; }
        for (int y = 0; y < out_h; y++) {
            if (in_cancelled(cancel)) { free(row); status = in_fail(error, error_size, IN_CANCELLED, "cancelled"); goto done; }
            for (int x = 0; x < out_w; x++) {
                uint8_t sample[3];
                for (int c = 0; c < ncomps; c++) {
                    const component *k = &comps[c];
                    int bx = x * k->h / max_h, by = y * k->v / max_v;
                    sample[c] = idct_1x1(k->dc[(size_t)by * k->blocks_w + bx], k->q0);
                }
                if (ncomps == 1) {
                    row[x] = sample[0];
                } else {
                    int yy = sample[0], cb = sample[1], cr = sample[2];
                    row[3 * x] = limit(yy + cr_r[cr]);
                    row[3 * x + 1] = limit(yy + (int)((cb_g[cb] + cr_g[cr]) >> 16));
                    row[3 * x + 2] = limit(yy + cb_b[cb]);
                }
            }
            in_resizer_push(resizer, row);
        }
        free(row);
        status = IN_OK;
    }
done:
    for (int c = 0; c < 3; c++) free(comps[c].dc);
    return status;
}
