#include "bmff.h"

#include <string.h>

#include "bytes.h"
#include "images_native.h"

/* One box at [at, end): its type, payload and the offset after it; 0 when it does not fit. */
typedef struct box { const uint8_t *type, *payload; size_t payload_size, next; } box;

static int read_box(const uint8_t *data, size_t at, size_t end, box *b)
{
    if (at + 8 > end) return 0;
    uint64_t length = in_be32(data + at);
    size_t header = 8;
    if (length == 1) {
        if (at + 16 > end) return 0;
        length = (uint64_t)in_be32(data + at + 8) << 32 | in_be32(data + at + 12);
        header = 16;
    } else if (length == 0) {
        length = end - at; /* to the end of the enclosing box */
    }
    if (length < header || length > end - at) return 0;
    b->type = data + at + 4;
    b->payload = data + at + header;
    b->payload_size = (size_t)length - header;
    b->next = at + (size_t)length;
    return 1;
}

static int is_brand(const uint8_t *b, const char *const *list)
{
    for (; *list != NULL; list++)
        if (memcmp(b, *list, 4) == 0) return 1;
    return 0;
}

int in_bmff_brand(const uint8_t *data, size_t size)
{
    static const char *const avif[] = { "avif", "avis", NULL };
    static const char *const heif[] = { "heic", "heix", "hevc", "hevx", "heim", "heis", "mif1", "msf1", NULL };
    /* A file cut inside its ftyp box is still read as far as it goes (its decoder then says it is
     * truncated, rather than the file being an unknown format). */
    box ftyp;
    if (data == NULL || size < 16 || memcmp(data + 4, "ftyp", 4) != 0) return IN_FORMAT_UNKNOWN;
    if (!read_box(data, 0, size, &ftyp)) {
        const uint32_t declared = in_be32(data);
        if (declared < 16) return IN_FORMAT_UNKNOWN;
        ftyp.type = data + 4;
        ftyp.payload = data + 8;
        ftyp.payload_size = size - 8;
    }
    if (ftyp.payload_size < 8) return IN_FORMAT_UNKNOWN;
    /* major brand, minor version, then the compatible brands */
    int found = IN_FORMAT_UNKNOWN;
    size_t brands = 1 + (ftyp.payload_size - 8) / 4;
    if (brands > IN_BMFF_MAX_BRANDS + 1) brands = IN_BMFF_MAX_BRANDS + 1;
    for (size_t i = 0; i < brands; i++) {
        const uint8_t *b = i == 0 ? ftyp.payload : ftyp.payload + 4 + 4 * i;
        if (is_brand(b, avif)) return IN_FORMAT_AVIF;
        if (is_brand(b, heif)) found = IN_FORMAT_HEIF;
    }
    return found;
}

/* The first child of [from, end) of this type. */
static int find_child(const uint8_t *data, size_t from, size_t end, const char *type, box *out)
{
    for (size_t at = from; read_box(data, at, end, out); at = out->next)
        if (memcmp(out->type, type, 4) == 0) return 1;
    return 0;
}

const uint8_t *in_bmff_icc(const uint8_t *data, size_t size, size_t *length)
{
    *length = 0;
    box meta, iprp, ipco, colr;
    if (!find_child(data, 0, size, "meta", &meta) || meta.payload_size < 4) return NULL;
    const size_t meta_start = (size_t)(meta.payload - data) + 4; /* a full box: version and flags */
    const size_t meta_end = (size_t)(meta.payload - data) + meta.payload_size;
    if (!find_child(data, meta_start, meta_end, "iprp", &iprp)) return NULL;
    const size_t iprp_start = (size_t)(iprp.payload - data);
    if (!find_child(data, iprp_start, iprp_start + iprp.payload_size, "ipco", &ipco)) return NULL;
    const size_t ipco_start = (size_t)(ipco.payload - data), ipco_end = ipco_start + ipco.payload_size;
    for (size_t at = ipco_start; read_box(data, at, ipco_end, &colr); at = colr.next) {
        if (memcmp(colr.type, "colr", 4) != 0 || colr.payload_size <= 4) continue;
        if (memcmp(colr.payload, "prof", 4) == 0 || memcmp(colr.payload, "rICC", 4) == 0) {
            *length = colr.payload_size - 4;
            return colr.payload + 4;
        }
    }
    return NULL;
}
