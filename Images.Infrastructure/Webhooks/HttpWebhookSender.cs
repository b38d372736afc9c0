using System.Net;
using System.Net.Sockets;
using System.Text;
using Images.Application.Abstractions;
using Images.Application.Webhooks;
using Microsoft.Extensions.Options;

namespace Images.Infrastructure.Webhooks;

/// <summary>
/// Sends webhooks over HTTP (FR-10.2, FR-10.3): redirects are not followed (a 3xx is a failed
/// attempt), no proxy, no cookies, a short connect timeout and a whole-attempt timeout
/// (IMG_WEBHOOK_TIMEOUT_SECONDS), response headers bounded and the body never read. The connect
/// callback resolves the host itself and connects only to addresses the policy allows, so a name
/// that resolved to a public address when it was subscribed and to a private one now (DNS
/// rebinding) is refused at the moment of connecting.
/// </summary>
public sealed class HttpWebhookSender : IWebhookSender, IDisposable
{
    private readonly HttpClient _client;
    private readonly TargetAddressPolicy _policy;
    private readonly IOptions<WebhookOptions> _options;

    public HttpWebhookSender(TargetAddressPolicy policy, IOptions<WebhookOptions> options)
    {
        _policy = policy;
        _options = options;
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseProxy = false,
            UseCookies = false,
            AutomaticDecompression = DecompressionMethods.None,
            ConnectTimeout = TimeSpan.FromSeconds(Math.Min(5, options.Value.TimeoutSeconds)),
            MaxResponseHeadersLength = 16, // KiB
            PooledConnectionLifetime = TimeSpan.FromMinutes(1),
            ConnectCallback = ConnectAsync,
        };
        _client = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        _client.DefaultRequestHeaders.UserAgent.ParseAdd("Images-Webhooks/1.0");
    }

    public async Task<SendResult> SendAsync(Uri target, IReadOnlyDictionary<string, string> headers, string body, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.Value.Timeout);
        using var request = new HttpRequestMessage(HttpMethod.Post, target)
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };
        foreach (var (name, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        try
        {
            // Only the status matters: the body is not read (a hostile target cannot make us buffer it).
            using var response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            return new SendResult((int)response.StatusCode, null);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new SendResult(null, $"No answer within {_options.Value.TimeoutSeconds} s (IMG_WEBHOOK_TIMEOUT_SECONDS).");
        }
        catch (HttpRequestException ex)
        {
            return new SendResult(null, Describe(ex));
        }
    }

    public void Dispose() => _client.Dispose();

    private static string Describe(HttpRequestException ex)
    {
        var refused = FindRefusal(ex);
        if (refused is not null)
        {
            return refused.Message;
        }

        var inner = ex.InnerException is { } i ? $" ({i.GetType().Name}: {i.Message})" : string.Empty;
        var text = $"{ex.HttpRequestError}: {ex.Message}{inner}";
        return text.Length <= 500 ? text : text[..500];
    }

    private static TargetRefusedException? FindRefusal(Exception? exception)
    {
        for (; exception is not null; exception = exception.InnerException)
        {
            if (exception is TargetRefusedException refused)
            {
                return refused;
            }
        }

        return null;
    }

    private async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var host = context.DnsEndPoint.Host;
        var addresses = await TargetAddressPolicy.ResolveAsync(host, cancellationToken);
        var allowed = _policy.AllowPrivate ? addresses : [.. addresses.Where(a => TargetAddressPolicy.Classify(a) is null)];
        if (allowed.Length == 0)
        {
            var first = addresses.FirstOrDefault();
            throw new TargetRefusedException(first is null
                ? $"Refused: '{host}' resolved to no address."
                : $"Refused: '{host}' resolves to {first}, a {TargetAddressPolicy.Classify(first)} address (FR-10.3, IMG_WEBHOOK_ALLOW_PRIVATE_TARGETS).");
        }

        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(allowed, context.DnsEndPoint.Port, cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private sealed class TargetRefusedException(string message) : IOException(message);
}
