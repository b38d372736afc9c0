/* The optional libraries, loaded at run time (ADR 12): lcms2 (ICC profiles to sRGB) and libavif
 * (AVIF output). Debian ships neither as a static archive (liblcms2-dev and libavif-dev carry
 * shared objects only, and libavif would bring libaom, libdav1d, librav1e and libSvtAv1Enc), so
 * the library still needs nothing but glibc to load (ADR 8) and opens them with dlopen() the
 * first time they are wanted. Where one is missing the feature is reported unavailable, and
 * everything else works. Bottom layer: calls nothing of this library. */
#ifndef IMAGES_NATIVE_DYNLIB_H
#define IMAGES_NATIVE_DYNLIB_H

#include <stddef.h>

#include <avif/avif.h>
#include <lcms2.h>

typedef struct in_lcms {
    cmsHPROFILE (*open_profile_from_mem)(const void *, cmsUInt32Number);
    cmsHPROFILE (*create_srgb)(void);
    cmsColorSpaceSignature (*get_color_space)(cmsHPROFILE);
    cmsHTRANSFORM (*create_transform)(cmsHPROFILE, cmsUInt32Number, cmsHPROFILE, cmsUInt32Number, cmsUInt32Number, cmsUInt32Number);
    void (*do_transform)(cmsHTRANSFORM, const void *, void *, cmsUInt32Number);
    void (*delete_transform)(cmsHTRANSFORM);
    cmsBool (*close_profile)(cmsHPROFILE);
    cmsUInt32Number (*get_profile_info_ascii)(cmsHPROFILE, cmsInfoType, const char *, const char *, char *, cmsUInt32Number);
    void (*set_log_error_handler)(cmsLogErrorHandlerFunction);
    int (*get_encoded_cmm_version)(void);
} in_lcms;

typedef struct in_avif {
    avifImage *(*image_create)(uint32_t, uint32_t, uint32_t, avifPixelFormat);
    void (*image_destroy)(avifImage *);
    void (*rgb_image_set_defaults)(avifRGBImage *, const avifImage *);
    avifResult (*image_rgb_to_yuv)(avifImage *, const avifRGBImage *);
    avifEncoder *(*encoder_create)(void);
    avifResult (*encoder_write)(avifEncoder *, const avifImage *, avifRWData *);
    void (*encoder_destroy)(avifEncoder *);
    void (*rw_data_free)(avifRWData *);
    const char *(*result_to_string)(avifResult);
    const char *(*version)(void);
    void (*codec_versions)(char[256]);
    const char *(*codec_name)(avifCodecChoice, avifCodecFlags);
} in_avif;

/* The table, or NULL when the library is missing or lacks a symbol (the reason is in_*_status). */
const in_lcms *in_lcms_get(void);
const in_avif *in_avif_get(void);

/* What was loaded ("lcms2 2.14", "libavif 0.11.1 (aom [enc/dec]:v3.6.0 ...)") or why not. */
const char *in_lcms_status(void);
const char *in_avif_status(void);

#endif
