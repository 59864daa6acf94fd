using System.Globalization;
using System.Text;
using Spectre.Console;

namespace AlipayFunctions.Prove.Infrastructure;

/// <summary>
/// What a run found: figures, and checks against targets or invariants. Printed as a table (and, with
/// <c>--markdown</c>, appended to a file as a Markdown table for docs/benchmarks.md or docs/reliability.md), with
/// the machine, the date and the load average, since figures from a busy machine mean little without them.
/// </summary>
internal sealed class Report(string title)
{
    private readonly List<(string Name, string Value, string Target, bool? Passed)> _rows = [];
    private readonly string _loadBefore = LoadAverage();

    public bool Passed => _rows.All(r => r.Passed != false);

    /// <summary>A figure with no target.</summary>
    public void Figure(string name, string value) => _rows.Add((name, value, "", null));

    /// <summary>A figure checked against a target or invariant.</summary>
    public void Check(string name, string value, string target, bool passed) => _rows.Add((name, value, target, passed));

    public static string LoadAverage()
    {
        try
        {
            return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "n/a";
        }
    }

    public static string Machine()
    {
        var cpu = "unknown CPU";
        try
        {
            cpu = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? cpu;
        }
        catch (IOException)
        {
        }
        return $"{cpu}, {Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, .NET {Environment.Version}";
    }

    public int Print(string? markdownPath)
    {
        var loadAfter = LoadAverage();
        var table = new Table().Title($"[bold]{Markup.Escape(title)}[/]").AddColumns("Measure", "Result", "Target / invariant", "");
        foreach (var (name, value, target, passed) in _rows)
        {
            table.AddRow(Markup.Escape(name), Markup.Escape(value), Markup.Escape(target), passed switch { true => "[green]pass[/]", false => "[red]FAIL[/]", _ => "" });
        }
        AnsiConsole.Write(table);
        var context = $"{DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC; {Machine()}; load average before {_loadBefore}, after {loadAfter}";
        AnsiConsole.MarkupLine($"[grey]{Markup.Escape(context)}[/]");
        AnsiConsole.MarkupLine(Passed ? $"[green]{Markup.Escape(title)}: every check passed.[/]" : $"[red]{Markup.Escape(title)}: a check FAILED.[/]");

        if (markdownPath is not null)
        {
            var md = new StringBuilder();
            md.AppendLine(CultureInfo.InvariantCulture, $"**{title}** ({context})").AppendLine();
            md.AppendLine("| Measure | Result | Target / invariant | |").AppendLine("|---|---|---|---|");
            foreach (var (name, value, target, passed) in _rows)
            {
                md.AppendLine(CultureInfo.InvariantCulture, $"| {name} | {value} | {target} | {passed switch { true => "pass", false => "**FAIL**", _ => "" }} |");
            }
            md.AppendLine();
            File.AppendAllText(markdownPath, md.ToString());
        }
        return Passed ? 0 : 1;
    }
}

/// <summary>Latencies of one step, in milliseconds.</summary>
internal sealed class Latencies
{
    private readonly List<double> _values = [];

    public int Count
    {
        get
        {
            lock (_values)
            {
                return _values.Count;
            }
        }
    }

    public void Add(TimeSpan latency)
    {
        lock (_values)
        {
            _values.Add(latency.TotalMilliseconds);
        }
    }

    /// <summary>The q-quantile (nearest rank), e.g. 0.99; NaN when empty.</summary>
    public double Percentile(double q)
    {
        lock (_values)
        {
            if (_values.Count == 0)
            {
                return double.NaN;
            }
            _values.Sort();
            var rank = (int)Math.Ceiling(q * _values.Count) - 1;
            return _values[Math.Clamp(rank, 0, _values.Count - 1)];
        }
    }
}

internal static class Format
{
    public static string Ms(double value) => value.ToString("0.0", CultureInfo.InvariantCulture) + " ms";

    public static string Rate(double value) => value.ToString("0", CultureInfo.InvariantCulture) + "/s";

    public static string Num(double value, string format = "0.##") => value.ToString(format, CultureInfo.InvariantCulture);
}
