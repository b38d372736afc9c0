/* A JPEG stream's marker structure, walked in place without libjpeg: where a scan's
 * entropy-coded data ends, the EXIF orientation in APP1, the copy of a progressive stream
 * without the AC scans a 1/8-scale decode does not read, and whether a stream is decoded in one
 * scan. Used by jpeg_read.c, jpeg_dc.c and tiff_read.c (the JPEG streams of JPEG-in-TIFF strips
 * and tiles); calls only the bottom layer (errors, budget, exif). */
#ifndef IMAGES_NATIVE_JPEG_MARKERS_H
#define IMAGES_NATIVE_JPEG_MARKERS_H

#include <stddef.h>
#include <stdint.h>

/* Where a scan's entropy-coded data starting at `from` ends: the 0xFF of the next marker that is
 * not a stuffed 0xFF00, a restart marker or a fill byte; `size` when there is none. */
size_t in_jpeg_entropy_end(const uint8_t *data, size_t size, size_t from);

/* EXIF orientation from the first APP1 "Exif" segment, read in place (libjpeg would copy every
 * APP1 segment, megabytes of XMP in some photos, to hand it over); 1 when absent. */
int in_jpeg_orientation(const uint8_t *data, size_t size);

/* Whether libjpeg would need a buffer of the whole frame's coefficients to decode the stream: a
 * progressive frame, or a sequential one whose first scan leaves components out (one scan per
 * component). 0 for a sequential, interleaved stream (libjpeg decodes it a few rows at a time), and
 * when the markers up to the first scan do not walk cleanly (the decoder then reports what is
 * wrong). Reads only [data, data + size). */
int in_jpeg_multiple_scans(const uint8_t *data, size_t size);

/* Returns the stream without the AC scans keep_ac (by component id) leaves out and without
 * metadata segments (the caller frees it), or NULL with *status IN_OK when nothing is left out or
 * the marker structure is not walked cleanly to the EOI marker (the caller then decodes the
 * original, which reports what is wrong with it). More than max_scans scans, or *cancel set, end
 * the walk with that *status (and the message). */
uint8_t *in_jpeg_drop_scans(const uint8_t *data, size_t size, const uint8_t *keep_ac, int max_scans,
                            const volatile int32_t *cancel, size_t *out_size, int *status,
                            char *error, size_t error_size);

#endif
