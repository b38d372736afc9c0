#include "dynlib.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

static pthread_once_t lcms_once = PTHREAD_ONCE_INIT, avif_once = PTHREAD_ONCE_INIT;
static in_lcms lcms;
static in_avif avif;
static int lcms_ok, avif_ok;
static char lcms_text[256], avif_text[384];

/* The first name that opens; RTLD_LOCAL so that nothing of it is seen by anything else. */
static void *open_first(const char *const *names, char *text, size_t text_size)
{
    const char *last = "";
    for (const char *const *n = names; *n != NULL; n++) {
        void *handle = dlopen(*n, RTLD_NOW | RTLD_LOCAL);
        if (handle != NULL) return handle;
        last = dlerror();
    }
    snprintf(text, text_size, "not available: %s", last != NULL ? last : "not found");
    return NULL;
}

#define SYMBOL(handle, field, name, text)                                              \
    do {                                                                               \
        *(void **)(&(field)) = dlsym(handle, name);                                    \
        if ((field) == NULL) {                                                         \
            snprintf(text, sizeof(text), "not available: %s lacks %s", #handle, name); \
            return;                                                                    \
        }                                                                              \
    } while (0)

static void load_lcms(void)
{
    static const char *const names[] = { "liblcms2.so.2", NULL };
    void *liblcms2 = open_first(names, lcms_text, sizeof(lcms_text));
    if (liblcms2 == NULL) return;
    SYMBOL(liblcms2, lcms.open_profile_from_mem, "cmsOpenProfileFromMem", lcms_text);
    SYMBOL(liblcms2, lcms.create_srgb, "cmsCreate_sRGBProfile", lcms_text);
    SYMBOL(liblcms2, lcms.get_color_space, "cmsGetColorSpace", lcms_text);
    SYMBOL(liblcms2, lcms.create_transform, "cmsCreateTransform", lcms_text);
    SYMBOL(liblcms2, lcms.do_transform, "cmsDoTransform", lcms_text);
    SYMBOL(liblcms2, lcms.delete_transform, "cmsDeleteTransform", lcms_text);
    SYMBOL(liblcms2, lcms.close_profile, "cmsCloseProfile", lcms_text);
    SYMBOL(liblcms2, lcms.get_profile_info_ascii, "cmsGetProfileInfoASCII", lcms_text);
    SYMBOL(liblcms2, lcms.set_log_error_handler, "cmsSetLogErrorHandler", lcms_text);
    SYMBOL(liblcms2, lcms.get_encoded_cmm_version, "cmsGetEncodedCMMversion", lcms_text);
    /* lcms2 reports errors through a handler; the default one prints nothing, and ours neither. */
    lcms.set_log_error_handler(NULL);
    const int v = lcms.get_encoded_cmm_version();
    snprintf(lcms_text, sizeof(lcms_text), "lcms2 %d.%d", v / 1000, (v % 1000) / 10);
    lcms_ok = 1;
}

static void load_avif(void)
{
    static const char *const names[] = { "libavif.so.15", "libavif.so.16", NULL };
    void *libavif = open_first(names, avif_text, sizeof(avif_text));
    if (libavif == NULL) return;
    SYMBOL(libavif, avif.image_create, "avifImageCreate", avif_text);
    SYMBOL(libavif, avif.image_destroy, "avifImageDestroy", avif_text);
    SYMBOL(libavif, avif.rgb_image_set_defaults, "avifRGBImageSetDefaults", avif_text);
    SYMBOL(libavif, avif.image_rgb_to_yuv, "avifImageRGBToYUV", avif_text);
    SYMBOL(libavif, avif.encoder_create, "avifEncoderCreate", avif_text);
    SYMBOL(libavif, avif.encoder_write, "avifEncoderWrite", avif_text);
    SYMBOL(libavif, avif.encoder_destroy, "avifEncoderDestroy", avif_text);
    SYMBOL(libavif, avif.rw_data_free, "avifRWDataFree", avif_text);
    SYMBOL(libavif, avif.result_to_string, "avifResultToString", avif_text);
    SYMBOL(libavif, avif.version, "avifVersion", avif_text);
    SYMBOL(libavif, avif.codec_versions, "avifCodecVersions", avif_text);
    SYMBOL(libavif, avif.codec_name, "avifCodecName", avif_text);
    /* The struct layouts compiled in are 0.11's (libavif.so.15); another major may differ. */
    const char *version = avif.version();
    if (strncmp(version, "0.11.", 5) != 0) {
        snprintf(avif_text, sizeof(avif_text), "not available: libavif %s found, 0.11 expected", version);
        return;
    }
    if (avif.codec_name(AVIF_CODEC_CHOICE_AUTO, AVIF_CODEC_FLAG_CAN_ENCODE) == NULL) {
        snprintf(avif_text, sizeof(avif_text), "not available: libavif %s has no AV1 encoder", version);
        return;
    }
    char codecs[256];
    avif.codec_versions(codecs);
    snprintf(avif_text, sizeof(avif_text), "libavif %s (%s)", version, codecs);
    avif_ok = 1;
}

const in_lcms *in_lcms_get(void)
{
    pthread_once(&lcms_once, load_lcms);
    return lcms_ok ? &lcms : NULL;
}

const in_avif *in_avif_get(void)
{
    pthread_once(&avif_once, load_avif);
    return avif_ok ? &avif : NULL;
}

const char *in_lcms_status(void)
{
    pthread_once(&lcms_once, load_lcms);
    return lcms_text;
}

const char *in_avif_status(void)
{
    pthread_once(&avif_once, load_avif);
    return avif_text;
}
