using System.Net;
using System.Text.Json;
using AlipayFunctions.Testing;

namespace LocalFunctionsHost.Tests;

/// <summary>Queue functions that outlast the in-flight visibility, and functions that never return: each has its own host.</summary>
[Collection(AzuriteFixture.CollectionName)]
public sealed class LongAndStuckInvocationTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task A_queue_function_running_longer_than_the_in_flight_visibility_keeps_its_message_and_runs_once()
    {
        // In flight for 2 s, renewed every 1 s; the function takes 5 s. Without renewals the message would be
        // fetched again at 2 s (a second invocation, "dequeued 2 times") and the first delete would fail.
        await using var sample = await SampleHost.StartAsync(azurite.Azurite, options => options.QueueProcessingVisibility = TimeSpan.FromSeconds(2));
        var text = $"slow-5000-{Guid.NewGuid():N}";
        var sent = (await sample.Queue(sample.WorkQueue).SendMessageAsync(text)).Value;

        var done = await sample.EventuallyAsync(
            async () => (await sample.PeekAllAsync(sample.DoneQueue)).FirstOrDefault(m => m.StartsWith($"done:{text}:", StringComparison.Ordinal)),
            TimeSpan.FromSeconds(60),
            "the output message");

        Assert.Equal($"done:{text}:1:{sent.MessageId}", done);
        await sample.EventuallyAsync(async () => (await sample.PeekAllAsync(sample.WorkQueue)).Contains(text) ? null : "deleted", TimeSpan.FromSeconds(30), "the message to be deleted");
        Assert.Contains(sample.Lines, l => l.Contains($"Message {sent.MessageId} dequeued 1 times", StringComparison.Ordinal));
        Assert.DoesNotContain(sample.Lines, l => l.Contains($"Message {sent.MessageId} dequeued 2 times", StringComparison.Ordinal));
        Assert.DoesNotContain(sample.Lines, l => l.Contains(sent.MessageId, StringComparison.Ordinal) && (l.Contains("can no longer", StringComparison.Ordinal) || l.Contains("failed", StringComparison.Ordinal)));
        Assert.Single(sample.Completed, c => c.FunctionName == "Work");
    }

    [Fact]
    public async Task A_stuck_function_fails_after_function_timeout_and_its_worker_is_restarted_for_http_and_queue()
    {
        await using var sample = await SampleHost.StartAsync(azurite.Azurite, options =>
        {
            options.Settings["AzureFunctionsJobHost__functionTimeout"] = "00:00:03";
            options.FunctionTimeoutGracePeriod = TimeSpan.FromSeconds(1);
        });
        var firstPid = sample.Host.WorkerProcessId!.Value;

        // HTTP: a 500 with the invocation id after the timeout, never a hang; the worker is restarted.
        using (var response = await sample.Http.GetAsync(new Uri("api/hang", UriKind.Relative)).WaitAsync(TimeSpan.FromSeconds(30)))
        {
            Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
            Assert.Single(response.Headers.GetValues("x-ms-invocation-id"));
        }

        Assert.Contains(sample.Lines, l => l.StartsWith("Executed 'Functions.Hang' (Failed", StringComparison.Ordinal));
        var secondPid = await sample.EventuallyAsync(() => Task.FromResult(sample.Host.WorkerProcessId is { } pid && pid != firstPid ? (int?)pid : null), TimeSpan.FromSeconds(60), "the restarted worker");
        Assert.Contains(sample.Lines, l => l.StartsWith("Restarting the worker (pid ", StringComparison.Ordinal) && l.Contains("timed out", StringComparison.Ordinal));
        using (var again = await sample.Http.GetAsync(new Uri("api/items/7", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.OK, again.StatusCode);
            Assert.Equal(secondPid, JsonDocument.Parse(await again.Content.ReadAsStringAsync()).RootElement.GetProperty("pid").GetInt32());
        }

        // Queue: the invocation fails at the timeout, the message is visible again (redelivered to the restarted
        // worker), and the worker is restarted once more.
        var sent = (await sample.Queue(sample.WorkQueue).SendMessageAsync($"hang-{Guid.NewGuid():N}")).Value;
        await sample.EventuallyAsync(() => Task.FromResult(sample.Lines.FirstOrDefault(l => l.Contains($"Message {sent.MessageId} dequeued 2 times", StringComparison.Ordinal))), TimeSpan.FromSeconds(60), "the redelivered message");
        await sample.EventuallyAsync(() => Task.FromResult(sample.Host.WorkerProcessId is { } pid && pid != secondPid ? (int?)pid : null), TimeSpan.FromSeconds(60), "the worker restarted again");
        Assert.Contains(sample.Completed, c => c.FunctionName == "Work" && !c.Succeeded);
    }
}
