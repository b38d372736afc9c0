using System.Net;
using System.Net.Sockets;
using Images.Application.Abstractions;
using Images.Application.Webhooks;
using Microsoft.Extensions.Options;

namespace Images.Infrastructure.Webhooks;

/// <summary>
/// FR-10.3's SSRF guard: which addresses a webhook may reach. Refused (unless
/// IMG_WEBHOOK_ALLOW_PRIVATE_TARGETS=true): unspecified, loopback, private (RFC 1918), carrier-grade
/// NAT (RFC 6598), link-local (cloud metadata lives there), multicast, broadcast and reserved IPv4,
/// and in IPv6 the unspecified and loopback addresses, unique-local (fc00::/7), link- and site-local,
/// multicast, and every form that embeds a refused IPv4 address (IPv4-mapped, IPv4-compatible,
/// NAT64 64:ff9b::/96, 6to4 2002::/16). Used when a subscription is made and again by the sender's
/// connect callback on the address it is about to connect to (DNS may answer differently then).
/// </summary>
public sealed class TargetAddressPolicy(IOptions<WebhookOptions> options) : IWebhookTargetPolicy
{
    public bool AllowPrivate => options.Value.AllowPrivateTargets;

    public async Task<string?> RefusalAsync(Uri target, CancellationToken cancellationToken)
    {
        if (AllowPrivate)
        {
            return null;
        }

        IPAddress[] addresses;
        try
        {
            addresses = await ResolveAsync(target.IdnHost, cancellationToken);
        }
        catch (SocketException)
        {
            return $"The host '{target.Host}' could not be resolved.";
        }

        if (addresses.Length == 0)
        {
            return $"The host '{target.Host}' could not be resolved.";
        }

        foreach (var address in addresses)
        {
            if (Classify(address) is { } kind)
            {
                return $"The target resolves to {address}, a {kind} address; webhooks may only reach public addresses (IMG_WEBHOOK_ALLOW_PRIVATE_TARGETS).";
            }
        }

        return null;
    }

    /// <summary>An IP literal as itself (brackets removed), a name through DNS.</summary>
    public static async Task<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken)
    {
        var literal = host.StartsWith('[') && host.EndsWith(']') ? host[1..^1] : host;
        return IPAddress.TryParse(literal, out var ip) ? [ip] : await Dns.GetHostAddressesAsync(host, cancellationToken);
    }

    /// <summary>Null for a public address, else what kind of non-public address it is.</summary>
    public static string? Classify(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            return Classify(address.MapToIPv4());
        }

        var b = address.GetAddressBytes();
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            return b switch
            {
                [0, ..] => "unspecified (0.0.0.0/8)",
                [10, ..] => "private (10.0.0.0/8)",
                [127, ..] => "loopback",
                [169, 254, ..] => "link-local",
                [172, >= 16 and <= 31, ..] => "private (172.16.0.0/12)",
                [192, 168, ..] => "private (192.168.0.0/16)",
                [100, >= 64 and <= 127, ..] => "carrier-grade NAT (100.64.0.0/10)",
                [192, 0, 0, _] => "reserved (192.0.0.0/24)",
                [198, 18 or 19, ..] => "reserved (198.18.0.0/15)",
                [>= 224 and <= 239, ..] => "multicast",
                [>= 240, ..] => "reserved or broadcast (240.0.0.0/4)",
                _ => null,
            };
        }

        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return "non-IP";
        }

        if (address.Equals(IPAddress.IPv6Any))
        {
            return "unspecified";
        }

        if (address.Equals(IPAddress.IPv6Loopback))
        {
            return "loopback";
        }

        if (address.IsIPv6LinkLocal)
        {
            return "link-local";
        }

        if (address.IsIPv6SiteLocal)
        {
            return "site-local";
        }

        if (address.IsIPv6Multicast)
        {
            return "multicast";
        }

        if ((b[0] & 0xFE) == 0xFC)
        {
            return "unique-local (fc00::/7)";
        }

        // ::a.b.c.d (IPv4-compatible, deprecated) and 64:ff9b::a.b.c.d (NAT64) embed an IPv4 address in their last 4 bytes.
        var compatible = b.AsSpan(0, 12).IndexOfAnyExcept((byte)0) < 0;
        var nat64 = b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b && b.AsSpan(4, 8).IndexOfAnyExcept((byte)0) < 0;
        if (compatible || nat64)
        {
            return Classify(new IPAddress(b.AsSpan(12, 4))) is { } embedded ? $"{embedded} (embedded in IPv6)" : null;
        }

        // 6to4: 2002:aabb:ccdd::/48 carries a.b.c.d in bytes 2-5.
        if (b[0] == 0x20 && b[1] == 0x02)
        {
            return Classify(new IPAddress(b.AsSpan(2, 4))) is { } embedded ? $"{embedded} (embedded in 6to4)" : null;
        }

        return null;
    }
}
