using System.Collections.Concurrent;
using Images.Tests.Support;
using Microsoft.Extensions.Logging;

namespace Images.Tests.Api;

/// <summary>FR-5.2: every request is logged with method, path, status and latency, as structured fields.</summary>
public class RequestLoggingTests(ApiFixture database) : IClassFixture<ApiFixture>
{
    [Fact]
    public async Task EveryRequestIsLoggedWithMethodPathStatusAndLatency_FR5_2()
    {
        using var logs = new CapturingLoggerProvider();
        await using var factory = new ApiFactory(database, logs: logs);
        using var client = factory.CreateClient();

        await client.GetAsync("/health");
        await client.GetAsync("/api/v1/images/not-a-uuid");

        var requests = logs.Entries.Where(e => e.Category.EndsWith("RequestLoggingMiddleware", StringComparison.Ordinal)).ToList();
        var health = Assert.Single(requests, e => Equals(e.State["Path"], "/health"));
        Assert.Equal("GET", health.State["Method"]);
        Assert.Equal(200, health.State["StatusCode"]);
        Assert.IsType<double>(health.State["LatencyMs"]);
        var invalid = Assert.Single(requests, e => Equals(e.State["Path"], "/api/v1/images/not-a-uuid"));
        Assert.Equal(422, invalid.State["StatusCode"]);
    }

    private sealed class CapturingLoggerProvider : ILoggerProvider
    {
        public ConcurrentQueue<(string Category, IReadOnlyDictionary<string, object?> State)> Entries { get; } = new();

        public ILogger CreateLogger(string categoryName) => new Logger(categoryName, Entries);

        public void Dispose()
        {
        }

        private sealed class Logger(string category, ConcurrentQueue<(string, IReadOnlyDictionary<string, object?>)> entries) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                if (state is IEnumerable<KeyValuePair<string, object?>> fields)
                {
                    entries.Enqueue((category, fields.ToDictionary(f => f.Key, f => f.Value)));
                }
            }
        }
    }
}
