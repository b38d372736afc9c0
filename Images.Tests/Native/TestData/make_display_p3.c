/* Writes display-p3.icc: Display P3 (DCI-P3 primaries, D65 white, the sRGB transfer curve), a
 * matrix/TRC profile made with lcms2, for the wide-gamut rendition tests (RenditionColourTests).
 * cc make_display_p3.c -llcms2 -o make_display_p3 && ./make_display_p3 display-p3.icc */
#include <lcms2.h>
#include <stdio.h>

int main(int argc, char **argv)
{
    if (argc != 2) return 2;
    cmsCIExyY d65 = { 0.3127, 0.3290, 1.0 };
    cmsCIExyYTRIPLE primaries = { { 0.680, 0.320, 1.0 }, { 0.265, 0.690, 1.0 }, { 0.150, 0.060, 1.0 } };
    /* IEC 61966-2-1's curve: parametric type 4. */
    cmsFloat64Number srgb[5] = { 2.4, 1.0 / 1.055, 0.055 / 1.055, 1.0 / 12.92, 0.04045 };
    cmsToneCurve *curve = cmsBuildParametricToneCurve(NULL, 4, srgb);
    cmsToneCurve *curves[3] = { curve, curve, curve };
    cmsHPROFILE p3 = cmsCreateRGBProfile(&d65, &primaries, curves);
    cmsMLU *description = cmsMLUalloc(NULL, 1);
    cmsMLUsetASCII(description, "en", "US", "Display P3 (test profile)");
    cmsWriteTag(p3, cmsSigProfileDescriptionTag, description);
    int ok = cmsSaveProfileToFile(p3, argv[1]);
    cmsMLUfree(description);
    cmsCloseProfile(p3);
    cmsFreeToneCurve(curve);
    return ok ? 0 : 1;
}
