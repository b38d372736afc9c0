/* The header of a lossless WebP (VP8L) stream, read for the memory estimate (see webp_vp8l.c).
 * Called by webp_read.c only; calls the bottom layer (the cancellation check). */
#ifndef IMAGES_NATIVE_WEBP_VP8L_H
#define IMAGES_NATIVE_WEBP_VP8L_H

#include <stddef.h>
#include <stdint.h>

/* What a lossless (VP8L) image stream costs libwebp beyond its pixels. */
typedef struct in_vp8l_header {
    int64_t groups;        /* Huffman code groups libwebp allocates tables for */
    int64_t table_bytes;   /* their lookup tables and structures */
    int64_t stored_bytes;  /* transform data and the entropy image, 4 bytes a pixel */
    int cache_bits;
} in_vp8l_header;

/* Reads the stream's header: the Huffman tables of every group of codes it uses, and the
 * transforms' and the entropy image's data. with_header: the stream starts with the VP8L chunk's
 * 5-byte header (an ALPH chunk's stream does not). IN_OK, IN_INVALID (libwebp would reject the
 * stream too), IN_CANCELLED (*cancel set) or IN_NO_MEMORY. */
int in_vp8l_scan(const uint8_t *data, size_t size, int with_header, int width, int height,
                 const volatile int32_t *cancel, in_vp8l_header *header);

#endif
