using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace AlipayFunctions.Tests.Infrastructure;

/// <summary>An <see cref="ILoggerProvider"/> that keeps every log line (message, structured values, exception) in memory.</summary>
internal sealed class CapturedLogs : ILoggerProvider
{
    private readonly ConcurrentQueue<LogLine> _lines = new();

    public IReadOnlyList<LogLine> Lines => [.. _lines];

    public ILogger CreateLogger(string categoryName) => new Logger(categoryName, _lines);

    public void Dispose()
    {
    }

    /// <summary>Every line as one text: category, message, each structured value and the exception with its stack.</summary>
    public string AllText() => string.Join('\n', _lines.Select(l => l.ToString()));

    internal sealed record LogLine(string Category, LogLevel Level, string Message, IReadOnlyList<KeyValuePair<string, object?>> State, string? Exception)
    {
        public override string ToString() =>
            $"{Level} {Category}: {Message} | {string.Join(", ", State.Select(s => $"{s.Key}={s.Value}"))} {Exception}";
    }

    private sealed class Logger(string category, ConcurrentQueue<LogLine> lines) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var values = state as IReadOnlyList<KeyValuePair<string, object?>> ?? [];
            lines.Enqueue(new LogLine(category, logLevel, formatter(state, exception), [.. values], exception?.ToString()));
        }
    }
}
