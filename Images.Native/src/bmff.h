/* ISO base media file format (HEIF, AVIF) read from its bytes without a decoder: the `ftyp` box's
 * brands (which decoder takes the file) and the `colr` property's ICC profile. Bottom layer: calls
 * nothing of this library. */
#ifndef IMAGES_NATIVE_BMFF_H
#define IMAGES_NATIVE_BMFF_H

#include <stddef.h>
#include <stdint.h>

/* Most compatible brands read from `ftyp` (real files list 2-8). */
#define IN_BMFF_MAX_BRANDS 64

/* IN_FORMAT_AVIF when the major or a compatible brand is avif/avis, IN_FORMAT_HEIF when it is one
 * of heic/heix/hevc/hevx/heim/heis/mif1/msf1 (AVIF wins: an AVIF lists mif1 too), else
 * IN_FORMAT_UNKNOWN. Reads the first box only, at most IN_BMFF_MAX_BRANDS brands. */
int in_bmff_brand(const uint8_t *data, size_t size);

/* The first `colr` property of type `prof` or `rICC` in meta/iprp/ipco: a pointer into data and
 * its length, or NULL (no profile, or a nclx one). */
const uint8_t *in_bmff_icc(const uint8_t *data, size_t size, size_t *length);

#endif
