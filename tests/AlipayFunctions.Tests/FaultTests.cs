using AlipayFunctions.Loyalty;
using AlipayFunctions.Storage;
using AlipayFunctions.Testing;
using AlipayFunctions.Tests.Infrastructure;
using AlipayHK.Simulator.Faults;
using Azure.Storage.Queues;

namespace AlipayFunctions.Tests;

/// <summary>
/// Failures end to end, under the host: AlipayHK's U results and transport failures are retried by the host until
/// every card shows its balance; a message that can never succeed is retried maxDequeueCount times, then poisoned.
/// </summary>
[Collection(AzuriteFixture.CollectionName)]
public sealed class FaultTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task Every_card_converges_to_its_balance_through_U_500_429_timeouts_and_dropped_answers()
    {
        await using var app = await TestApp.StartAsync(azurite, new TestAppOptions { Settings = { ["AzureFunctionsJobHost:extensions:queues:maxDequeueCount"] = "10", ["Queues:MaxDequeueCount"] = "10" } });
        var slow = TimeSpan.FromSeconds(3); // beyond AlipayHK:Timeout (1 s): the request never reaches the simulated AlipayHK
        foreach (var (api, kind) in new[]
                 {
                     ("createPass", FaultKind.UnknownException), ("createPass", FaultKind.Http500), ("createPass", FaultKind.Http429),
                     ("createPass", FaultKind.Delay), ("createPass", FaultKind.SystemError),
                     ("updatePass", FaultKind.UnknownException), ("updatePass", FaultKind.Http503), ("updatePass", FaultKind.Http429),
                     ("updatePass", FaultKind.Delay), ("updatePass", FaultKind.DropAnswerAfterProcessing), ("updatePass", FaultKind.UnsignedAnswer),
                 })
        {
            app.Sim.Faults.Add(new FaultRule { Path = api, Kind = kind, Mode = FaultMode.NextN, Count = 1, Delay = slow, RetryAfter = TimeSpan.FromMilliseconds(200) });
        }

        var users = Enumerable.Range(0, 3).Select(_ => TestApp.NewUserId()).ToArray();
        var memberIds = await Task.WhenAll(users.Select(app.CreateMemberAsync));
        for (var i = 0; i < users.Length; i++)
        {
            await app.WaitForCardAsync(memberIds[i], 0, users[i], TimeSpan.FromSeconds(60));
        }
        var expected = new long[users.Length];
        for (var round = 0; round < 3; round++)
        {
            for (var i = 0; i < users.Length; i++)
            {
                var value = 1000L * (i + 1) + 50 * round;
                expected[i] += value / 100;
                (await app.NotifyBillAsync(users[i], $"F{round}-{users[i]}", value)).AssertSignedSuccess();
            }
        }

        for (var i = 0; i < users.Length; i++)
        {
            await app.WaitForCardAsync(memberIds[i], expected[i], users[i], TimeSpan.FromSeconds(60));
        }
        Assert.All(app.Sim.Faults.List(), rule => Assert.Equal(1, rule.Hits));
        Assert.Equal(users.Length, app.Sim.State.Passes.List().Count(p => users.Contains(p.UserId)));
        Assert.Contains(app.Invocations, i => !i.Succeeded); // the faults did fail deliveries, which the host retried
    }

    [Fact]
    public async Task A_message_that_can_never_succeed_is_delivered_maxDequeueCount_times_then_poisoned_by_the_host()
    {
        await using var app = await TestApp.StartAsync(azurite);
        var bills = new QueueClient(azurite.ConnectionString, AppStorage.BillsQueue, new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 });

        await bills.SendMessageAsync("{\"userId\":\"2160\",\"note\":\"no bill number\"}");

        var poison = await Eventually.ValueAsync(async () =>
            (await app.Queues.GetQueueClient(AppStorage.PoisonQueue(AppStorage.BillsQueue)).PeekMessagesAsync(1)).Value.FirstOrDefault(), "the message to reach the poison queue", TimeSpan.FromSeconds(60));
        Assert.Contains("no bill number", poison.Body.ToString(), StringComparison.Ordinal);
        Assert.Equal(5, app.Invocations.Count(i => i.FunctionName == "ApplyBill" && !i.Succeeded));
        Assert.Equal(0, await app.MessageCountAsync(AppStorage.BillsQueue));
    }

    [Fact]
    public async Task A_worker_killed_mid_flow_loses_nothing_and_applies_nothing_twice()
    {
        await using var app = await TestApp.StartAsync(azurite);
        var user = TestApp.NewUserId();
        var memberId = await app.CreateMemberAsync(user);
        await app.WaitForCardAsync(memberId, 0, user);
        var sends = Enumerable.Range(0, 20).Select(i => app.NotifyBillAsync(user, $"K{i}-{user}", 1000)).ToList();
        var answers = await Task.WhenAll(sends);
        Assert.All(answers, a => a.AssertSignedSuccess());

        // Every accepted bill is on the queue or applied: killing the worker now must not lose or double any.
        if (app.Host.WorkerProcessId is { } pid)
        {
            System.Diagnostics.Process.GetProcessById(pid).Kill(entireProcessTree: true);
        }

        await app.WaitForCardAsync(memberId, 200, user, TimeSpan.FromSeconds(90));
        var rows = await app.BillRowsAsync(user);
        Assert.Equal(20, rows.Count);
        Assert.All(rows, b => Assert.Equal(nameof(BillState.Applied), b.GetString(nameof(BillState))));
    }
}
