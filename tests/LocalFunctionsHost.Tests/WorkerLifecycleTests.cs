using System.Diagnostics;
using System.Net;
using System.Text.Json;
using AlipayFunctions.Testing;

namespace LocalFunctionsHost.Tests;

/// <summary>Tests that kill, crash or stop the worker: each has its own host (and shares one Azurite).</summary>
[Collection(AzuriteFixture.CollectionName)]
public sealed class WorkerLifecycleTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task A_worker_killed_mid_invocation_fails_it_with_a_500_and_is_restarted()
    {
        await using var sample = await SampleHost.StartAsync(azurite.Azurite, verbose: true);
        var firstPid = sample.Host.WorkerProcessId!.Value;

        var slow = sample.Http.GetAsync(new Uri("api/slow/30000", UriKind.Relative));
        await sample.EventuallyAsync(() => Task.FromResult(sample.Lines.FirstOrDefault(l => l.StartsWith("Executing 'Functions.Slow'", StringComparison.Ordinal))), TimeSpan.FromSeconds(10), "the slow invocation");
        await Task.Delay(300);
        Process.GetProcessById(firstPid).Kill();

        HttpResponseMessage response;
        try
        {
            response = await slow.WaitAsync(TimeSpan.FromSeconds(15));
        }
        catch (HttpRequestException e)
        {
            throw new Xunit.Sdk.XunitException($"{e.Message}. Host output:\n{string.Join('\n', sample.Lines.TakeLast(60))}");
        }

        using var _ = response;
        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Single(response.Headers.GetValues("x-ms-invocation-id"));

        var secondPid = await sample.EventuallyAsync(() => Task.FromResult(sample.Host.WorkerProcessId is { } pid && pid != firstPid ? (int?)pid : null), TimeSpan.FromSeconds(60), "the restarted worker");
        using var again = await sample.Http.GetAsync(new Uri("api/items/7", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(secondPid, JsonDocument.Parse(await again.Content.ReadAsStringAsync()).RootElement.GetProperty("pid").GetInt32());
        Assert.Contains(sample.Lines, l => l.StartsWith("The worker stopped (", StringComparison.Ordinal) && l.Contains("restarting it in 1 s", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_message_whose_worker_crashes_each_time_is_poisoned_and_the_worker_comes_back()
    {
        await using var sample = await SampleHost.StartAsync(azurite.Azurite);
        var text = $"crash-{Guid.NewGuid():N}";
        await sample.Queue(sample.WorkQueue).SendMessageAsync(text);

        await sample.EventuallyAsync(async () => (await sample.PeekAllAsync(sample.WorkQueue + "-poison")).FirstOrDefault(m => m == text), TimeSpan.FromSeconds(120), "the poison message");

        // Three crashes (maxDequeueCount 3), restarted with a growing delay, and the worker serves again.
        Assert.Equal(3, sample.Completed.Count(c => c.FunctionName == "Work" && !c.Succeeded));
        Assert.Contains(sample.Lines, l => l.Contains("restarting it in 2 s", StringComparison.Ordinal));
        var ok = $"ok-{Guid.NewGuid():N}";
        await sample.Queue(sample.WorkQueue).SendMessageAsync(ok);
        await sample.EventuallyAsync(async () => (await sample.PeekAllAsync(sample.DoneQueue)).FirstOrDefault(m => m.StartsWith($"done:{ok}:1:", StringComparison.Ordinal)), TimeSpan.FromSeconds(60), "the next message's output");
    }

    [Fact]
    public async Task A_timer_runs_on_startup_and_on_its_schedule_and_stop_ends_the_worker()
    {
        var sample = await SampleHost.StartAsync(azurite.Azurite, tickSchedule: "*/2 * * * * *", timerEnabled: true);
        int pid;
        await using (sample)
        {
            pid = sample.Host.WorkerProcessId!.Value;
            var runs = await sample.EventuallyAsync(async () => await sample.PeekAllAsync(sample.TimerQueue) is { Count: >= 3 } m ? m : null, TimeSpan.FromSeconds(30), "three timer runs");
            var first = JsonDocument.Parse(runs[0]).RootElement;
            Assert.False(first.GetProperty("IsPastDue").GetBoolean());
            var next = first.GetProperty("Next").GetDateTimeOffset();
            Assert.Equal(0, next.Second % 2);
            Assert.True(next > DateTimeOffset.UtcNow.AddMinutes(-1));
            Assert.Equal(TimeSpan.Zero, next.Offset);

            await sample.Host.StopAsync();
            Assert.Null(sample.Host.WorkerProcessId);
            Assert.Contains("Host stopped.", sample.Lines);
            var count = (await sample.PeekAllAsync(sample.TimerQueue)).Count;
            await Task.Delay(2500);
            Assert.Equal(count, (await sample.PeekAllAsync(sample.TimerQueue)).Count);
        }

        Assert.Throws<ArgumentException>(() => Process.GetProcessById(pid));
    }

    [Fact]
    public async Task A_script_root_without_a_worker_fails_start_with_one_clear_line()
    {
        var empty = Directory.CreateTempSubdirectory("no-worker-");
        try
        {
            var e = await Assert.ThrowsAsync<LocalHostException>(() => LocalFunctionsHost.StartAsync(new LocalHostOptions { ScriptRoot = empty.FullName, Port = 0, Output = _ => { } }));
            Assert.Contains("worker.config.json", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            empty.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task A_missing_storage_setting_fails_start_naming_the_setting()
    {
        var e = await Assert.ThrowsAsync<LocalHostException>(() => SampleHost.StartAsync(azurite.Azurite, options => options.Settings["AzureWebJobsStorage"] = null));
        Assert.Contains("AzureWebJobsStorage", e.Message, StringComparison.Ordinal);
        Assert.Contains("Work", e.Message, StringComparison.Ordinal);
    }
}

[CollectionDefinition(AzuriteFixture.CollectionName)]
public sealed class AzuriteTests : ICollectionFixture<AzuriteFixture>;
