using System.Text.Json;
using Microsoft.Azure.Functions.Worker;

namespace LocalFunctionsHost.SampleWorker;

/// <summary>A timer function that reports each run (with the TimerInfo it got) on the timer queue.</summary>
public static class TimerFunctions
{
    [Function("Tick")]
    [QueueOutput("%TimerQueue%")]
    public static string Tick([TimerTrigger("%TickSchedule%", RunOnStartup = true)] TimerInfo timer) =>
        JsonSerializer.Serialize(new { timer.IsPastDue, Next = timer.ScheduleStatus?.Next, Last = timer.ScheduleStatus?.Last });
}
