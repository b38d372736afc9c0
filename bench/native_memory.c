/* The native library's memory estimate against what it really allocates: for each file, plans
 * and makes a 256 px JPEG thumbnail as the service does, and prints the estimate
 * (images_native_plan's info.memory), the heap's peak during the thumbnail call (every malloc of
 * the process, libjpeg's, libpng's and libwebp's included, counted through the interposed
 * allocator below, and the anonymous mappings the library makes itself: png_idat.c's inflated
 * rows), their ratio, the time and the status.
 *   cc -O2 -o native_memory native_memory.c -I ../Images.Native/src -L <dir> -limages_native -ldl
 *   LD_LIBRARY_PATH=<dir> ./native_memory [-m max_memory_mib] [-d max_dimension] [-p max_pixels] [-s max_side] [-f flags] files...
 * Used by bench/native-memory.sh. */
#define _GNU_SOURCE
#include "images_native.h"

#include <dlfcn.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);
extern void *__libc_memalign(size_t, size_t);

static long long current, peak;

static void grew(void *p)
{
    if (p == NULL) return;
    long long now = __atomic_add_fetch(&current, (long long)malloc_usable_size(p), __ATOMIC_RELAXED);
    long long seen = __atomic_load_n(&peak, __ATOMIC_RELAXED);
    while (now > seen && !__atomic_compare_exchange_n(&peak, &seen, now, 1, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {}
}

static void shrank(void *p)
{
    if (p != NULL) __atomic_sub_fetch(&current, (long long)malloc_usable_size(p), __ATOMIC_RELAXED);
}

void *malloc(size_t n) { void *p = __libc_malloc(n); grew(p); return p; }
void *calloc(size_t a, size_t b) { void *p = __libc_calloc(a, b); grew(p); return p; }
void free(void *p) { shrank(p); __libc_free(p); }
void *realloc(void *old, size_t n)
{
    shrank(old);
    void *p = __libc_realloc(old, n);
    if (p == NULL && old != NULL && n != 0) grew(old); else grew(p);
    return p;
}
int posix_memalign(void **out, size_t alignment, size_t n) { *out = __libc_memalign(alignment, n); grew(*out); return *out ? 0 : 12; }
void *aligned_alloc(size_t alignment, size_t n) { void *p = __libc_memalign(alignment, n); grew(p); return p; }
void *memalign(size_t alignment, size_t n) { void *p = __libc_memalign(alignment, n); grew(p); return p; }

/* Anonymous mappings made through the library's calls of mmap (glibc's own large blocks are
 * mapped inside malloc, which is counted above): a few at a time, kept by address. */
#define MAPPINGS 64
static struct { void *address; size_t length; } mappings[MAPPINGS];

void *mmap(void *address, size_t length, int prot, int flags, int fd, off_t offset)
{
    static void *(*real)(void *, size_t, int, int, int, off_t);
    if (real == NULL) real = (void *(*)(void *, size_t, int, int, int, off_t))dlsym(RTLD_NEXT, "mmap");
    void *p = real(address, length, prot, flags, fd, offset);
    if (p != MAP_FAILED && (flags & MAP_ANONYMOUS)) {
        for (int i = 0; i < MAPPINGS; i++) {
            void *empty = NULL;
            if (__atomic_compare_exchange_n(&mappings[i].address, &empty, p, 0, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
                mappings[i].length = length;
                long long now = __atomic_add_fetch(&current, (long long)length, __ATOMIC_RELAXED);
                long long seen = __atomic_load_n(&peak, __ATOMIC_RELAXED);
                while (now > seen && !__atomic_compare_exchange_n(&peak, &seen, now, 1, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {}
                break;
            }
        }
    }
    return p;
}

int munmap(void *address, size_t length)
{
    static int (*real)(void *, size_t);
    if (real == NULL) real = (int (*)(void *, size_t))dlsym(RTLD_NEXT, "munmap");
    for (int i = 0; i < MAPPINGS; i++) {
        if (__atomic_load_n(&mappings[i].address, __ATOMIC_RELAXED) == address) {
            __atomic_sub_fetch(&current, (long long)mappings[i].length, __ATOMIC_RELAXED);
            __atomic_store_n(&mappings[i].address, NULL, __ATOMIC_RELAXED);
            break;
        }
    }
    return real(address, length);
}

static double seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    long long max_memory = 0, max_pixels = 1000000000LL;
    int max_side = 256, max_dimension = 0, flags = 0, first = 1;
    while (first + 1 < argc && argv[first][0] == '-') {
        if (strcmp(argv[first], "-m") == 0) max_memory = atoll(argv[first + 1]) * 1024 * 1024;
        else if (strcmp(argv[first], "-s") == 0) max_side = atoi(argv[first + 1]);
        else if (strcmp(argv[first], "-d") == 0) max_dimension = atoi(argv[first + 1]);
        else if (strcmp(argv[first], "-p") == 0) max_pixels = atoll(argv[first + 1]);
        else if (strcmp(argv[first], "-f") == 0) flags = atoi(argv[first + 1]);
        first += 2;
    }
    printf("file\tformat\tsize\testimate_mib\tpeak_mib\testimate/peak\tseconds\tstatus\n");
    for (int i = first; i < argc; i++) {
        in_request request = { .max_side = max_side, .quality = 85, .output = IN_OUTPUT_JPEG, .max_pixels = max_pixels,
                               .max_memory = max_memory, .max_dimension = max_dimension, .flags = flags };
        in_info info;
        in_result result;
        char error[512] = "";
        int planned = images_native_plan_file(argv[i], &request, &info, error, sizeof(error));
        long long base = __atomic_load_n(&current, __ATOMIC_RELAXED);
        __atomic_store_n(&peak, base, __ATOMIC_RELAXED);
        double start = seconds();
        int status = images_native_thumbnail_file(argv[i], &request, &info, &result, error, sizeof(error));
        double elapsed = seconds() - start;
        double used = (double)(__atomic_load_n(&peak, __ATOMIC_RELAXED) - base) / (1024.0 * 1024.0);
        double estimate = (double)info.memory / (1024.0 * 1024.0);
        const char *name = strrchr(argv[i], '/') ? strrchr(argv[i], '/') + 1 : argv[i];
        printf("%s\t%d\t%dx%d\t%.1f\t%.1f\t%.2f\t%.3f\t%d %s\n", name, info.format, info.width, info.height, estimate, used,
               used > 0 ? estimate / used : 0.0, elapsed, status, status == IN_OK ? "" : error);
        if (status == IN_OK) images_native_free(result.data);
        (void)planned;
    }
    return 0;
}
