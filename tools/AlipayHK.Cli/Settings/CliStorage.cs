using Azure;
using Azure.Core;

namespace AlipayHK.Cli.Settings;

/// <summary>
/// Storage as an operator command needs it: an answer or one clear line within seconds. The SDK's defaults (three
/// retries with growing delays, a 100-second network timeout per try) suit a service, not a person waiting at a prompt.
/// </summary>
internal static class CliStorage
{
    public static T Configure<T>(T options) where T : ClientOptions
    {
        options.Retry.MaxRetries = 1;
        options.Retry.Delay = TimeSpan.FromMilliseconds(300);
        options.Retry.MaxDelay = TimeSpan.FromSeconds(1);
        options.Retry.NetworkTimeout = TimeSpan.FromSeconds(10);
        return options;
    }

    /// <summary>
    /// One line for a storage failure: the service's status and error code, or why it could not be reached. The
    /// SDK's own messages run to dozens of lines (headers included) and repeat once per retry.
    /// </summary>
    public static string? Describe(Exception exception) => exception switch
    {
        RequestFailedException { Status: > 0 } e => $"storage answered {e.Status}{(e.ErrorCode is { } code ? $" {code}" : "")}: {FirstLine(e.Message)}",
        RequestFailedException e => $"storage cannot be reached: {FirstLine(e.InnerException?.Message ?? e.Message)}",
        AggregateException e when e.InnerExceptions.Count > 0 && e.InnerExceptions.All(i => i is RequestFailedException or HttpRequestException or TaskCanceledException or IOException) =>
            $"storage cannot be reached after {e.InnerExceptions.Count} tries: {FirstLine(Innermost(e.InnerExceptions[^1]).Message)}",
        _ => null,
    };

    private static Exception Innermost(Exception e) => e is RequestFailedException { InnerException: { } inner } ? inner : e;

    private static string FirstLine(string text)
    {
        var line = text.Split('\n', 2)[0].Trim();
        return line.Length > 300 ? line[..300] + "..." : line;
    }
}
