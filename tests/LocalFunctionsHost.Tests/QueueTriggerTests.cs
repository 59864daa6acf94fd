using Azure.Storage.Queues;

namespace LocalFunctionsHost.Tests;

[Collection(SharedHostTests.Name)]
public sealed class QueueTriggerTests(SharedHostFixture fixture)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    private SampleHost Sample => fixture.Sample;

    [Fact]
    public async Task A_message_runs_the_function_which_writes_its_return_value_and_the_message_is_deleted()
    {
        var text = $"hello-{Guid.NewGuid():N}";
        var sent = (await Sample.Queue(Sample.WorkQueue).SendMessageAsync(text)).Value;

        var done = await Sample.EventuallyAsync(
            async () => (await Sample.PeekAllAsync(Sample.DoneQueue)).FirstOrDefault(m => m.StartsWith($"done:{text}:", StringComparison.Ordinal)),
            Wait,
            "the output message");

        // The trigger metadata reached the worker: DequeueCount and Id bound to parameters.
        Assert.Equal($"done:{text}:1:{sent.MessageId}", done);
        await Sample.EventuallyAsync(async () => (await Sample.PeekAllAsync(Sample.WorkQueue)).Contains(text) ? null : "deleted", Wait, "the message to be deleted");
    }

    [Fact]
    public async Task A_failing_message_is_redelivered_after_the_visibility_timeout_then_poisoned_at_max_dequeue_count()
    {
        var before = Sample.Completed.Count;
        var text = $"fail-{Guid.NewGuid():N}";
        await Sample.Queue(Sample.WorkQueue).SendMessageAsync(text);

        await Sample.EventuallyAsync(async () => (await Sample.PeekAllAsync(Sample.WorkQueue + "-poison")).FirstOrDefault(m => m == text), Wait, "the poison message");

        // host.json: maxDequeueCount 3, visibilityTimeout 1 s.
        var failures = Sample.Completed.Skip(before).Where(c => c.FunctionName == "Work" && !c.Succeeded).ToList();
        Assert.Equal(3, failures.Count);
        Assert.DoesNotContain(text, await Sample.PeekAllAsync(Sample.WorkQueue));
        Assert.Contains(Sample.Lines, l => l.Contains("has reached MaxDequeueCount of 3", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_message_that_is_not_base64_goes_to_the_poison_queue_without_an_invocation()
    {
        var before = Sample.Completed.Count;
        var raw = new QueueClient(fixture.Azurite.ConnectionString, Sample.WorkQueue, new QueueClientOptions { MessageEncoding = QueueMessageEncoding.None });
        var text = $"not base64 {Guid.NewGuid():N}!";
        await raw.SendMessageAsync(text);

        var poisonRaw = new QueueClient(fixture.Azurite.ConnectionString, Sample.WorkQueue + "-poison", new QueueClientOptions { MessageEncoding = QueueMessageEncoding.None });
        await Sample.EventuallyAsync(
            async () => (await poisonRaw.PeekMessagesAsync(32)).Value.Select(m => m.Body.ToString()).FirstOrDefault(m => m == text),
            Wait,
            "the poison message");
        Assert.DoesNotContain(Sample.Completed.Skip(before), c => c.FunctionName == "Work");
    }

    [Fact]
    public async Task A_message_dequeued_more_than_max_dequeue_count_is_poisoned_without_an_invocation()
    {
        // Seeded by the fixture before the host started.
        await Sample.EventuallyAsync(async () => (await Sample.PeekAllAsync(Sample.WorkQueue + "-poison")).FirstOrDefault(m => m == fixture.OverDequeuedText), Wait, "the poison message");
        Assert.DoesNotContain(await Sample.PeekAllAsync(Sample.DoneQueue), m => m.Contains(fixture.OverDequeuedText, StringComparison.Ordinal));
    }
}
