/* Two-stage reduction, streamed. Stage 1 is exact area averaging down to at most twice the
 * target in each direction: every source pixel covers an interval of that grid and contributes to
 * the (at most two) cells it overlaps, weighted by the overlap. Stage 2 is a small separable
 * Catmull-Rom filter for the remaining factor (at most 2), which restores the sharpness a box
 * alone loses. Weights in each direction are normalised over the taps inside the image, so edges
 * need no padding. Rows flow through both stages as they arrive: memory is the output plus a few
 * rows. */
#include "resize.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "images_native.h"

/* Large images are reduced on a helper thread while the decoder produces the next rows, through
 * a small ring of copied source rows (the memory stays "output plus a few rows"). Only when it
 * pays: rows wide enough that a row's work outweighs a lock, and enough of them to fill batches
 * (a 99,000,000 x 1 or 1 x 99,000,000 image is reduced on the decoder's thread). */
#define IN_THREAD_MIN_PIXELS 1000000L
#define IN_THREAD_MIN_WIDTH 256
#define IN_RING_ROWS 48
#define IN_BATCH_ROWS 16 /* the helper wakes for batches of rows, not for each one */

static int use_thread(int src_width, int src_height)
{
    return src_width >= IN_THREAD_MIN_WIDTH && src_height >= 2 * IN_BATCH_ROWS
        && (long)src_width * src_height >= IN_THREAD_MIN_PIXELS;
}

/* Stage 2 taps in one direction: output i reads count[i] inputs from first[i]. */
typedef struct taps {
    int *first, *count;
    float *weights; /* stride max per output */
    int max;
} taps;

struct in_resizer {
    int src_w, src_h, dst_w, dst_h;
    int mid_w, mid_h; /* stage 1 output: min(source, 2 x target) */
    int src_ch, ch, alpha_mode;
    /* stage 1: area averaging */
    int *x0;          /* per source column: first mid column */
    float *xw;        /* per source column: weight towards x0 (the rest goes to x0 + 1) */
    float *row;       /* one horizontally averaged row, mid_w * ch */
    float *row2;      /* the helper's second one (it averages two rows at once), else NULL */
    float *acc0, *acc1; /* vertical accumulators for the current and the next mid row */
    int y_src, y_mid;
    /* stage 2: separable Catmull-Rom */
    taps hx, vy;
    float *ring2;     /* vy.max rows of dst_w * ch, horizontally filtered mid rows */
    float *sum2;      /* one output row being summed, dst_w * ch */
    int y_dst;
    uint8_t *out;
    /* helper thread */
    int threaded, closing;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t not_empty, not_full;
    uint8_t *ring;
    int ring_rows;
    size_t row_bytes;
    long produced, consumed;
    /* IN_ALPHA_BOTH: the flattening twin fed the same rows (this one premultiplies). */
    struct in_resizer *twin;
};

static void process_row(in_resizer *r, const uint8_t *src);
static void process_two(in_resizer *r, const uint8_t *src0, const uint8_t *src1);

static void *worker(void *argument)
{
    in_resizer *r = argument;
    for (;;) {
        pthread_mutex_lock(&r->lock);
        while (r->produced - r->consumed < IN_BATCH_ROWS && !r->closing) pthread_cond_wait(&r->not_empty, &r->lock);
        long available = r->produced;
        if (r->consumed == available) {
            pthread_mutex_unlock(&r->lock);
            return NULL;
        }
        pthread_mutex_unlock(&r->lock);
        long i = r->consumed;
        for (; i + 1 < available; i += 2)
            process_two(r, r->ring + (size_t)(i % r->ring_rows) * r->row_bytes, r->ring + (size_t)((i + 1) % r->ring_rows) * r->row_bytes);
        if (i < available) process_row(r, r->ring + (size_t)(i % r->ring_rows) * r->row_bytes);
        pthread_mutex_lock(&r->lock);
        r->consumed = available;
        pthread_cond_signal(&r->not_full);
        pthread_mutex_unlock(&r->lock);
    }
}

static void stop_worker(in_resizer *r)
{
    if (!r->threaded) return;
    pthread_mutex_lock(&r->lock);
    r->closing = 1;
    pthread_cond_signal(&r->not_empty);
    pthread_mutex_unlock(&r->lock);
    pthread_join(r->thread, NULL);
    pthread_mutex_destroy(&r->lock);
    pthread_cond_destroy(&r->not_empty);
    pthread_cond_destroy(&r->not_full);
    r->threaded = 0;
}

static void split(int src, int dst, int i, int *first, float *weight)
{
    double scale = (double)dst / (double)src;
    double start = i * scale, end = (i + 1) * scale;
    int j = (int)floor(start);
    if (j >= dst) j = dst - 1;
    double boundary = j + 1.0;
    *first = j;
    *weight = (float)(end <= boundary ? end - start : boundary - start);
}

/* Catmull-Rom (cubic, a = -0.5), the kernel of the managed path's bicubic resampler. */
static double cubic(double x)
{
    x = fabs(x);
    if (x < 1.0) return (1.5 * x - 2.5) * x * x + 1.0;
    if (x < 2.0) return ((-0.5 * x + 2.5) * x - 4.0) * x + 2.0;
    return 0.0;
}

/* Most taps of one output in a direction: the filter's support (2 source pixels each side, scaled
 * by the factor of at most 2) plus a pixel of rounding at each end. */
static int taps_max(int src, int dst) { return (int)ceil(2.0 * (2.0 * (double)src / (double)dst)) + 2; }

static int make_taps(int src, int dst, taps *t)
{
    double factor = (double)src / (double)dst; /* 1 .. 2 */
    double support = 2.0 * factor;
    t->max = taps_max(src, dst);
    t->first = malloc(sizeof(int) * (size_t)dst);
    t->count = malloc(sizeof(int) * (size_t)dst);
    t->weights = malloc(sizeof(float) * (size_t)dst * (size_t)t->max);
    if (!t->first || !t->count || !t->weights) return 0;
    for (int i = 0; i < dst; i++) {
        double center = (i + 0.5) * factor; /* pixel centres sit at j + 0.5 */
        int lo = (int)floor(center - support), hi = (int)ceil(center + support);
        if (lo < 0) lo = 0;
        if (hi > src) hi = src;
        if (hi - lo > t->max) hi = lo + t->max;
        float *w = t->weights + (size_t)i * t->max;
        double sum = 0.0;
        for (int j = lo; j < hi; j++) sum += cubic((j + 0.5 - center) / factor);
        for (int j = lo; j < hi; j++) w[j - lo] = (float)(cubic((j + 0.5 - center) / factor) / sum);
        t->first[i] = lo;
        t->count[i] = hi - lo;
    }
    return 1;
}

static void free_taps(taps *t) { free(t->first); free(t->count); free(t->weights); }

int in_mid_size(int src, int dst) { return src / 2 >= dst ? 2 * dst : src; }

static int effective_alpha_mode(int src_channels, int alpha_mode)
{
    return (src_channels == 4 || src_channels == 2) ? alpha_mode : IN_ALPHA_NONE;
}

int in_resizer_output_channels(int src_channels, int alpha_mode)
{
    if (alpha_mode == IN_ALPHA_BOTH) alpha_mode = IN_ALPHA_PREMULTIPLY;
    return effective_alpha_mode(src_channels, alpha_mode) == IN_ALPHA_FLATTEN_WHITE ? src_channels - 1 : src_channels;
}

/* Source rows in the helper's ring: no more than the image has (use_thread guarantees at least
 * two batches, so the producer never waits on a helper that waits for a full batch). */
static int ring_rows(int src_height) { return src_height < IN_RING_ROWS ? src_height : IN_RING_ROWS; }

int64_t in_resizer_memory(int src_width, int src_height, int dst_width, int dst_height, int src_channels, int alpha_mode)
{
    if (alpha_mode == IN_ALPHA_BOTH)
        return in_resizer_memory(src_width, src_height, dst_width, dst_height, src_channels, IN_ALPHA_PREMULTIPLY)
            + (effective_alpha_mode(src_channels, IN_ALPHA_BOTH) == IN_ALPHA_NONE ? 0
               : in_resizer_memory(src_width, src_height, dst_width, dst_height, src_channels, IN_ALPHA_FLATTEN_WHITE));
    if (src_width <= 0 || src_height <= 0 || dst_width <= 0 || dst_height <= 0) return 0;
    if (dst_width > src_width) dst_width = src_width;
    if (dst_height > src_height) dst_height = src_height;
    const int64_t mid_w = in_mid_size(src_width, dst_width), mid_h = in_mid_size(src_height, dst_height);
    const int64_t ch = in_resizer_output_channels(src_channels, alpha_mode);
    const int64_t dw = dst_width, dh = dst_height;
    int64_t m = (int64_t)sizeof(in_resizer);
    m += (int64_t)(sizeof(int) + sizeof(float)) * src_width;      /* x0, xw: per source column */
    m += 3 * (int64_t)sizeof(float) * mid_w * ch;                /* row, acc0, acc1: stage 1 rows */
    m += dw * dh * ch;                                           /* the output */
    m += (int64_t)(2 * sizeof(int) + sizeof(float) * taps_max((int)mid_w, dst_width)) * dw;  /* hx */
    m += (int64_t)(2 * sizeof(int) + sizeof(float) * taps_max((int)mid_h, dst_height)) * dh; /* vy */
    m += (int64_t)sizeof(float) * (taps_max((int)mid_h, dst_height) + 1) * dw * ch;          /* ring2, sum2 */
    if (use_thread(src_width, src_height)) {
        m += (int64_t)ring_rows(src_height) * src_width * src_channels; /* the helper's ring of source rows */
        m += (int64_t)sizeof(float) * mid_w * ch;                       /* and its second row (row2) */
    }
    return m;
}

in_resizer *in_resizer_new(int src_width, int src_height, int dst_width, int dst_height, int src_channels, int alpha_mode)
{
    if (src_width <= 0 || src_height <= 0 || dst_width <= 0 || dst_height <= 0 || dst_width > src_width || dst_height > src_height)
        return NULL;
    if (alpha_mode == IN_ALPHA_BOTH) {
        in_resizer *r = in_resizer_new(src_width, src_height, dst_width, dst_height, src_channels, IN_ALPHA_PREMULTIPLY);
        if (r == NULL || effective_alpha_mode(src_channels, IN_ALPHA_BOTH) == IN_ALPHA_NONE) return r;
        r->twin = in_resizer_new(src_width, src_height, dst_width, dst_height, src_channels, IN_ALPHA_FLATTEN_WHITE);
        if (r->twin == NULL) {
            in_resizer_free(r);
            return NULL;
        }
        return r;
    }
    in_resizer *r = calloc(1, sizeof(*r));
    if (r == NULL) return NULL;
    r->src_w = src_width; r->src_h = src_height; r->dst_w = dst_width; r->dst_h = dst_height;
    r->mid_w = in_mid_size(src_width, dst_width);
    r->mid_h = in_mid_size(src_height, dst_height);
    r->src_ch = src_channels;
    r->alpha_mode = effective_alpha_mode(src_channels, alpha_mode);
    r->ch = in_resizer_output_channels(src_channels, alpha_mode);
    r->x0 = malloc(sizeof(int) * (size_t)src_width);
    r->xw = malloc(sizeof(float) * (size_t)src_width);
    r->row = malloc(sizeof(float) * (size_t)r->mid_w * r->ch);
    r->acc0 = calloc((size_t)r->mid_w * r->ch, sizeof(float));
    r->acc1 = calloc((size_t)r->mid_w * r->ch, sizeof(float));
    r->out = malloc((size_t)dst_width * dst_height * r->ch);
    if (!r->x0 || !r->xw || !r->row || !r->acc0 || !r->acc1 || !r->out
        || !make_taps(r->mid_w, dst_width, &r->hx) || !make_taps(r->mid_h, dst_height, &r->vy)
        || (r->ring2 = malloc(sizeof(float) * (size_t)r->vy.max * dst_width * r->ch)) == NULL
        || (r->sum2 = malloc(sizeof(float) * (size_t)dst_width * r->ch)) == NULL) {
        in_resizer_free(r);
        return NULL;
    }
    for (int x = 0; x < src_width; x++) split(src_width, r->mid_w, x, &r->x0[x], &r->xw[x]);

    if (use_thread(src_width, src_height)) {
        r->row_bytes = (size_t)src_width * src_channels;
        r->ring_rows = ring_rows(src_height);
        r->ring = malloc(r->row_bytes * (size_t)r->ring_rows);
        r->row2 = malloc(sizeof(float) * (size_t)r->mid_w * r->ch);
        if (r->ring != NULL && r->row2 != NULL && pthread_mutex_init(&r->lock, NULL) == 0) {
            pthread_cond_init(&r->not_empty, NULL);
            pthread_cond_init(&r->not_full, NULL);
            r->threaded = pthread_create(&r->thread, NULL, worker, r) == 0;
            if (!r->threaded) {
                pthread_mutex_destroy(&r->lock);
                pthread_cond_destroy(&r->not_empty);
                pthread_cond_destroy(&r->not_full);
            }
        }
    }
    return r;
}

static uint8_t clamp8(float v)
{
    v += 0.5f;
    return v <= 0.0f ? 0 : v >= 255.0f ? 255 : (uint8_t)v;
}

/* Stage 2, vertical: output row y_dst from the filtered mid rows in the ring, summed over
 * whole rows so the loop vectorises. */
static void emit_output(in_resizer *r)
{
    const int ch = r->ch;
    const size_t n = (size_t)r->dst_w * ch;
    const int first = r->vy.first[r->y_dst], count = r->vy.count[r->y_dst];
    const float *w = r->vy.weights + (size_t)r->y_dst * r->vy.max;
    float *sum = r->sum2;
    const float *row = r->ring2 + (size_t)(first % r->vy.max) * n;
    for (size_t i = 0; i < n; i++) sum[i] = row[i] * w[0];
    for (int k = 1; k < count; k++) {
        row = r->ring2 + (size_t)((first + k) % r->vy.max) * n;
        const float wk = w[k];
        for (size_t i = 0; i < n; i++) sum[i] += row[i] * wk;
    }
    uint8_t *dst = r->out + (size_t)r->y_dst * n;
    if (r->alpha_mode == IN_ALPHA_PREMULTIPLY) {
        const int ac = ch - 1;
        for (int x = 0; x < r->dst_w; x++) {
            const float *v = sum + (size_t)x * ch;
            float a = v[ac] < 0.0f ? 0.0f : v[ac] > 255.0f ? 255.0f : v[ac];
            for (int c = 0; c < ac; c++) dst[(size_t)x * ch + c] = clamp8(a > 0.0f ? v[c] * 255.0f / a : 0.0f);
            dst[(size_t)x * ch + ac] = clamp8(a);
        }
    } else {
        for (size_t i = 0; i < n; i++) dst[i] = clamp8(sum[i]);
    }
    r->y_dst++;
}

/* Stage 2, horizontal, specialised per channel count. */
static inline __attribute__((always_inline)) void filter_row(const taps *t, int dst_w, const float *mid, float *d, int ch)
{
    for (int x = 0; x < dst_w; x++) {
        const int count = t->count[x];
        const float *w = t->weights + (size_t)x * t->max;
        const float *p = mid + (size_t)t->first[x] * ch;
        float v[4] = { 0.0f, 0.0f, 0.0f, 0.0f };
        for (int k = 0; k < count; k++)
            for (int c = 0; c < ch; c++) v[c] += p[(size_t)k * ch + c] * w[k];
        for (int c = 0; c < ch; c++) d[(size_t)x * ch + c] = v[c];
    }
}

/* A finished mid row (mid_w * ch floats) into the ring, then every output row whose taps have
 * all arrived. */
static void push_mid(in_resizer *r, const float *mid)
{
    float *d = r->ring2 + (size_t)(r->y_mid % r->vy.max) * r->dst_w * r->ch;
    switch (r->ch) {
    case 1: filter_row(&r->hx, r->dst_w, mid, d, 1); break;
    case 2: filter_row(&r->hx, r->dst_w, mid, d, 2); break;
    case 3: filter_row(&r->hx, r->dst_w, mid, d, 3); break;
    default: filter_row(&r->hx, r->dst_w, mid, d, 4); break;
    }
    while (r->y_dst < r->dst_h && r->vy.first[r->y_dst] + r->vy.count[r->y_dst] - 1 <= r->y_mid) emit_output(r);
    r->y_mid++;
}

/* Stage 1: the current mid row is complete. */
static void emit(in_resizer *r)
{
    size_t n = (size_t)r->mid_w * r->ch;
    push_mid(r, r->acc0);
    float *t = r->acc0;
    r->acc0 = r->acc1;
    r->acc1 = t;
    memset(r->acc1, 0, n * sizeof(float));
}

/* The horizontal pass of n rows at once (1, or 2 on the helper thread: two independent chains
 * of additions, where one row's chain waits for each of its additions), specialised per channel
 * count so the compiler keeps the pixel in registers; OP turns source channel c of pixel p into
 * the value to accumulate. Source pixels come in runs that fall on the same mid cell (x0 grows by
 * 0 or 1 from one pixel to the next): a run's sums stay in registers (cur for its cell, next for
 * what spills into the cell after) and are written once the run ends, rather than each pixel
 * adding into the row in memory and the next one waiting for that store. Each row's additions
 * happen in the same order as pixel by pixel, one row at a time, so the sums are the same. */
#define HORIZONTAL(CH, OP)                                                              \
    {                                                                                   \
        int cell = r->x0[0];                                                            \
        float cur[2][CH], next[2][CH];                                                  \
        for (int k = 0; k < n; k++)                                                     \
            for (int c = 0; c < (CH); c++) cur[k][c] = next[k][c] = 0.0f;               \
        for (int x = 0; x < r->src_w; x++) {                                            \
            if (r->x0[x] != cell) {                                                     \
                for (int k = 0; k < n; k++) {                                           \
                    float *d = out[k] + (size_t)cell * (CH);                            \
                    for (int c = 0; c < (CH); c++) { d[c] += cur[k][c]; cur[k][c] = next[k][c]; next[k][c] = 0.0f; } \
                }                                                                       \
                cell = r->x0[x];                                                        \
            }                                                                           \
            const float w0 = r->xw[x], w1 = total - w0;                                 \
            const int spill = w1 > 1e-7f && cell + 1 < r->mid_w;                        \
            for (int k = 0; k < n; k++) {                                               \
                const uint8_t *p = src[k] + (size_t)x * sc;                             \
                float v[CH];                                                            \
                for (int c = 0; c < (CH); c++) v[c] = OP;                               \
                for (int c = 0; c < (CH); c++) cur[k][c] += v[c] * w0;                  \
                if (spill)                                                              \
                    for (int c = 0; c < (CH); c++) next[k][c] += v[c] * w1;             \
            }                                                                           \
        }                                                                               \
        for (int k = 0; k < n; k++) {                                                   \
            float *d = out[k] + (size_t)cell * (CH);                                    \
            for (int c = 0; c < (CH); c++) d[c] += cur[k][c];                           \
            if (cell + 1 < r->mid_w)                                                    \
                for (int c = 0; c < (CH); c++) d[(CH) + c] += next[k][c];               \
        }                                                                               \
    }

/* Stage 1, horizontal: n (1 or 2, a constant where it is inlined) source rows into out[0..n). */
static inline __attribute__((always_inline)) void horizontal(in_resizer *r, const uint8_t *const *src, float *const *out, const int n)
{
    const size_t count = (size_t)r->mid_w * r->ch;
    for (int k = 0; k < n; k++) memset(out[k], 0, count * sizeof(float));
    const int sc = r->src_ch;
    const float total = (float)r->mid_w / (float)r->src_w;
    const float inv = 1.0f / 255.0f;
    if (r->alpha_mode == IN_ALPHA_FLATTEN_WHITE) {
        /* Composite over white per source pixel: exact, since compositing is linear. */
        if (sc == 4) { HORIZONTAL(3, p[c] * (p[3] * inv) + 255.0f - (float)p[3]) }
        else { HORIZONTAL(1, p[0] * (p[1] * inv) + 255.0f - (float)p[1]) }
    } else if (r->alpha_mode == IN_ALPHA_PREMULTIPLY) {
        if (sc == 4) { HORIZONTAL(4, c < 3 ? p[c] * (p[3] * inv) : (float)p[3]) }
        else { HORIZONTAL(2, c < 1 ? p[0] * (p[1] * inv) : (float)p[1]) }
    } else {
        switch (sc) {
        case 1: { HORIZONTAL(1, (float)p[c]) } break;
        case 2: { HORIZONTAL(2, (float)p[c]) } break;
        case 3: { HORIZONTAL(3, (float)p[c]) } break;
        default: { HORIZONTAL(4, (float)p[c]) } break;
        }
    }
}

void in_resizer_push(in_resizer *r, const uint8_t *src)
{
    if (r->twin != NULL) in_resizer_push(r->twin, src);
    if (!r->threaded) {
        process_row(r, src);
        return;
    }
    pthread_mutex_lock(&r->lock);
    while (r->produced - r->consumed >= r->ring_rows) pthread_cond_wait(&r->not_full, &r->lock);
    uint8_t *slot = r->ring + (size_t)(r->produced % r->ring_rows) * r->row_bytes;
    pthread_mutex_unlock(&r->lock);
    memcpy(slot, src, r->row_bytes); /* the slot is the producer's until produced moves past it */
    pthread_mutex_lock(&r->lock);
    r->produced++;
    if (r->produced - r->consumed >= IN_BATCH_ROWS) pthread_cond_signal(&r->not_empty);
    pthread_mutex_unlock(&r->lock);
}

/* Stage 1, vertical: a horizontally averaged row into the accumulators, then the mid rows it
 * completes. */
static void vertical(in_resizer *r, const float *row)
{
    const size_t n = (size_t)r->mid_w * r->ch;
    int y0;
    float wy0;
    split(r->src_h, r->mid_h, r->y_src, &y0, &wy0);
    float wy1 = (float)r->mid_h / (float)r->src_h - wy0;
    for (size_t i = 0; i < n; i++) r->acc0[i] += row[i] * wy0;
    if (wy1 > 1e-7f && y0 + 1 < r->mid_h)
        for (size_t i = 0; i < n; i++) r->acc1[i] += row[i] * wy1;
    r->y_src++;
    /* The current mid row is complete once this source row reaches its lower edge. */
    double end = (double)r->y_src * r->mid_h / r->src_h;
    while (r->y_mid < r->mid_h && (end >= r->y_mid + 1 - 1e-9 || r->y_src == r->src_h)) emit(r);
}

static void process_row(in_resizer *r, const uint8_t *src)
{
    if (r->y_src >= r->src_h) return;
    const uint8_t *const rows[1] = { src };
    float *const out[1] = { r->row };
    horizontal(r, rows, out, 1);
    vertical(r, r->row);
}

/* Two consecutive source rows (the helper thread's): both averaged horizontally at once, then
 * each into the accumulators in turn, exactly as two calls of process_row. */
static void process_two(in_resizer *r, const uint8_t *src0, const uint8_t *src1)
{
    if (r->y_src + 2 > r->src_h) {
        process_row(r, src0);
        process_row(r, src1);
        return;
    }
    const uint8_t *const rows[2] = { src0, src1 };
    float *const out[2] = { r->row, r->row2 };
    horizontal(r, rows, out, 2);
    vertical(r, r->row);
    vertical(r, r->row2);
}

static uint8_t *finish(in_resizer *r)
{
    stop_worker(r); /* drains the ring first */
    while (r->y_mid < r->mid_h) emit(r); /* only reached for truncated input, which callers reject */
    uint8_t *out = r->out;
    r->out = NULL;
    return out;
}

int in_resizer_take(in_resizer *r, in_image *image, char *error, size_t error_size)
{
    image->flat = NULL;
    if (r->twin != NULL) {
        in_image flat;
        const int status = in_resizer_take(r->twin, &flat, error, error_size);
        r->twin = NULL;
        if (status != IN_OK) {
            in_resizer_free(r);
            image->pixels = NULL;
            return status;
        }
        image->flat = flat.pixels;
    }
    image->channels = r->ch;
    image->pixels = finish(r);
    image->width = r->dst_w;
    image->height = r->dst_h;
    in_resizer_free(r);
    if (image->pixels == NULL) {
        free(image->flat);
        image->flat = NULL;
        return in_fail(error, error_size, IN_NO_MEMORY, "out of memory");
    }
    return IN_OK;
}

void in_resizer_free(in_resizer *r)
{
    if (r == NULL) return;
    in_resizer_free(r->twin);
    stop_worker(r);
    free(r->ring);
    free(r->x0); free(r->xw); free(r->row); free(r->row2); free(r->acc0); free(r->acc1); free(r->out);
    free_taps(&r->hx); free_taps(&r->vy); free(r->ring2); free(r->sum2);
    free(r);
}
