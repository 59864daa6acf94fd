using System.Globalization;
using NCrontab;

namespace LocalFunctionsHost.Timers;

/// <summary>
/// A timer trigger's schedule as the host reads it: a six-field NCRONTAB expression (with seconds), or a constant
/// interval written as a TimeSpan (<c>00:05:00</c>). Times are UTC.
/// </summary>
internal sealed class TimerSchedule
{
    private readonly CrontabSchedule? _cron;
    private readonly TimeSpan _interval;

    private TimerSchedule(CrontabSchedule? cron, TimeSpan interval)
    {
        _cron = cron;
        _interval = interval;
    }

    /// <exception cref="LocalHostException">The expression is neither a valid six-field NCRONTAB nor a positive TimeSpan.</exception>
    public static TimerSchedule Parse(string expression, string functionName)
    {
        var fields = expression.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length == 6)
        {
            var cron = CrontabSchedule.TryParse(expression, new CrontabSchedule.ParseOptions { IncludingSeconds = true });
            if (cron is not null)
            {
                return new TimerSchedule(cron, TimeSpan.Zero);
            }
        }
        else if (fields.Length == 1 && TimeSpan.TryParse(expression, CultureInfo.InvariantCulture, out var interval) && interval > TimeSpan.Zero)
        {
            return new TimerSchedule(null, interval);
        }

        throw new LocalHostException($"Function '{functionName}': the timer schedule '{expression}' is not a six-field NCRONTAB expression ('{{second}} {{minute}} {{hour}} {{day}} {{month}} {{day-of-week}}') or a TimeSpan.");
    }

    /// <summary>The first occurrence strictly after <paramref name="after"/>.</summary>
    public DateTimeOffset Next(DateTimeOffset after)
    {
        if (_cron is null)
        {
            return after + _interval;
        }

        var next = _cron.GetNextOccurrence(after.UtcDateTime);
        return new DateTimeOffset(DateTime.SpecifyKind(next, DateTimeKind.Utc));
    }
}
