using System.Text.Json;
using LocalFunctionsHost.Configuration;
using LocalFunctionsHost.Protocol;

namespace LocalFunctionsHost.Timers;

/// <summary>
/// A timer trigger: runs at each occurrence of its schedule, once at start-up with <c>runOnStartup</c>, one run at a
/// time (an occurrence that passes during a run is skipped, the next run is then past due), with the TimerInfo the
/// worker binds.
/// </summary>
internal sealed class TimerListener : IAsyncDisposable
{
    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = null };
    private readonly FunctionDescription _function;
    private readonly TimerSchedule _schedule;
    private readonly FunctionInvoker _invoker;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _stop = new();
    private Task _running = Task.CompletedTask;

    private TimerListener(FunctionDescription function, TimerSchedule schedule, FunctionInvoker invoker, TimeProvider time)
    {
        _function = function;
        _schedule = schedule;
        _invoker = invoker;
        _time = time;
    }

    public string Schedule => _function.Trigger.Text("schedule") ?? "";

    public static TimerListener Create(FunctionDescription function, FunctionInvoker invoker, TimeProvider time) =>
        new(function, TimerSchedule.Parse(function.Trigger.Text("schedule") ?? "", function.Name), invoker, time);

    public void Start() => _running = RunAsync(_stop.Token);

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        DateTimeOffset? last = null;
        var now = _time.GetUtcNow();
        var next = _schedule.Next(now);
        try
        {
            if (_function.Trigger.Flag("runOnStartup"))
            {
                await InvokeAsync(last, next, pastDue: false, "Timer fired at startup (runOnStartup).", cancellationToken).ConfigureAwait(false);
                last = now;
            }

            while (!cancellationToken.IsCancellationRequested)
            {
                var wait = next - _time.GetUtcNow();
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, _time, cancellationToken).ConfigureAwait(false);
                }

                var fired = _time.GetUtcNow();
                // More than a second late means an occurrence passed while the previous run was still going.
                var pastDue = fired - next > TimeSpan.FromSeconds(1);
                var following = _schedule.Next(fired);
                await InvokeAsync(last, following, pastDue, $"Timer fired at {fired:O}", cancellationToken).ConfigureAwait(false);
                last = next;
                next = _schedule.Next(_time.GetUtcNow() > following ? _time.GetUtcNow() : fired);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    private async Task InvokeAsync(DateTimeOffset? last, DateTimeOffset next, bool pastDue, string reason, CancellationToken cancellationToken)
    {
        var session = await _invoker.GetSessionAsync(cancellationToken).ConfigureAwait(false);
        var timerInfo = new Dictionary<string, object?>
        {
            ["Schedule"] = new Dictionary<string, object?> { ["AdjustForDST"] = true },
            ["ScheduleStatus"] = new Dictionary<string, object?> { ["Last"] = last ?? DateTimeOffset.MinValue, ["Next"] = next, ["LastUpdated"] = _time.GetUtcNow() },
            ["IsPastDue"] = pastDue,
        };
        var request = new InvocationRequest();
        request.InputData.Add(new ParameterBinding { Name = _function.Trigger.Name, Data = new TypedData { Json = JsonSerializer.Serialize(timerInfo, Json) } });
        await _invoker.Start(_function, session, request, reason, null, TimeSpan.Zero, CancellationToken.None).Completed.ConfigureAwait(false);
    }

    public Task StopTimerAsync() => _stop.CancelAsync();

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _running.ConfigureAwait(false);
        _stop.Dispose();
    }
}
