using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Options;

namespace Images.Api.Http;

/// <summary>
/// Who the client is, for the per-client limits (FR-7.2, NFR-9): the socket's address, or behind
/// trusted proxies (IMG_TRUSTED_PROXIES) the forwarded one. IPv6 clients are keyed by their /64,
/// which one subscriber usually holds whole: per address, one client would have 2^64 buckets.
/// </summary>
internal static class ClientAddress
{
    public static string PartitionKey(HttpContext context)
    {
        var address = context.Connection.RemoteIpAddress;
        if (address is null)
        {
            return "unknown";
        }

        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return address.ToString();
        }

        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out _);
        bytes[8..].Clear();
        return new IPAddress(bytes) + "/64";
    }

    /// <summary>Believes X-Forwarded-For only from the configured proxies, however many hops (NFR-9).</summary>
    public static IServiceCollection AddTrustedProxies(this IServiceCollection services)
    {
        services.AddOptions<ForwardedHeadersOptions>().Configure<IOptions<ApiOptions>>((forwarded, api) =>
        {
            forwarded.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            forwarded.KnownProxies.Clear();
            forwarded.KnownIPNetworks.Clear();
            foreach (var network in api.Value.TrustedProxies)
            {
                forwarded.KnownIPNetworks.Add(network);
            }

            forwarded.ForwardLimit = null;
        });
        return services;
    }
}
