/* What linking the codecs statically into a shared object needs (ADR 8; built only with
 * IMAGES_NATIVE_STATIC, into the library, not the fuzzer's executable). Not a layer of the
 * library: nothing of ours calls it. (libtiff's codecs left out: tiff_codecs.c.)
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

