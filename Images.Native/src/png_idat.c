/* PNG image data without libpng's row reader, for 8-bit RGB and RGBA that is not interlaced (the
 * common case: most of the PNG photos and artwork a service gets). libpng inflates a row with zlib
 * and then undoes its filter, on one thread. Here, when the image is small enough, libdeflate
 * inflates the whole stream at once (several times zlib's speed; decode_whole); else the zlib
 * stream is inflated on a helper thread into a small ring of filtered rows (decode_streamed).
 * Either way the calling thread undoes the filters (SSE2) and pushes the rows into the reducer,
 * which reduces on a thread of its own for large images. What comes out is byte for byte libpng's
 * rows (Images.Tests compares the readers on every filter type; ADR 17).
 *
 * Checks, as libpng makes them: every IDAT chunk's CRC, the filter type of every row, a stream
 * that ends before the last row, a file that ends before IEND. Not checked, as png_read.c asks
 * of libpng: the zlib stream's Adler-32. Laxer than libpng: the CRCs of the chunks after the image
 * data, unknown critical chunks there, libpng's limit on an IDAT chunk's length, and (streamed) a
 * distance beyond a window smaller than 32 KiB that the zlib header declares; inflated whole,
 * libdeflate also takes a few malformed Huffman blocks zlib rejects (more than 286 or 30 codes
 * declared, literal/length symbols 286-287, distance symbols 30-31, a repeat past the end of the
 * code lengths): such a file decodes whole where streamed it fails. The rows, where both succeed,
 * are the same. Budget (NFR-8, in_png_idat_memory): whole, the stream, the inflated rows and three
 * rows; streamed, the ring, two rows and zlib's state. The cancel flag is read before every row
 * (on both threads when streamed), and before the whole stream is gathered and inflated. */
#include "png_idat.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <libdeflate.h>
#include <zlib.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "budget.h"
#include "bytes.h"
#include "errors.h"
#include "images_native.h"

/* Inflated on a helper thread only when it pays (as the reducer decides for itself): rows wide
 * enough that a row's work outweighs the hand-over, and enough of them. */
#define IDAT_THREAD_MIN_PIXELS 1000000L
#define IDAT_THREAD_MIN_WIDTH 256
#define IDAT_RING_ROWS 32
#define IDAT_BATCH_ROWS 8 /* rows are handed over in batches, not one lock a row */
/* zlib's inflate state and its 32 KiB window (or libdeflate's decompressor), with room to spare. */
#define IDAT_ZLIB_STATE (64 * 1024)
/* The most the whole stream and its inflated rows may take to be inflated at once by libdeflate
 * (about 16 MP of RGBA); larger images, or a budget that would not leave half of itself free, are
 * streamed through zlib. */
#define IDAT_WHOLE_MAX (64L * 1024 * 1024)

int in_png_idat_takes(int bit_depth, int color_type, int interlace, int has_alpha)
{
    return bit_depth == 8 && interlace == 0 && (color_type == 6 || (color_type == 2 && !has_alpha));
}

static int threaded(int width, int height)
{
    return width >= IDAT_THREAD_MIN_WIDTH && height >= 4 * IDAT_BATCH_ROWS && (long)width * height >= IDAT_THREAD_MIN_PIXELS;
}

/* The offset of the first IDAT chunk (after the signature, IHDR and what libpng has read before
 * it), or 0 when the file ends or reaches IEND first. */
static size_t first_idat(const uint8_t *data, size_t size)
{
    for (size_t pos = 8; size - pos >= 12;) {
        const uint32_t length = in_be32(data + pos);
        if (memcmp(data + pos + 4, "IDAT", 4) == 0) return pos;
        if (length > size - pos - 12 || memcmp(data + pos + 4, "IEND", 4) == 0) return 0;
        pos += 12 + (size_t)length;
    }
    return 0;
}

/* The bytes of the run of IDAT chunks that starts at pos (the whole chunks only). */
static int64_t idat_bytes(const uint8_t *data, size_t size, size_t pos)
{
    int64_t total = 0;
    while (pos != 0 && size - pos >= 12 && memcmp(data + pos + 4, "IDAT", 4) == 0) {
        const uint32_t length = in_be32(data + pos);
        if (length > size - pos - 12) break;
        total += length;
        pos += 12 + (size_t)length;
    }
    return total;
}

/* The inflated rows' mapping (big_alloc): whole 2 MiB pages. */
#define IDAT_PAGE ((size_t)2 << 20)
static size_t whole_pages(size_t size) { return (size + IDAT_PAGE - 1) / IDAT_PAGE * IDAT_PAGE; }

int64_t in_png_idat_memory(const uint8_t *data, size_t size, int width, int height, int channels, int64_t max_memory,
                           int64_t other_memory, int allow_whole, int *whole)
{
    const int64_t row = (int64_t)width * channels;
    *whole = 0;
    if (allow_whole && height <= IDAT_WHOLE_MAX / (row + 1)) { /* no overflow below */
        const int64_t filtered = (int64_t)whole_pages((size_t)height * (size_t)(row + 1));
        const int64_t whole_memory = filtered + idat_bytes(data, size, first_idat(data, size)) + 3 * row + IDAT_ZLIB_STATE;
        *whole = whole_memory <= IDAT_WHOLE_MAX
            && (max_memory <= 0 || (whole_memory <= max_memory / 2 && other_memory + whole_memory <= max_memory));
        if (*whole) return whole_memory;
    }
    const int64_t ring = threaded(width, height) ? IDAT_RING_ROWS : 1;
    return ring * (row + 1) + 2 * row + IDAT_ZLIB_STATE;
}

/* The run of IDAT chunks as one zlib stream. */
typedef struct idat_stream {
    const uint8_t *data;
    size_t size;
    size_t next;       /* offset of the next chunk */
    int ended;         /* zlib's end of stream seen */
    int status;        /* of the first failure */
    char message[200];
    z_stream z;
} idat_stream;

/* The stream of the file in data, positioned on its first IDAT chunk: 0 when it has none. */
static size_t open_stream(idat_stream *s, const uint8_t *data, size_t size)
{
    memset(s, 0, sizeof(*s));
    s->data = data;
    s->size = size;
    s->next = first_idat(data, size);
    return s->next;
}

static int stream_fail(idat_stream *s, int status, const char *message)
{
    s->status = status;
    snprintf(s->message, sizeof(s->message), "%s", message);
    return status;
}

/* The chunk at s->next: 1 and its data as zlib's input when it is an IDAT chunk with a good
 * CRC, 0 when it is another chunk, -1 on a failure (in s). */
static int next_idat(idat_stream *s)
{
    if (s->size - s->next < 12) return -stream_fail(s, IN_INVALID, "unexpected end of file (truncated PNG)");
    const uint8_t *chunk = s->data + s->next;
    const uint32_t length = in_be32(chunk);
    if (length > 0x7fffffffu) return -stream_fail(s, IN_INVALID, "PNG unsigned integer out of range");
    if (memcmp(chunk + 4, "IDAT", 4) != 0) return 0;
    if (length > s->size - s->next - 12) return -stream_fail(s, IN_INVALID, "unexpected end of file (truncated PNG)");
#ifndef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION /* the fuzzer's build: mutations reach the inflaters */
    uLong crc = crc32(0L, chunk + 4, 4);
    crc = crc32(crc, chunk + 8, length);
    if (crc != in_be32(chunk + 8 + length)) return -stream_fail(s, IN_INVALID, "IDAT: CRC error");
#endif
    s->z.next_in = (Bytef *)(chunk + 8);
    s->z.avail_in = length;
    s->next += 12 + (size_t)length;
    return 1;
}

/* Exactly n more bytes of the inflated stream into out; IN_OK or the failure (in s). */
static int inflate_piece(idat_stream *s, uint8_t *out, uInt n);

static int inflate_bytes(idat_stream *s, uint8_t *out, size_t n)
{
    const size_t piece = (size_t)1 << 30; /* zlib counts its output in 32 bits */
    for (; n > piece; n -= piece, out += piece) {
        const int status = inflate_piece(s, out, (uInt)piece);
        if (status != IN_OK) return status;
    }
    return inflate_piece(s, out, (uInt)n);
}

static int inflate_piece(idat_stream *s, uint8_t *out, uInt n)
{
    s->z.next_out = out;
    s->z.avail_out = n;
    while (s->z.avail_out > 0) {
        if (s->z.avail_in == 0) {
            if (s->ended) return stream_fail(s, IN_INVALID, "not enough image data");
            const int more = next_idat(s);
            if (more < 0) return s->status;
            if (more == 0) return stream_fail(s, IN_INVALID, "not enough image data");
            continue;
        }
        const int ret = inflate(&s->z, Z_NO_FLUSH);
        if (ret == Z_STREAM_END) {
            s->ended = 1;
            if (s->z.avail_out > 0) return stream_fail(s, IN_INVALID, "not enough image data");
        } else if (ret == Z_MEM_ERROR) {
            return stream_fail(s, IN_NO_MEMORY, "out of memory");
        } else if (ret != Z_OK && !(ret == Z_BUF_ERROR && s->z.avail_in == 0)) {
            return stream_fail(s, IN_INVALID, s->z.msg != NULL ? s->z.msg : "invalid compressed data");
        }
    }
    return IN_OK;
}

/* The chunks after the image data, to IEND: the rest of the IDAT run (their CRCs checked, as
 * libpng finishes the stream) and whatever follows, which must be whole. */
static int walk_to_iend(idat_stream *s)
{
    for (;;) {
        const int more = next_idat(s);
        if (more < 0) return s->status;
        if (more == 0) break;
    }
    for (size_t pos = s->next;;) {
        if (s->size - pos < 12) return stream_fail(s, IN_INVALID, "unexpected end of file (truncated PNG)");
        const uint32_t length = in_be32(s->data + pos);
        if (length > 0x7fffffffu) return stream_fail(s, IN_INVALID, "PNG unsigned integer out of range");
        if (length > s->size - pos - 12) return stream_fail(s, IN_INVALID, "unexpected end of file (truncated PNG)");
        if (memcmp(s->data + pos + 4, "IEND", 4) == 0) return IN_OK;
        pos += 12 + (size_t)length;
    }
}

/* Loads and stores of one pixel of 3 or 4 bytes (SSE2: in the low lanes of a register). */
#ifdef __SSE2__
static inline __attribute__((always_inline)) __m128i load_pixel(const uint8_t *p, int bpp)
{
    uint32_t v;
    if (bpp == 4) memcpy(&v, p, 4);
    else v = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16; /* in registers, not through the stack */
    return _mm_cvtsi32_si128((int)v);
}

static inline __attribute__((always_inline)) void store_pixel(uint8_t *p, __m128i pixel, int bpp)
{
    const uint32_t v = (uint32_t)_mm_cvtsi128_si32(pixel);
    if (bpp == 4) {
        memcpy(p, &v, 4);
    } else {
        p[0] = (uint8_t)v;
        p[1] = (uint8_t)(v >> 8);
        p[2] = (uint8_t)(v >> 16);
    }
}

static inline __m128i abs16(__m128i v) { return _mm_max_epi16(v, _mm_sub_epi16(_mm_setzero_si128(), v)); }

/* Sub, Average and Paeth with the pixel to the left kept in a register: every byte of a pixel
 * at once, the chain from pixel to pixel as short as it can be (in memory, each byte would wait
 * for the store of the byte bpp before it). bpp is 3 or 4, a constant where they are inlined
 * (unfilter), so that a pixel's load and store are single moves. */
static inline __attribute__((always_inline)) void unfilter_sub_sse2(uint8_t *restrict out, const uint8_t *restrict x, size_t n, int bpp)
{
    __m128i a = _mm_setzero_si128();
    for (size_t i = 0; i < n; i += (size_t)bpp) {
        a = _mm_add_epi8(a, load_pixel(x + i, bpp));
        store_pixel(out + i, a, bpp);
    }
}

static inline __attribute__((always_inline)) void unfilter_average_sse2(uint8_t *restrict out, const uint8_t *restrict x, const uint8_t *restrict prev, size_t n, int bpp)
{
    const __m128i one = _mm_set1_epi8(1);
    __m128i a = _mm_setzero_si128();
    for (size_t i = 0; i < n; i += (size_t)bpp) {
        const __m128i b = load_pixel(prev + i, bpp);
        /* (a + b) >> 1 without overflow: the rounding-up average less the bit it rounded */
        const __m128i average = _mm_sub_epi8(_mm_avg_epu8(a, b), _mm_and_si128(_mm_xor_si128(a, b), one));
        a = _mm_add_epi8(average, load_pixel(x + i, bpp));
        store_pixel(out + i, a, bpp);
    }
}

/* Paeth with the choice turned into comparisons of one difference against bounds known before
 * the pixel to the left is: with e = b - c, d = a - c (a left, b up, c upper left) and d', e'
 * their values with e's sign taken out (e' = |e|, d' = d when e >= 0, else -d), the predictor is
 * a when d' >= e' or d' <= -2e', else b when 2d' >= -e', else c (the rule's three distances and
 * its ties, solved for d; an exhaustive check over every a, b and c gives libpng's bytes). What
 * waits for the pixel to the left is then a subtraction, a sign flip, three comparisons and two
 * selections, in 16-bit lanes. */
static inline __attribute__((always_inline)) __m128i paeth_step(__m128i a, __m128i b, __m128i c, __m128i filtered)
{
    const __m128i zero = _mm_setzero_si128(), one = _mm_set1_epi16(1), low = _mm_set1_epi16(0xff);
    /* before a is known */
    const __m128i e = _mm_sub_epi16(b, c);
    const __m128i negative = _mm_cmpgt_epi16(zero, e);                          /* all ones where e < 0 */
    const __m128i e_abs = abs16(e);
    const __m128i a_above = _mm_sub_epi16(e_abs, one);                          /* a when d' > e' - 1 */
    const __m128i a_below = _mm_sub_epi16(one, _mm_add_epi16(e_abs, e_abs));    /* ... or d' < 1 - 2e' */
    const __m128i b_above = _mm_sub_epi16(_mm_sub_epi16(zero, e_abs), one);     /* b when 2d' > -e' - 1 */
    const __m128i plus_c = _mm_add_epi16(filtered, c);
    const __m128i with_b = _mm_and_si128(_mm_add_epi16(filtered, b), low);
    const __m128i with_c = _mm_and_si128(plus_c, low);
    /* the chain from a */
    const __m128i d = _mm_sub_epi16(a, c);
    const __m128i d_signed = _mm_sub_epi16(_mm_xor_si128(d, negative), negative);
    const __m128i take_a = _mm_or_si128(_mm_cmpgt_epi16(d_signed, a_above), _mm_cmpgt_epi16(a_below, d_signed));
    const __m128i take_b = _mm_cmpgt_epi16(_mm_add_epi16(d_signed, d_signed), b_above);
    const __m128i with_a = _mm_and_si128(_mm_add_epi16(plus_c, d), low);       /* filtered + a */
    const __m128i b_or_c = _mm_or_si128(_mm_and_si128(take_b, with_b), _mm_andnot_si128(take_b, with_c));
    return _mm_or_si128(_mm_and_si128(take_a, with_a), _mm_andnot_si128(take_a, b_or_c));
}

static inline __attribute__((always_inline)) void unfilter_paeth_sse2(uint8_t *restrict out, const uint8_t *restrict x, const uint8_t *restrict prev, size_t n, int bpp)
{
    const __m128i zero = _mm_setzero_si128();
    __m128i a = zero, c = zero;
    for (size_t i = 0; i < n; i += (size_t)bpp) {
        const __m128i b = _mm_unpacklo_epi8(load_pixel(prev + i, bpp), zero);
        a = paeth_step(a, b, c, _mm_unpacklo_epi8(load_pixel(x + i, bpp), zero));
        c = b;
        store_pixel(out + i, _mm_packus_epi16(a, a), bpp);
    }
}

/* Two rows in a row that are both Paeth-filtered, undone together: the second row's pixel needs
 * the first row's pixel above it and the one before, which the same iteration has just made, so
 * the two chains from pixel to pixel run side by side instead of one after the other. */
static inline __attribute__((always_inline)) void unfilter_paeth_two_sse2(uint8_t *restrict out0, uint8_t *restrict out1, const uint8_t *restrict x0,
                                                                          const uint8_t *restrict x1, const uint8_t *restrict prev, size_t n, int bpp)
{
    const __m128i zero = _mm_setzero_si128();
    __m128i a0 = zero, c0 = zero, a1 = zero;
    for (size_t i = 0; i < n; i += (size_t)bpp) {
        const __m128i b0 = _mm_unpacklo_epi8(load_pixel(prev + i, bpp), zero);
        const __m128i above = paeth_step(a0, b0, c0, _mm_unpacklo_epi8(load_pixel(x0 + i, bpp), zero));
        a1 = paeth_step(a1, above, a0, _mm_unpacklo_epi8(load_pixel(x1 + i, bpp), zero));
        a0 = above;
        c0 = b0;
        store_pixel(out0 + i, _mm_packus_epi16(a0, a0), bpp);
        store_pixel(out1 + i, _mm_packus_epi16(a1, a1), bpp);
    }
}
#endif

/* The five filters of PNG's filter method 0 undone: out from the filtered bytes x (the row
 * without its filter-type byte), the previous row's unfiltered bytes prev (zeros for the first
 * row) and bpp bytes a pixel (3 or 4). */
static void unfilter(int type, uint8_t *restrict out, const uint8_t *restrict x, const uint8_t *restrict prev, size_t n, int bpp)
{
    size_t i;
    switch (type) {
    case 0:
        memcpy(out, x, n);
        break;
    case 2: /* Up */
        for (i = 0; i < n; i++) out[i] = (uint8_t)(x[i] + prev[i]);
        break;
#ifdef __SSE2__
    case 1:
        if (bpp == 4) unfilter_sub_sse2(out, x, n, 4);
        else unfilter_sub_sse2(out, x, n, 3);
        break;
    case 3:
        if (bpp == 4) unfilter_average_sse2(out, x, prev, n, 4);
        else unfilter_average_sse2(out, x, prev, n, 3);
        break;
    default:
        if (bpp == 4) unfilter_paeth_sse2(out, x, prev, n, 4);
        else unfilter_paeth_sse2(out, x, prev, n, 3);
        break;
#else
    case 1: /* Sub */
        for (i = 0; i < (size_t)bpp; i++) out[i] = x[i];
        for (; i < n; i++) out[i] = (uint8_t)(x[i] + out[i - bpp]);
        break;
    case 3: /* Average */
        for (i = 0; i < (size_t)bpp; i++) out[i] = (uint8_t)(x[i] + (prev[i] >> 1));
        for (; i < n; i++) out[i] = (uint8_t)(x[i] + ((out[i - bpp] + prev[i]) >> 1));
        break;
    default: /* 4, Paeth: the neighbour nearest to left + up - upper left, ties to left, then up */
        for (i = 0; i < (size_t)bpp; i++) out[i] = (uint8_t)(x[i] + prev[i]);
        for (; i < n; i++) {
            const int a = out[i - bpp], b = prev[i], c = prev[i - bpp];
            const int pa = abs(b - c), pb = abs(a - c), pc = abs(a + b - 2 * c);
            const int predictor = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
            out[i] = (uint8_t)(x[i] + predictor);
        }
        break;
#endif
    }
}

/* Two consecutive rows that are both Paeth-filtered (SSE2 builds; else one after the other). */
static void unfilter_paeth_two(uint8_t *restrict out0, uint8_t *restrict out1, const uint8_t *restrict x0, const uint8_t *restrict x1,
                               const uint8_t *restrict prev, size_t n, int bpp)
{
#ifdef __SSE2__
    if (bpp == 4) unfilter_paeth_two_sse2(out0, out1, x0, x1, prev, n, 4);
    else unfilter_paeth_two_sse2(out0, out1, x0, x1, prev, n, 3);
#else
    unfilter(4, out0, x0, prev, n, bpp);
    unfilter(4, out1, x1, out0, n, bpp);
#endif
}

/* The helper thread's side: filtered rows (filter-type byte first) inflated into a ring the
 * calling thread empties. */
typedef struct idat_pipe {
    idat_stream *stream;
    int height;
    size_t stride;         /* 1 + width x channels */
    uint8_t *ring;
    int ring_rows;
    const volatile int32_t *cancel;
    pthread_mutex_t lock;
    pthread_cond_t not_empty, not_full;
    long produced, consumed; /* rows inflated, rows whose slot is free again */
    int failed;
    int closing;             /* set by the calling thread when it stops early; read with atomics */
} idat_pipe;

static void *inflater(void *argument)
{
    idat_pipe *p = argument;
    long published = 0, room_until = p->ring_rows; /* rows before room_until have a free slot */
    for (long y = 0; y < p->height; y++) {
        if (y - published >= IDAT_BATCH_ROWS || y >= room_until) {
            /* hand the batch over; wait for room in the ring */
            pthread_mutex_lock(&p->lock);
            p->produced = y;
            published = y;
            pthread_cond_signal(&p->not_empty);
            while (y - p->consumed >= p->ring_rows && !__atomic_load_n(&p->closing, __ATOMIC_RELAXED))
                pthread_cond_wait(&p->not_full, &p->lock);
            room_until = p->consumed + p->ring_rows;
            pthread_mutex_unlock(&p->lock);
        }
        /* the calling thread has stopped (an error of its own): no more rows */
        if (__atomic_load_n(&p->closing, __ATOMIC_RELAXED)) return NULL;
        int status = in_cancelled(p->cancel) ? stream_fail(p->stream, IN_CANCELLED, "cancelled")
                                             : inflate_bytes(p->stream, p->ring + (size_t)(y % p->ring_rows) * p->stride, p->stride);
        if (status != IN_OK) {
            pthread_mutex_lock(&p->lock);
            p->produced = y;
            p->failed = 1;
            pthread_cond_signal(&p->not_empty);
            pthread_mutex_unlock(&p->lock);
            return NULL;
        }
    }
    pthread_mutex_lock(&p->lock);
    p->produced = p->height;
    pthread_cond_signal(&p->not_empty);
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

/* The next filtered row for the calling thread (row y), or NULL when the inflater failed. */
static const uint8_t *take_row(idat_pipe *p, long y, long *available)
{
    if (y >= *available) {
        pthread_mutex_lock(&p->lock);
        p->consumed = y; /* every row before y has been unfiltered: their slots are free */
        pthread_cond_signal(&p->not_full);
        while (p->produced <= y && !p->failed) pthread_cond_wait(&p->not_empty, &p->lock);
        *available = p->produced;
        pthread_mutex_unlock(&p->lock);
        if (y >= *available) return NULL;
    }
    return p->ring + (size_t)(y % p->ring_rows) * p->stride;
}

static void stop_inflater(idat_pipe *p, pthread_t thread)
{
    pthread_mutex_lock(&p->lock);
    __atomic_store_n(&p->closing, 1, __ATOMIC_RELAXED);
    pthread_cond_signal(&p->not_full);
    pthread_mutex_unlock(&p->lock);
    pthread_join(thread, NULL);
}

/* The inflated rows: in 2 MiB pages where the kernel has them to give (transparent huge pages on
 * madvise), so that libdeflate's first writes fault a few times rather than once every 4 KiB. */
static uint8_t *big_alloc(size_t size)
{
    const size_t mapped = whole_pages(size);
    void *p = mmap(NULL, mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return NULL;
#ifdef MADV_HUGEPAGE
    madvise(p, mapped, MADV_HUGEPAGE);
#endif
    return p;
}

static void big_free(uint8_t *p, size_t size)
{
    if (p != NULL) munmap(p, whole_pages(size));
}

/* zlib, a row at a time: on a helper thread for large images (the ring between them), else on
 * this one. */
static int decode_streamed(const uint8_t *data, size_t size, int width, int height, int channels,
                           in_resizer *resizer, const volatile int32_t *cancel, char *error, size_t error_size)
{
    idat_stream s;
    if (open_stream(&s, data, size) == 0) return in_fail(error, error_size, IN_INVALID, "corrupt PNG: no image data");
    if (inflateInit(&s.z) != Z_OK) return in_fail(error, error_size, IN_NO_MEMORY, "out of memory");
#if ZLIB_VERNUM >= 0x1290
    inflateValidate(&s.z, 0); /* no Adler-32 (png_read.c says why) */
#endif

    const size_t row_bytes = (size_t)width * channels, stride = row_bytes + 1;
    const int use_thread = threaded(width, height);
    idat_pipe pipe;
    memset(&pipe, 0, sizeof(pipe));
    pipe.stream = &s;
    pipe.height = height;
    pipe.stride = stride;
    pipe.ring_rows = use_thread ? IDAT_RING_ROWS : 1;
    pipe.cancel = cancel;
    pipe.ring = malloc((size_t)pipe.ring_rows * stride);
    uint8_t *rows = calloc(2, row_bytes); /* the previous row (zeros for the first) and this one */
    pthread_t thread;
    int started = 0;
    if (pipe.ring != NULL && rows != NULL && use_thread) {
        pthread_mutex_init(&pipe.lock, NULL);
        pthread_cond_init(&pipe.not_empty, NULL);
        pthread_cond_init(&pipe.not_full, NULL);
        started = pthread_create(&thread, NULL, inflater, &pipe) == 0;
        if (!started) {
            pthread_mutex_destroy(&pipe.lock);
            pthread_cond_destroy(&pipe.not_empty);
            pthread_cond_destroy(&pipe.not_full);
        }
    }
    if (pipe.ring == NULL || rows == NULL || (use_thread && !started)) {
        free(pipe.ring);
        free(rows);
        inflateEnd(&s.z);
        return in_fail(error, error_size, IN_NO_MEMORY, "out of memory");
    }

    /* the inflater writes s's failure (read here once it has stopped); this thread's own are here */
    int status = IN_OK;
    const char *problem = NULL;
    uint8_t *prev = rows, *cur = rows + row_bytes;
    long available = 0;
    for (long y = 0; y < height; y++) {
        if (in_cancelled(cancel)) {
            status = IN_CANCELLED;
            break;
        }
        const uint8_t *filtered;
        if (started) {
            filtered = take_row(&pipe, y, &available);
            if (filtered == NULL) {
                status = s.status;
                break;
            }
        } else {
            status = inflate_bytes(&s, pipe.ring, stride);
            if (status != IN_OK) break;
            filtered = pipe.ring;
        }
        if (filtered[0] > 4) {
            status = IN_INVALID;
            problem = "bad adaptive filter value";
            break;
        }
        unfilter(filtered[0], cur, filtered + 1, prev, row_bytes, channels);
        in_resizer_push(resizer, cur);
        uint8_t *swap = prev;
        prev = cur;
        cur = swap;
    }
    if (started) {
        stop_inflater(&pipe, thread);
        pthread_mutex_destroy(&pipe.lock);
        pthread_cond_destroy(&pipe.not_empty);
        pthread_cond_destroy(&pipe.not_full);
    }
    if (status == IN_OK) status = walk_to_iend(&s);
    if (problem == NULL) problem = s.message;
    free(pipe.ring);
    free(rows);
    inflateEnd(&s.z);
    if (status == IN_OK) return IN_OK;
    if (status == IN_CANCELLED) return in_fail(error, error_size, IN_CANCELLED, "cancelled");
    if (status == IN_NO_MEMORY) return in_fail(error, error_size, IN_NO_MEMORY, "out of memory");
    return in_fail(error, error_size, status, "corrupt PNG: %s", problem);
}

/* The whole stream inflated at once by libdeflate (several times zlib's speed), then the rows
 * unfiltered from it. Anything short of a clean stream of exactly the image's rows (a CRC error,
 * a bad zlib header, corrupt or short data, rows beyond the image) is left to decode_streamed,
 * which decides it as libpng would and says why: 1 when it is, else the status. */
static int decode_whole(const uint8_t *data, size_t size, int width, int height, int channels,
                        in_resizer *resizer, const volatile int32_t *cancel, int *fallback, char *error, size_t error_size)
{
    idat_stream s;
    *fallback = 1;
    if (open_stream(&s, data, size) == 0) return IN_OK;
    const size_t total = (size_t)idat_bytes(data, size, s.next);
    const size_t row_bytes = (size_t)width * channels, stride = row_bytes + 1, filtered_size = (size_t)height * stride;
    uint8_t *stream = malloc(total > 0 ? total : 1);
    uint8_t *filtered = big_alloc(filtered_size);
    uint8_t *rows = calloc(3, row_bytes); /* the previous row (zeros for the first) and the next two */
    struct libdeflate_decompressor *inflater = libdeflate_alloc_decompressor();
    int status = IN_OK;
    if (stream == NULL || filtered == NULL || rows == NULL || inflater == NULL) goto done; /* the streamed reader needs less */
    if (in_cancelled(cancel)) goto cancelled;
    /* the run of IDAT chunks, their CRCs checked, as one stream */
    size_t gathered = 0;
    for (int more; (more = next_idat(&s)) != 0;) {
        if (more < 0 || s.z.avail_in > total - gathered) goto done;
        memcpy(stream + gathered, s.z.next_in, s.z.avail_in);
        gathered += s.z.avail_in;
    }
    /* the zlib header (deflate with the 32 KiB window every encoder writes: libpng rejects a
     * distance beyond a smaller declared window, libdeflate would not; no preset dictionary), then
     * raw deflate: no Adler-32, as png_read.c asks of libpng */
    if (gathered < 2 || stream[0] != 0x78 || (stream[0] << 8 | stream[1]) % 31 != 0 || (stream[1] & 0x20) != 0) goto done;
    if (in_cancelled(cancel)) goto cancelled;
    if (libdeflate_deflate_decompress(inflater, stream + 2, gathered - 2, filtered, filtered_size, NULL) != LIBDEFLATE_SUCCESS) goto done;
    for (int y = 0; y < height; y++)
        if (filtered[(size_t)y * stride] > 4) goto done;
    *fallback = 0;

    uint8_t *prev = rows, *cur = rows + row_bytes, *next = rows + 2 * row_bytes;
    for (int y = 0; y < height;) {
        if (in_cancelled(cancel)) goto cancelled;
        const uint8_t *row = filtered + (size_t)y * stride;
        if (y + 1 < height && row[0] == 4 && row[stride] == 4) {
            unfilter_paeth_two(cur, next, row + 1, row + stride + 1, prev, row_bytes, channels);
            in_resizer_push(resizer, cur);
            in_resizer_push(resizer, next);
            uint8_t *swap = prev;
            prev = next;
            next = swap;
            y += 2;
        } else {
            unfilter(row[0], cur, row + 1, prev, row_bytes, channels);
            in_resizer_push(resizer, cur);
            uint8_t *swap = prev;
            prev = cur;
            cur = swap;
            y++;
        }
    }
    if (walk_to_iend(&s) != IN_OK) status = in_fail(error, error_size, s.status, "corrupt PNG: %s", s.message);
    goto done;
cancelled:
    *fallback = 0;
    status = in_fail(error, error_size, IN_CANCELLED, "cancelled");
done:
    libdeflate_free_decompressor(inflater);
    free(stream);
    big_free(filtered, filtered_size);
    free(rows);
    return status;
}

int in_png_idat_decode(const uint8_t *data, size_t size, int width, int height, int channels, int whole,
                       in_resizer *resizer, const volatile int32_t *cancel, char *error, size_t error_size)
{
    if (whole) {
        int fallback;
        const int status = decode_whole(data, size, width, height, channels, resizer, cancel, &fallback, error, error_size);
        if (!fallback) return status;
        if (whole == IN_PNG_WHOLE_ONLY)
            return in_fail(error, error_size, IN_INVALID, "corrupt PNG: not a clean stream of the image's rows (whole only)");
    }
    return decode_streamed(data, size, width, height, channels, resizer, cancel, error, error_size);
}
