/* The JPEG floor the native path is held to: libjpeg-turbo's DCT-scaled decode, a plain box
 * reduction to the 256 px target, and a q85 encode (the service's IMG_THUMBNAIL_QUALITY default),
 * one file after another.
 * Build: cc -O2 -o jpeg_baseline jpeg_baseline.c -ljpeg     Run: ./jpeg_baseline files... */
#include <stdio.h>
#include <stdlib.h>
#include <jpeglib.h>

static void thumbnail(const char *path)
{
    FILE *in = fopen(path, "rb");
    if (!in) return;
    struct jpeg_decompress_struct d;
    struct jpeg_error_mgr e;
    d.err = jpeg_std_error(&e);
    jpeg_create_decompress(&d);
    jpeg_stdio_src(&d, in);
    jpeg_read_header(&d, TRUE);
    unsigned longest = d.image_width > d.image_height ? d.image_width : d.image_height, n = 8;
    for (unsigned c = 1; c <= 8; c++) if ((longest * c + 7) / 8 >= 256) { n = c; break; }
    d.scale_num = n; d.scale_denom = 8; d.out_color_space = JCS_RGB;
    jpeg_start_decompress(&d);
    unsigned w = d.output_width, h = d.output_height, lw = w > h ? w : h;
    unsigned tw = lw > 256 ? w * 256 / lw : w, th = lw > 256 ? h * 256 / lw : h;
    if (!tw) tw = 1;
    if (!th) th = 1;
    unsigned char *img = malloc((size_t)w * h * 3), *out = calloc((size_t)tw * th * 3, 1);
    unsigned *acc = calloc((size_t)tw * th * 4, sizeof(unsigned));
    while (d.output_scanline < h) {
        JSAMPROW row = img + (size_t)d.output_scanline * w * 3;
        jpeg_read_scanlines(&d, &row, 1);
    }
    for (unsigned y = 0; y < h; y++)
        for (unsigned x = 0; x < w; x++) {
            unsigned *a = acc + ((size_t)(y * th / h) * tw + x * tw / w) * 4;
            const unsigned char *p = img + ((size_t)y * w + x) * 3;
            a[0] += p[0]; a[1] += p[1]; a[2] += p[2]; a[3]++;
        }
    for (size_t i = 0; i < (size_t)tw * th; i++)
        for (int c = 0; c < 3; c++) out[i * 3 + c] = (unsigned char)(acc[i * 4 + c] / (acc[i * 4 + 3] ? acc[i * 4 + 3] : 1));
    jpeg_finish_decompress(&d);
    jpeg_destroy_decompress(&d);
    fclose(in);

    struct jpeg_compress_struct c;
    c.err = jpeg_std_error(&e);
    jpeg_create_compress(&c);
    unsigned char *buffer = NULL;
    unsigned long size = 0;
    jpeg_mem_dest(&c, &buffer, &size);
    c.image_width = tw; c.image_height = th; c.input_components = 3; c.in_color_space = JCS_RGB;
    jpeg_set_defaults(&c);
    jpeg_set_quality(&c, 85, TRUE);
    jpeg_start_compress(&c, TRUE);
    while (c.next_scanline < th) {
        JSAMPROW row = out + (size_t)c.next_scanline * tw * 3;
        jpeg_write_scanlines(&c, &row, 1);
    }
    jpeg_finish_compress(&c);
    jpeg_destroy_compress(&c);
    free(buffer); free(img); free(out); free(acc);
}

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) thumbnail(argv[i]);
    return 0;
}
