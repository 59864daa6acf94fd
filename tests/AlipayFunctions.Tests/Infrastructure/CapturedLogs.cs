using System.Collections.Concurrent;

namespace AlipayFunctions.Tests.Infrastructure;

/// <summary>Every line the local Functions host printed (its own and the worker's forwarded logs), kept in memory.</summary>
internal sealed class CapturedLogs
{
    private readonly ConcurrentQueue<string> _lines = new();

    public IReadOnlyList<string> Lines => [.. _lines];

    public void Add(string line) => _lines.Enqueue(line);

    public string AllText() => string.Join('\n', _lines);
}
