using AlipayFunctions.Storage;
using AlipayFunctions.Testing;
using AlipayFunctions.Tests.Infrastructure;
using AlipayHK.Cli;
using AlipayHK.Simulator.Faults;
using Microsoft.Extensions.Configuration;

namespace AlipayFunctions.Tests;

/// <summary>
/// Issue 15: one message id means one message everywhere. The built worker under the local host fails a message until
/// the host moves it to the poison queue (a new queue message); the operator CLI, run on what is left, lists it under
/// the id the worker's log lines named it by, and replays it by that id.
/// </summary>
[Collection(AzuriteFixture.CollectionName)]
public sealed class PoisonMessageIdTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task A_message_the_host_poisons_is_listed_by_alipayhk_under_the_id_of_the_worker_s_log_lines_and_replays_by_it()
    {
        await using var app = await TestApp.StartAsync(azurite);
        app.Sim.Faults.Add(new FaultRule { Path = "createPass", Kind = FaultKind.UnknownException, Mode = FaultMode.Always });
        var user = TestApp.NewUserId();
        var memberId = await app.CreateMemberAsync(user);

        var poisoned = await Eventually.ValueAsync(async () =>
            (await app.Queues.GetQueueClient(AppStorage.PoisonQueue(AppStorage.PassCreateQueue)).PeekMessagesAsync(32)).Value
                .FirstOrDefault(m => m.Body.ToString().Contains(user, StringComparison.Ordinal)),
            "the pass-create message to reach the poison queue", TestApp.RetryTimeout);
        var id = MessageIds.Read(poisoned.Body.ToString());
        Assert.NotNull(id);
        // The worker named it by that id on each failed delivery, the last one saying where it goes.
        var lines = app.Logs.Lines.Where(l => l.Contains($"Message {id} on pass-create failed", StringComparison.Ordinal)).ToList();
        Assert.Equal(5, lines.Count);
        Assert.Contains(lines, l => l.Contains("failed on its last delivery (5 of 5", StringComparison.Ordinal) && l.Contains("pass-create-poison", StringComparison.Ordinal));

        var config = new Dictionary<string, string?> { ["AzureWebJobsStorage"] = azurite.ConnectionString };
        var list = await CliAsync(config, "poison", "list", "--queue", "pass-create");
        var member = await CliAsync(config, "member", user);

        Assert.Contains(id, list.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(poisoned.MessageId, list.Output, StringComparison.Ordinal); // the copy's own queue id is not a second name
        Assert.Contains($"pass-create-poison {id}:", member.Output, StringComparison.Ordinal);

        // Cause fixed, replayed by the same id at once: the last failed delivery gave up its creation claim before the
        // host poisoned the message, so the replay (another queue id) is not turned away as "claimed by another delivery".
        app.Sim.Faults.Clear();
        Assert.Null((await app.MemberAsync(user))!.CreateOwner);
        var replay = await CliAsync(config, "poison", "replay", "--queue", "pass-create", "--id", id);
        Assert.True(replay.ExitCode == 0, replay.Output + replay.Error);
        await app.WaitForCardAsync(memberId, 0, user, TestApp.RetryTimeout);
    }

    private static async Task<(int ExitCode, string Output, string Error)> CliAsync(Dictionary<string, string?> configuration, params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var host = CliHost.ForWriters(output, error, new ConfigurationBuilder().AddInMemoryCollection(configuration).Build());
        var exit = await CliApp.RunAsync(args, host);
        return (exit, output.ToString(), error.ToString());
    }
}
