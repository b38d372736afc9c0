/* NativePackagingTests' probe: loads libimages_native from the path given with RTLD_NOW (every
 * symbol resolved at load, so a missing dependency fails here rather than at first use), checks
 * its version handshake, makes a 64 px JPEG thumbnail of every file given (the codecs really run)
 * and its renditions (64 and 32 px, JPEG, WebP and PNG: no AVIF, which opens libavif), then prints
 * every file the process has mapped, one "mapped: PATH" line each, from /proc/self/maps; last,
 * the optional libraries opened at run time (ADR 12), "features: BITS TEXT". Exit codes: 0 ok,
 * 2 not loadable, 3 a thumbnail or renditions failed. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "images_native.h"

typedef int32_t version_fn(void);
typedef int32_t thumbnail_fn(const char *, const in_request *, in_info *, in_result *, char *, size_t);
typedef void free_fn(uint8_t *);
typedef int32_t renditions_fn(const char *, const in_renditions_request *, in_info *, in_renditions *, char *, size_t);
typedef void renditions_free_fn(in_renditions *);
typedef int32_t features_fn(char *, size_t);

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
    renditions_fn *renditions = (renditions_fn *)dlsym(library, "images_native_renditions_file");
    renditions_free_fn *renditions_free = (renditions_free_fn *)dlsym(library, "images_native_renditions_free");
    features_fn *features = (features_fn *)dlsym(library, "images_native_features");
    if (version == NULL || thumbnail == NULL || release == NULL || renditions == NULL || renditions_free == NULL || features == NULL) {
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
        in_renditions_request many = { .limits = request, .count = 2, .sides = { 64, 32 },
                                       .outputs = 1 << IN_OUTPUT_JPEG | 1 << IN_OUTPUT_WEBP | 1 << IN_OUTPUT_PNG,
                                       .webp_quality = 80, .avif_quality = 60, .avif_speed = 8 };
        in_renditions out;
        status = renditions(argv[i], &many, &info, &out, error, sizeof(error));
        printf("renditions: %s status %d, %dx%d jpeg %llu webp %llu png %llu bytes %s\n", argv[i], status, out.items[0].width,
               out.items[0].height, (unsigned long long)out.items[0].size[IN_OUTPUT_JPEG], (unsigned long long)out.items[0].size[IN_OUTPUT_WEBP],
               (unsigned long long)out.items[0].size[IN_OUTPUT_PNG], error);
        renditions_free(&out);
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
    char text[1024] = "";
    const int bits = features(text, sizeof(text));
    printf("features: %d %s\n", bits, text);
    return 0;
}
