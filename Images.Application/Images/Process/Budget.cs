using Images.Application.Abstractions;
using Images.Application.Common;
using Images.Domain.Images;

namespace Images.Application.Images.Process;

/// <summary>
/// The per-image limits of NFR-7 and NFR-8, checked on the header before any decode. Each refusal
/// names the limit, its variable and the figure that broke it.
/// </summary>
public static class Budget
{
    private const double MiB = 1024 * 1024;

    /// <summary>Returns why the decode is refused, or null when it fits every limit.</summary>
    public static string? Refusal(DecodePlan plan, ImageFormat format, ProcessingOptions limits)
    {
        var name = format.ContractName();
        if (plan.Width <= 0 || plan.Height <= 0)
        {
            return $"The {name} image has invalid dimensions {plan.Width}x{plan.Height}.";
        }

        if (Math.Max(plan.Width, plan.Height) > limits.MaxImageSide)
        {
            return $"The image is {plan.Width}x{plan.Height}, over the largest side of {limits.MaxImageSide} pixels (IMG_MAX_IMAGE_SIDE).";
        }

        if (plan.PixelCount > limits.MaxImagePixels)
        {
            return $"The image is {plan.Width}x{plan.Height} ({plan.PixelCount} pixels), over the limit of {limits.MaxImagePixels} pixels (IMG_MAX_IMAGE_PIXELS).";
        }

        if (plan.MemoryBytes > limits.MaxDecodeMemoryBytes)
        {
            return $"Decoding this {plan.Width}x{plan.Height} {name} image needs about {Math.Ceiling(plan.MemoryBytes / MiB):F0} MiB of working memory ({plan.Decoder}), " +
                   $"over the limit of {limits.MaxDecodeMemoryMegabytes} MiB (IMG_MAX_DECODE_MEMORY_MB).";
        }

        return null;
    }
}
