using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace Images.Tests.Support;

/// <summary>
/// The test server has no socket: this sets the peer address a socket would have, from the
/// <see cref="Header"/> of each request, so that a test can speak as several clients (FR-7.2, NFR-9).
/// </summary>
public sealed class PeerAddress : IStartupFilter
{
    public const string Header = "X-Test-Peer";

    /// <summary>A client of <paramref name="factory"/>'s Api whose requests come from the address in their <see cref="Header"/>.</summary>
    public static HttpClient Client(ApiFactory factory) => factory
        .WithWebHostBuilder(builder => builder.ConfigureTestServices(services => services.AddTransient<IStartupFilter, PeerAddress>()))
        .CreateClient();

    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        app.Use((context, nextMiddleware) =>
        {
            context.Connection.RemoteIpAddress = IPAddress.Parse(context.Request.Headers[Header].ToString());
            return nextMiddleware(context);
        });
        next(app);
    };
}
