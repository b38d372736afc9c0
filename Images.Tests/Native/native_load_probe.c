/* NativePackagingTests' probe: loads libimages_native from the path given with RTLD_NOW (every
 * symbol resolved at load, so a missing dependency fails here rather than at first use), checks
 * its version handshake, makes a 64 px JPEG thumbnail of every file given (the codecs really run),
 * then prints every file the process has mapped, one "mapped: PATH" line each, from
 * /proc/self/maps. Exit codes: 0 ok, 2 not loadable, 3 a thumbnail failed. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "images_native.h"

typedef int32_t version_fn(void);
typedef int32_t thumbnail_fn(const char *, const in_request *, in_info *, in_result *, char *, size_t);
typedef void free_fn(uint8_t *);

int main(int argc, char **argv)
{
    if (argc < 2) return 2;
    void *library = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (library == NULL) {
        printf("dlopen: %s\n", dlerror());
        return 2;
    }
    version_fn *version = (version_fn *)dlsym(library, "images_native_version");
    thumbnail_fn *thumbnail = (thumbnail_fn *)dlsym(library, "images_native_thumbnail_file");
    free_fn *release = (free_fn *)dlsym(library, "images_native_free");
    if (version == NULL || thumbnail == NULL || release == NULL) {
        printf("dlsym: %s\n", dlerror());
        return 2;
    }
    printf("version: %d\n", version());
    for (int i = 2; i < argc; i++) {
        in_request request = { .max_side = 64, .quality = 85, .output = IN_OUTPUT_JPEG, .max_pixels = 100000000 };
        in_info info;
        in_result result;
        char error[256] = "";
        int status = thumbnail(argv[i], &request, &info, &result, error, sizeof(error));
        printf("thumbnail: %s status %d, %dx%d, %zu bytes %s\n", argv[i], status, result.width, result.height, result.size, error);
        release(result.data);
        if (status != IN_OK) return 3;
    }
    FILE *maps = fopen("/proc/self/maps", "r");
    char line[4096], previous[4096] = "";
    while (maps != NULL && fgets(line, sizeof(line), maps) != NULL) {
        const char *path = strchr(line, '/');
        if (path == NULL || strcmp(path, previous) == 0) continue; /* one line per file, not per segment */
        printf("mapped: %s", path);
        snprintf(previous, sizeof(previous), "%s", path);
    }
    return 0;
}
