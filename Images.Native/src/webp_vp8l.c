/* The part of a lossless WebP (VP8L) image stream that decides how much memory libwebp's decoder
 * takes beyond the pixels: the transforms' sub-images and the meta-Huffman ("entropy") image.
 * libwebp builds Huffman lookup tables for every group of codes the entropy image uses, 12 to
 * 20 KiB a group (4 bytes x kTableSize[colour cache bits] plus the group's own structure), and a
 * stream may use up to 65,536 groups: 0.8 to 1.3 GiB of tables from a file of a few hundred KiB. The
 * count is in the entropy image, which is itself entropy-coded, so it is decoded here (the
 * transforms' sub-images before it only skipped: their symbols are read, their pixels not kept),
 * following libwebp 1.2.4's vp8l_dec.c (ReadTransform, ReadHuffmanCode(s), DecodeImageData) and
 * its rules for valid codes; the pixel data after the header is not read.
 *
 * Memory: the entropy image's pixels (4 bytes each, at most a sixteenth of the ARGB buffer the
 * caller has already checked against the budget) and a few code tables. Time: proportional to
 * the sub-images' pixels and the header's bits; the cancel flag is read every 65,536 pixels. */
#include "webp_vp8l.h"

#include <stdlib.h>
#include <string.h>

#include "budget.h"

#define NUM_LITERAL_CODES 256
#define NUM_LENGTH_CODES 24
#define NUM_DISTANCE_CODES 40
#define MAX_CACHE_BITS 11
#define MAX_ALPHABET (NUM_LITERAL_CODES + NUM_LENGTH_CODES + (1 << MAX_CACHE_BITS))
#define MAX_CODE_LENGTH 15
#define CODE_TO_PLANE_CODES 120

static const uint8_t kCodeLengthCodeOrder[19] = { 17, 18, 0, 1, 2, 3, 4, 5, 16, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 };
static const uint8_t kCodeLengthExtraBits[3] = { 2, 3, 7 };
static const uint8_t kCodeLengthRepeatOffsets[3] = { 3, 3, 11 };
static const uint16_t kAlphabetSize[5] = { NUM_LITERAL_CODES + NUM_LENGTH_CODES, NUM_LITERAL_CODES, NUM_LITERAL_CODES,
                                           NUM_LITERAL_CODES, NUM_DISTANCE_CODES };
static const uint8_t kCodeToPlane[CODE_TO_PLANE_CODES] = {
    0x18, 0x07, 0x17, 0x19, 0x28, 0x06, 0x27, 0x29, 0x16, 0x1a, 0x26, 0x2a, 0x38, 0x05, 0x37, 0x39, 0x15, 0x1b, 0x36, 0x3a,
    0x25, 0x2b, 0x48, 0x04, 0x47, 0x49, 0x14, 0x1c, 0x35, 0x3b, 0x46, 0x4a, 0x24, 0x2c, 0x58, 0x45, 0x4b, 0x34, 0x3c, 0x03,
    0x57, 0x59, 0x13, 0x1d, 0x56, 0x5a, 0x23, 0x2d, 0x44, 0x4c, 0x55, 0x5b, 0x33, 0x3d, 0x68, 0x02, 0x67, 0x69, 0x12, 0x1e,
    0x66, 0x6a, 0x22, 0x2e, 0x54, 0x5c, 0x43, 0x4d, 0x65, 0x6b, 0x32, 0x3e, 0x78, 0x01, 0x77, 0x79, 0x53, 0x5d, 0x11, 0x1f,
    0x64, 0x6c, 0x42, 0x4e, 0x76, 0x7a, 0x21, 0x2f, 0x75, 0x7b, 0x31, 0x3f, 0x63, 0x6d, 0x52, 0x5e, 0x00, 0x74, 0x7c, 0x41,
    0x4f, 0x10, 0x20, 0x62, 0x6e, 0x30, 0x73, 0x7d, 0x51, 0x5f, 0x40, 0x72, 0x7e, 0x61, 0x6f, 0x50, 0x71, 0x7f, 0x60, 0x70,
};
/* libwebp 1.2.4's lookup-table entries per group, by colour-cache bits (vp8l_dec.c kTableSize). */
#define FIXED_TABLE_SIZE (630 * 3 + 410)
static const uint16_t kTableSize[12] = {
    FIXED_TABLE_SIZE + 654, FIXED_TABLE_SIZE + 656, FIXED_TABLE_SIZE + 658, FIXED_TABLE_SIZE + 662,
    FIXED_TABLE_SIZE + 670, FIXED_TABLE_SIZE + 686, FIXED_TABLE_SIZE + 718, FIXED_TABLE_SIZE + 782,
    FIXED_TABLE_SIZE + 912, FIXED_TABLE_SIZE + 1168, FIXED_TABLE_SIZE + 1680, FIXED_TABLE_SIZE + 2704,
};
/* sizeof(HTreeGroup) in libwebp 1.2.4 (five table pointers, four flags, 64 packed 8-byte codes),
 * rounded up with the allocator's overhead. */
#define HTREE_GROUP_BYTES 600

typedef struct bitreader {
    const uint8_t *data;
    size_t size, pos;
    uint64_t value, consumed;
    int count, eos;
} bitreader;

/* n <= 24 bits, least significant first; reading past the end sets eos (libwebp's rule). */
static uint32_t read_bits(bitreader *b, int n)
{
    while (b->count < n) {
        uint64_t byte = b->pos < b->size ? b->data[b->pos] : 0;
        b->pos++;
        b->value |= byte << b->count;
        b->count += 8;
    }
    uint32_t v = (uint32_t)(b->value & ((1ull << n) - 1));
    b->value >>= n;
    b->count -= n;
    b->consumed += (uint64_t)n;
    /* libwebp's reader holds 8 bytes: a shorter stream reads as zeros up to 64 bits. */
    if (b->consumed > (uint64_t)(b->size < 8 ? 8 : b->size) * 8) b->eos = 1;
    return v;
}

/* A canonical prefix code, decoded a bit at a time (codes are stored most significant bit first,
 * as in DEFLATE); a code with a single symbol takes no bits. */
typedef struct code {
    int single, symbol;
    uint16_t count[MAX_CODE_LENGTH + 1];
    uint16_t symbols[MAX_ALPHABET];
} code;

/* libwebp's VP8LBuildHuffmanTable rules: at least one symbol; exactly one is a 0-bit code; more
 * must form a complete, not over-subscribed code. */
static int build(code *c, const uint8_t *lengths, int alphabet)
{
    uint16_t offsets[MAX_CODE_LENGTH + 2];
    memset(c->count, 0, sizeof(c->count));
    int used = 0, last = 0;
    for (int s = 0; s < alphabet; s++) {
        c->count[lengths[s]]++;
        if (lengths[s] != 0) { used++; last = s; }
    }
    if (used == 0) return 0;
    c->single = used == 1;
    c->symbol = last;
    if (c->single) return 1;
    int left = 1;
    for (int len = 1; len <= MAX_CODE_LENGTH; len++) {
        left <<= 1;
        left -= c->count[len];
        if (left < 0) return 0;
    }
    if (left != 0) return 0;
    offsets[1] = 0;
    for (int len = 1; len <= MAX_CODE_LENGTH; len++) offsets[len + 1] = (uint16_t)(offsets[len] + c->count[len]);
    for (int s = 0; s < alphabet; s++)
        if (lengths[s] != 0) c->symbols[offsets[lengths[s]]++] = (uint16_t)s;
    return 1;
}

static int decode(bitreader *b, const code *c)
{
    if (c->single) return c->symbol;
    int value = 0, first = 0, index = 0;
    for (int len = 1; len <= MAX_CODE_LENGTH; len++) {
        value |= (int)read_bits(b, 1);
        int count = c->count[len];
        if (value - count < first) return c->symbols[index + (value - first)];
        index += count;
        first += count;
        first <<= 1;
        value <<= 1;
    }
    return -1;
}

typedef struct scanner {
    bitreader br;
    const volatile int32_t *cancel;
    uint8_t lengths[MAX_ALPHABET];
    code codes[5];
    code length_code;
    int64_t stored;   /* sub-image pixels libwebp keeps (transform data, entropy image) */
    int status;
} scanner;

static int read_code_lengths(scanner *s, const uint8_t *length_code_lengths, int alphabet)
{
    if (!build(&s->length_code, length_code_lengths, 19)) return 0;
    int max_symbol = alphabet, previous = 8, symbol = 0;
    if (read_bits(&s->br, 1)) {
        int nbits = 2 + 2 * (int)read_bits(&s->br, 3);
        max_symbol = 2 + (int)read_bits(&s->br, nbits);
        if (max_symbol > alphabet) return 0;
    }
    while (symbol < alphabet) {
        if (max_symbol-- == 0) break;
        int length = decode(&s->br, &s->length_code);
        if (length < 0 || s->br.eos) return 0;
        if (length < 16) {
            s->lengths[symbol++] = (uint8_t)length;
            if (length != 0) previous = length;
        } else {
            int slot = length - 16;
            int repeat = (int)read_bits(&s->br, kCodeLengthExtraBits[slot]) + kCodeLengthRepeatOffsets[slot];
            if (symbol + repeat > alphabet) return 0;
            uint8_t value = (uint8_t)(length == 16 ? previous : 0);
            while (repeat-- > 0) s->lengths[symbol++] = value;
        }
    }
    return 1;
}

static int read_code(scanner *s, int alphabet, code *c)
{
    memset(s->lengths, 0, (size_t)(alphabet > 256 ? alphabet : 256));
    if (read_bits(&s->br, 1)) { /* simple code: one or two symbols */
        int two = (int)read_bits(&s->br, 1);
        int first = (int)read_bits(&s->br, read_bits(&s->br, 1) ? 8 : 1);
        s->lengths[first] = 1;
        if (two) s->lengths[read_bits(&s->br, 8)] = 1;
    } else {
        uint8_t length_code_lengths[19] = { 0 };
        int codes = (int)read_bits(&s->br, 4) + 4;
        if (codes > 19) return 0;
        for (int i = 0; i < codes; i++) length_code_lengths[kCodeLengthCodeOrder[i]] = (uint8_t)read_bits(&s->br, 3);
        if (!read_code_lengths(s, length_code_lengths, alphabet)) return 0;
    }
    return !s->br.eos && build(c, s->lengths, alphabet);
}

static int copy_distance(bitreader *b, int symbol)
{
    if (symbol < 4) return symbol + 1;
    int extra = (symbol - 2) >> 1;
    int offset = (2 + (symbol & 1)) << extra;
    return offset + (int)read_bits(b, extra) + 1;
}

static int64_t plane_distance(int64_t xsize, int code)
{
    if (code > CODE_TO_PLANE_CODES) return code - CODE_TO_PLANE_CODES;
    int d = kCodeToPlane[code - 1];
    int64_t distance = (int64_t)(d >> 4) * xsize + (8 - (d & 0xf));
    return distance >= 1 ? distance : 1;
}

/* A sub-image (no transforms, one group of codes) of xsize x ysize pixels; the pixels are kept in
 * `out` when it is not NULL (the entropy image), else only their number matters. */
static int sub_image(scanner *s, int xsize, int ysize, uint32_t *out)
{
    int cache_bits = 0;
    if (read_bits(&s->br, 1)) {
        cache_bits = (int)read_bits(&s->br, 4);
        if (cache_bits < 1 || cache_bits > MAX_CACHE_BITS) return 0;
    }
    for (int j = 0; j < 5; j++)
        if (!read_code(s, kAlphabetSize[j] + (j == 0 && cache_bits > 0 ? 1 << cache_bits : 0), &s->codes[j])) return 0;
    uint32_t cache[1 << MAX_CACHE_BITS];
    if (cache_bits > 0) memset(cache, 0, sizeof(uint32_t) << cache_bits);
    const int64_t total = (int64_t)xsize * ysize;
    int64_t pos = 0, cached = 0;
    while (pos < total) {
        if ((pos & 0xFFFF) == 0 && in_cancelled(s->cancel)) { s->status = IN_CANCELLED; return 0; }
        int green = decode(&s->br, &s->codes[0]);
        if (green < 0) return 0;
        if (green < NUM_LITERAL_CODES) {
            int red = decode(&s->br, &s->codes[1]), blue = decode(&s->br, &s->codes[2]), alpha = decode(&s->br, &s->codes[3]);
            if (red < 0 || blue < 0 || alpha < 0 || s->br.eos) return 0;
            if (out != NULL) out[pos] = (uint32_t)alpha << 24 | (uint32_t)red << 16 | (uint32_t)green << 8 | (uint32_t)blue;
            pos++;
        } else if (green < NUM_LITERAL_CODES + NUM_LENGTH_CODES) {
            int length = copy_distance(&s->br, green - NUM_LITERAL_CODES);
            int distance_symbol = decode(&s->br, &s->codes[4]);
            if (distance_symbol < 0) return 0;
            int64_t distance = plane_distance(xsize, copy_distance(&s->br, distance_symbol));
            if (s->br.eos || pos < distance || total - pos < length) return 0;
            if (out != NULL)
                for (int i = 0; i < length; i++) out[pos + i] = out[pos + i - distance];
            pos += length;
        } else { /* colour cache: the pixels so far are inserted first, then looked up */
            int key = green - NUM_LITERAL_CODES - NUM_LENGTH_CODES;
            if (cache_bits == 0 || key >= (1 << cache_bits)) return 0;
            if (out != NULL) {
                for (; cached < pos; cached++) cache[(0x1e35a7bdu * out[cached]) >> (32 - cache_bits)] = out[cached];
                out[pos] = cache[key];
            }
            pos++;
        }
        if (s->br.eos) return 0;
    }
    return 1;
}

static int subsample(int size, int bits) { return (size + (1 << bits) - 1) >> bits; }

int in_vp8l_scan(const uint8_t *data, size_t size, int with_header, int width, int height,
                 const volatile int32_t *cancel, in_vp8l_header *header)
{
    scanner *s = calloc(1, sizeof(*s));
    if (s == NULL) return IN_NO_MEMORY;
    s->br.data = data;
    s->br.size = size;
    s->cancel = cancel;
    s->status = IN_INVALID;
    memset(header, 0, sizeof(*header));
    int status = IN_INVALID, xsize = width, seen = 0, cache_bits = 0;
    uint32_t *entropy = NULL;

    /* A VP8L chunk starts with its signature, 14 + 14 bits of size, the alpha hint and a version
     * that must be 0 (libwebp reads them through the same bit reader); an ALPH stream does not. */
    if (with_header && (read_bits(&s->br, 8) != 0x2f || (read_bits(&s->br, 24), read_bits(&s->br, 8) >> 5) != 0)) goto done;
    while (read_bits(&s->br, 1)) { /* transforms, each at most once */
        int type = (int)read_bits(&s->br, 2);
        if (seen & (1 << type)) goto done;
        seen |= 1 << type;
        if (type == 0 || type == 1) { /* predictor, cross-colour: a sub-image of per-block data */
            int bits = (int)read_bits(&s->br, 3) + 2;
            if (!sub_image(s, subsample(xsize, bits), subsample(height, bits), NULL)) goto done;
            s->stored += (int64_t)subsample(xsize, bits) * subsample(height, bits);
        } else if (type == 3) { /* colour indexing: a palette, then packed pixels */
            int colours = (int)read_bits(&s->br, 8) + 1;
            int bits = colours > 16 ? 0 : colours > 4 ? 1 : colours > 2 ? 2 : 3;
            if (!sub_image(s, colours, 1, NULL)) goto done;
            s->stored += 256 + colours;
            xsize = subsample(xsize, bits);
        }
        if (s->br.eos) goto done;
    }
    if (read_bits(&s->br, 1)) {
        cache_bits = (int)read_bits(&s->br, 4);
        if (cache_bits < 1 || cache_bits > MAX_CACHE_BITS) goto done;
    }
    int64_t groups = 1;
    if (read_bits(&s->br, 1)) { /* meta-Huffman codes: the entropy image names a group per block */
        int bits = (int)read_bits(&s->br, 3) + 2;
        int ex = subsample(xsize, bits), ey = subsample(height, bits);
        entropy = malloc(sizeof(uint32_t) * (size_t)ex * (size_t)ey);
        if (entropy == NULL) { s->status = IN_NO_MEMORY; goto done; }
        if (!sub_image(s, ex, ey, entropy)) goto done;
        s->stored += (int64_t)ex * ey;
        /* libwebp: the largest group index + 1, or the number of distinct groups when that is
         * over 1000 or over the pixel count. */
        int64_t max_group = 0, pixels = (int64_t)ex * ey;
        for (int64_t i = 0; i < pixels; i++) {
            int64_t g = (entropy[i] >> 8) & 0xffff;
            if (g > max_group) max_group = g;
        }
        groups = max_group + 1;
        if (groups > 1000 || groups > (int64_t)xsize * height) {
            uint8_t *used = calloc((size_t)groups, 1);
            if (used == NULL) { s->status = IN_NO_MEMORY; goto done; }
            groups = 0;
            for (int64_t i = 0; i < pixels; i++) {
                uint32_t g = (entropy[i] >> 8) & 0xffff;
                if (!used[g]) { used[g] = 1; groups++; }
            }
            free(used);
        }
    }
    if (s->br.eos) goto done;
    header->groups = groups;
    header->cache_bits = cache_bits;
    header->table_bytes = groups * (4 * (int64_t)kTableSize[cache_bits] + HTREE_GROUP_BYTES);
    header->stored_bytes = 4 * s->stored;
    status = IN_OK;
done:
    if (status != IN_OK && s->status != IN_INVALID) status = s->status;
    free(entropy);
    free(s);
    return status;
}
