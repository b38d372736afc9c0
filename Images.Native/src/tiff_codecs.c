/* libtiff's codecs that are not linked in (ADR 8; built with IMAGES_NATIVE_STATIC, into the library
 * and the fuzzer alike). Not a layer of the library: nothing of ours calls it; libtiff's table of
 * codecs does.
 *
 * Debian's libtiff.a was built with every codec; its table of codecs (tif_codec.o) names each
 * one's set-up function, and the linker takes an archive member only for a name nothing else
 * defines. These definitions keep out:
 *  - JBIG (jbigkit is GPL: it does not belong inside this library) and LERC (C++, it would bring
 *    libstdc++ in);
 *  - ZSTD, LZMA and WebP: their decoders take the window or dictionary size the data declares
 *    (up to gigabytes for LZMA), which the header cannot bound for the budget (NFR-8).
 * Each does what libtiff does for a scheme it does not know (TIFFSetCompressionScheme has already
 * set its default "no codec" state): the header reads, and decoding fails with libtiff's "not
 * implemented" error. tiff_read.c sends such files to the managed path before that (IN_UNSUPPORTED).
 * These names are hidden like every other symbol of the library. */
typedef struct tiff TIFF;
int TIFFInitJBIG(TIFF *tif, int scheme);
int TIFFInitLERC(TIFF *tif, int scheme);
int TIFFInitZSTD(TIFF *tif, int scheme);
int TIFFInitLZMA(TIFF *tif, int scheme);
int TIFFInitWebP(TIFF *tif, int scheme);

int TIFFInitJBIG(TIFF *tif, int scheme) { (void)tif; (void)scheme; return 1; }
int TIFFInitLERC(TIFF *tif, int scheme) { (void)tif; (void)scheme; return 1; }
int TIFFInitZSTD(TIFF *tif, int scheme) { (void)tif; (void)scheme; return 1; }
int TIFFInitLZMA(TIFF *tif, int scheme) { (void)tif; (void)scheme; return 1; }
int TIFFInitWebP(TIFF *tif, int scheme) { (void)tif; (void)scheme; return 1; }
