#include "colour.h"

#include <stdlib.h>
#include <string.h>

#include "dynlib.h"

struct in_colour {
    const in_lcms *lcms;
    cmsHPROFILE source, srgb;
    cmsHTRANSFORM rgb, rgba; /* made on first use */
};

/* sRGB already: lcms2 would change nothing but rounding, and a thumbnail stays what it was. */
static int is_srgb(const in_lcms *lcms, cmsHPROFILE profile)
{
    char description[128] = "";
    lcms->get_profile_info_ascii(profile, cmsInfoDescription, "en", "US", description, sizeof(description));
    return strstr(description, "sRGB") != NULL || strstr(description, "IEC61966-2") != NULL;
}

int in_colour_new(const uint8_t *profile, size_t length, in_colour **colour)
{
    *colour = NULL;
    if (profile == NULL || length == 0) return IN_ICC_NONE;
    const in_lcms *lcms = in_lcms_get();
    if (lcms == NULL) return IN_ICC_UNAVAILABLE;
    cmsHPROFILE source = lcms->open_profile_from_mem(profile, (cmsUInt32Number)length);
    if (source == NULL) return IN_ICC_IGNORED;
    if (lcms->get_color_space(source) != cmsSigRgbData) {
        lcms->close_profile(source);
        return IN_ICC_IGNORED;
    }
    if (is_srgb(lcms, source)) {
        lcms->close_profile(source);
        return IN_ICC_SRGB;
    }
    in_colour *c = calloc(1, sizeof(*c));
    cmsHPROFILE srgb = lcms->create_srgb();
    if (c == NULL || srgb == NULL) {
        free(c);
        if (srgb != NULL) lcms->close_profile(srgb);
        lcms->close_profile(source);
        return IN_ICC_IGNORED;
    }
    c->lcms = lcms;
    c->source = source;
    c->srgb = srgb;
    /* A transform that cannot be built (a broken profile) is found on first use. */
    c->rgb = lcms->create_transform(source, TYPE_RGB_8, srgb, TYPE_RGB_8, INTENT_RELATIVE_COLORIMETRIC, 0);
    if (c->rgb == NULL) {
        in_colour_free(c);
        return IN_ICC_IGNORED;
    }
    *colour = c;
    return IN_ICC_CONVERTED;
}

int in_colour_apply(in_colour *c, uint8_t *pixels, int width, int height, int channels)
{
    if (c == NULL || (channels != 3 && channels != 4)) return 1;
    cmsHTRANSFORM t = c->rgb;
    if (channels == 4) {
        if (c->rgba == NULL)
            c->rgba = c->lcms->create_transform(c->source, TYPE_RGBA_8, c->srgb, TYPE_RGBA_8, INTENT_RELATIVE_COLORIMETRIC, cmsFLAGS_COPY_ALPHA);
        if (c->rgba == NULL) return 1;
        t = c->rgba;
    }
    for (int y = 0; y < height; y++) {
        uint8_t *row = pixels + (size_t)y * width * channels;
        c->lcms->do_transform(t, row, row, (cmsUInt32Number)width);
    }
    return 1;
}

void in_colour_free(in_colour *c)
{
    if (c == NULL) return;
    if (c->rgb != NULL) c->lcms->delete_transform(c->rgb);
    if (c->rgba != NULL) c->lcms->delete_transform(c->rgba);
    if (c->srgb != NULL) c->lcms->close_profile(c->srgb);
    if (c->source != NULL) c->lcms->close_profile(c->source);
    free(c);
}
