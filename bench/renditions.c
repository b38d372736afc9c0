/* Renditions bench (ADR 12): for each file, in one sitting, the time of
 *   - the baseline: today's single 256 px JPEG thumbnail (images_native_thumbnail);
 *   - images_native_renditions with the given sides and formats, AVIF at each speed asked;
 * the encode time per format and size (the library reports it), and the bytes per format.
 * Usage: renditions <rounds> <sides, e.g. 256,1024> <avif speeds, e.g. 6,8,10> files...
 * Prints one line per file and configuration; bench/renditions.sh summarises. Optional: with
 * OUT=dir set, writes every output there (for PSNR/SSIM against the source with vips). */
#include "images_native.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static unsigned char *slurp(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *data = malloc((size_t)n);
    if (fread(data, 1, (size_t)n, f) != (size_t)n) { free(data); data = NULL; }
    fclose(f);
    *size = (size_t)n;
    return data;
}

static int cmp(const void *a, const void *b) { double x = *(const double *)a, y = *(const double *)b; return x < y ? -1 : x > y; }

int main(int argc, char **argv)
{
    if (argc < 5) { fprintf(stderr, "usage: %s rounds sides speeds files...\n", argv[0]); return 2; }
    const int rounds = atoi(argv[1]);
    int sides[IN_MAX_RENDITIONS], count = 0, speeds[8], nspeeds = 0;
    for (char *t = strtok(argv[2], ","); t && count < IN_MAX_RENDITIONS; t = strtok(NULL, ",")) sides[count++] = atoi(t);
    for (char *t = strtok(argv[3], ","); t && nspeeds < 8; t = strtok(NULL, ",")) speeds[nspeeds++] = atoi(t);
    char features[512];
    images_native_features(features, sizeof(features));
    printf("# %s\n", features);
    static const char *names[] = { "jpeg", "webp", "png", "avif" };
    const char *out_dir = getenv("OUT");
    for (int a = 4; a < argc; a++) {
        size_t size;
        unsigned char *data = slurp(argv[a], &size);
        if (!data) continue;
        const char *base = strrchr(argv[a], '/') ? strrchr(argv[a], '/') + 1 : argv[a];
        char error[512];
        double times[64];
        /* Baseline: today's thumbnail. */
        in_request thumb = { .max_side = 256, .quality = 85, .output = IN_OUTPUT_JPEG, .max_pixels = 200000000 };
        unsigned char *thumbnail = NULL;
        size_t thumbnail_size = 0;
        for (int r = 0; r < rounds; r++) {
            in_info info; in_result result;
            double t0 = now_ms();
            if (images_native_thumbnail(data, size, &thumb, &info, &result, error, sizeof error) != IN_OK) { printf("%s thumbnail failed: %s\n", base, error); break; }
            times[r] = now_ms() - t0;
            if (r == 0) { thumbnail = result.data; thumbnail_size = result.size; }
            else images_native_free(result.data);
        }
        qsort(times, (size_t)rounds, sizeof(double), cmp);
        const double baseline = times[rounds / 2];
        printf("%s baseline_thumbnail_ms %.2f\n", base, baseline);
        /* Configurations: JPEG+WebP(+PNG) without AVIF, then with AVIF at each speed. */
        for (int s = -1; s < nspeeds; s++) {
            in_renditions_request req;
            memset(&req, 0, sizeof req);
            req.limits = thumb;
            req.count = count;
            memcpy(req.sides, sides, sizeof(int) * (size_t)count);
            req.outputs = 1 << IN_OUTPUT_JPEG | 1 << IN_OUTPUT_WEBP | 1 << IN_OUTPUT_PNG | (s >= 0 ? 1 << IN_OUTPUT_AVIF : 0);
            req.webp_quality = 80;
            req.avif_quality = 60;
            req.avif_speed = s >= 0 ? speeds[s] : 8;
            req.flags = getenv("OUT") != NULL ? IN_RENDITIONS_PNG_ALWAYS : 0; /* the lossless reference of each size */
            double enc[IN_MAX_RENDITIONS][IN_OUTPUTS] = { { 0 } };
            unsigned long long bytes[IN_MAX_RENDITIONS][IN_OUTPUTS] = { { 0 } };
            double decode = 0;
            int widths[IN_MAX_RENDITIONS] = { 0 }, heights[IN_MAX_RENDITIONS] = { 0 };
            int ok = 1;
            for (int r = 0; r < rounds; r++) {
                in_info info; in_renditions out;
                double t0 = now_ms();
                int st = images_native_renditions(data, size, &req, &info, &out, error, sizeof error);
                times[r] = now_ms() - t0;
                if (st != IN_OK) { printf("%s renditions failed (%d): %s\n", base, st, error); ok = 0; break; }
                if (r == 0 && s == -1)
                    for (int i = 0; i < count; i++)
                        if (sides[i] == 256 && count == 1)
                            printf("%s icc=%d thumbnail_jpeg_identical=%s\n", base, out.icc,
                                   out.items[i].size[0] == thumbnail_size && memcmp(out.items[i].data[0], thumbnail, thumbnail_size) == 0 ? "yes" : "no");
                decode += out.decode_ns / 1e6 / rounds;
                for (int i = 0; i < count; i++) {
                    widths[i] = out.items[i].width; heights[i] = out.items[i].height;
                    for (int o = 0; o < IN_OUTPUTS; o++) {
                        enc[i][o] += out.items[i].encode_ns[o] / 1e6 / rounds;
                        bytes[i][o] = out.items[i].size[o];
                        if (out_dir && r == 0 && out.items[i].data[o]) {
                            char path[1024];
                            snprintf(path, sizeof path, "%s/%s.%d.%s%s", out_dir, base, sides[i], s >= 0 ? "s" : "", names[o]);
                            if (o == IN_OUTPUT_AVIF) snprintf(path, sizeof path, "%s/%s.%d.speed%d.avif", out_dir, base, sides[i], speeds[s]);
                            FILE *f = fopen(path, "wb");
                            if (f) { fwrite(out.items[i].data[o], 1, out.items[i].size[o], f); fclose(f); }
                        }
                    }
                }
                images_native_renditions_free(&out);
            }
            if (!ok) continue;
            qsort(times, (size_t)rounds, sizeof(double), cmp);
            const double total = times[rounds / 2];
            printf("%s config=%s total_ms %.2f ratio_to_baseline %.2f decode_ms %.2f", base,
                   s >= 0 ? (char[16]){0} : "no-avif", total, total / baseline, decode);
            if (s >= 0) printf(" avif_speed %d", speeds[s]);
            for (int i = 0; i < count; i++)
                for (int o = 0; o < IN_OUTPUTS; o++)
                    if (bytes[i][o]) printf(" %s@%dx%d=%.2fms/%lluB", names[o], widths[i], heights[i], enc[i][o], bytes[i][o]);
            printf("\n");
        }
        images_native_free(thumbnail);
        free(data);
    }
    return 0;
}
