/* EXIF orientation, read from a TIFF-structured EXIF block wherever a container keeps one (a JPEG
 * APP1 segment, a PNG eXIf chunk, a WebP EXIF chunk). Bottom layer: calls nothing of this library. */
#ifndef IMAGES_NATIVE_EXIF_H
#define IMAGES_NATIVE_EXIF_H

#include <stddef.h>
#include <stdint.h>

/* The orientation tag (1..8) of the first IFD ("Exif\0\0" prefix optional); 1 when absent or
 * unreadable. Reads only inside [data, data + size). */
int in_exif_orientation(const uint8_t *data, size_t size);

#endif
