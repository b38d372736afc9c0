/* Two builds of the native library, output for output: every file through images_native_thumbnail
 * of each (dlopen'ed side by side, RTLD_LOCAL), as a 256 px JPEG (quality 85, the service's
 * default) and as a WebP, and the bytes compared. Prints one line per difference and a summary;
 * exits 1 when any output differs. Used by bench/native-compare.sh.
 *   cc -O2 -o native_compare native_compare.c -I ../Images.Native/src -ldl
 *   ./native_compare LIB_A LIB_B files... */
#define _GNU_SOURCE
#include "images_native.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef int32_t thumbnail_fn(const char *, const in_request *, in_info *, in_result *, char *, size_t);
typedef void free_fn(uint8_t *);

typedef struct library { thumbnail_fn *thumbnail; free_fn *release; } library;

static library open_library(const char *path)
{
    void *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (handle == NULL) {
        fprintf(stderr, "%s\n", dlerror());
        exit(2);
    }
    library l = { (thumbnail_fn *)dlsym(handle, "images_native_thumbnail_file"), (free_fn *)dlsym(handle, "images_native_free") };
    if (l.thumbnail == NULL || l.release == NULL) {
        fprintf(stderr, "%s: no images_native_thumbnail_file\n", path);
        exit(2);
    }
    return l;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: %s LIB_A LIB_B files...\n", argv[0]);
        return 2;
    }
    library a = open_library(argv[1]), b = open_library(argv[2]);
    int compared = 0, different = 0, added = 0;
    for (int i = 3; i < argc; i++) {
        for (int output = IN_OUTPUT_JPEG; output <= IN_OUTPUT_WEBP; output++) {
            in_request request = { .max_side = 256, .quality = 85, .output = output, .max_pixels = 100000000 };
            in_info info_a, info_b;
            in_result result_a, result_b;
            char error_a[256] = "", error_b[256] = "";
            int status_a = a.thumbnail(argv[i], &request, &info_a, &result_a, error_a, sizeof(error_a));
            int status_b = b.thumbnail(argv[i], &request, &info_b, &result_b, error_b, sizeof(error_b));
            compared++;
            if (status_a == IN_UNSUPPORTED && status_b == IN_OK) {
                added++;
            } else if (status_a != status_b || result_a.size != result_b.size
                || (result_a.size > 0 && memcmp(result_a.data, result_b.data, result_a.size) != 0)) {
                different++;
                printf("%s (%s): A status %d, %zu bytes (%s); B status %d, %zu bytes (%s)\n", argv[i], output ? "webp" : "jpeg",
                       status_a, result_a.size, error_a, status_b, result_b.size, error_b);
            }
            a.release(result_a.data);
            b.release(result_b.data);
        }
    }
    printf("%d outputs compared, %d different, %d decoded by B only\n", compared, different, added);
    return different == 0 ? 0 : 1;
}
