/* What linking the codecs statically into a shared object needs (ADR 8; built only with
 * IMAGES_NATIVE_STATIC). Not a layer of the library: nothing of ours calls it.
 *
 * glibc's stderr. Debian compiles its static archives as position-independent *executable* code,
 * which reads external data such as glibc's `stderr` directly (an R_X86_64_PC32 relocation that
 * an executable resolves with a copy relocation) instead of through the GOT, as a shared object
 * must. libjpeg's, libpng's, libtiff's and zstd's default message printers do (they never run
 * here: every decoder installs handlers of its own that print nothing). The linker accepts such a
 * reference in a shared object only when the symbol is the object's own: this hidden `stderr`,
 * pointed at the process's stream when the library is loaded. It is not exported (the version
 * script exports images_native_* alone), so the process's own `stderr` is untouched. */
#define _GNU_SOURCE
#include <dlfcn.h>

__attribute__((visibility("hidden"))) void *stderr;

__attribute__((constructor)) static void bind_stderr(void)
{
    /* The process's `stderr` variable (glibc's, or the executable's copy of it). */
    void **process_stderr = dlsym(RTLD_DEFAULT, "stderr");
    stderr = process_stderr != 0 ? *process_stderr : 0;
}

/* libtiff's codecs that are not linked in. Debian's libtiff.a was built with every codec; its
 * table of codecs (tif_codec.o) names each one's set-up function, and the linker takes an archive
 * member only for a name nothing else defines. These definitions keep out:
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
