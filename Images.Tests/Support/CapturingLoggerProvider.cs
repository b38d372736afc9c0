using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Images.Tests.Support;

/// <summary>Keeps every structured log entry (category, level, fields) for assertions.</summary>
public sealed class CapturingLoggerProvider : ILoggerProvider
{
    public ConcurrentQueue<(string Category, IReadOnlyDictionary<string, object?> State)> Entries { get; } = new();

    public ConcurrentQueue<(string Category, LogLevel Level, string Message)> Messages { get; } = new();

    /// <summary>Entries logged with an exception, for a test to show when it fails.</summary>
    public ConcurrentQueue<(string Category, string Message, Exception Exception)> Exceptions { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Logger(categoryName, this);

    public void Dispose()
    {
    }

    private sealed class Logger(string category, CapturingLoggerProvider provider) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            provider.Messages.Enqueue((category, logLevel, formatter(state, exception)));
            if (exception is not null)
            {
                provider.Exceptions.Enqueue((category, formatter(state, exception), exception));
            }
            if (state is IEnumerable<KeyValuePair<string, object?>> fields)
            {
                provider.Entries.Enqueue((category, fields.ToDictionary(f => f.Key, f => f.Value)));
            }
        }
    }
}
