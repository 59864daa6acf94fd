using System.Text.Json;
using AlipayFunctions.Loyalty;
using AlipayFunctions.Settings;
using AlipayFunctions.Storage;
using AlipayFunctions.Testing;
using Azure.Data.Tables;
using Azure.Storage.Queues;
using AlipayHK.Cli.Tests.Support;

namespace AlipayHK.Cli.Tests;

[CollectionDefinition(AzuriteFixture.CollectionName)]
public sealed class AzuriteTests : ICollectionFixture<AzuriteFixture>;

/// <summary>
/// <c>member</c> and <c>poison</c> against a real Azurite, with rows written by the app's own ledger and messages by
/// the app's queue client. The queue and table names are the app's (fixed), so the tests of this collection run one
/// at a time, use their own user ids and clear the queues they read.
/// </summary>
[Collection(AzuriteFixture.CollectionName)]
public sealed class StorageTests(AzuriteFixture azurite)
{
    private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web) { DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull };

    private string ConnectionString => azurite.ConnectionString;

    private Dictionary<string, string?> Config => new() { ["AzureWebJobsStorage"] = ConnectionString };

    // Built here, not with the app's factory: the test checks the wire format the host's trigger reads (base64).
    private QueueServiceClient Queues => new(ConnectionString, new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 });

    private async Task<LoyaltyLedger> LedgerAsync()
    {
        var table = new TableServiceClient(ConnectionString).GetTableClient(AppStorage.LoyaltyTable);
        await table.CreateIfNotExistsAsync();
        return new LoyaltyLedger(table, new LoyaltySettings("TPL", EarnRules.Default, "$points$", "M", ["en_US"]), TimeProvider.System);
    }

    private async Task<QueueClient> EmptyQueueAsync(string name)
    {
        var queue = Queues.GetQueueClient(name);
        await queue.CreateIfNotExistsAsync();
        await queue.ClearMessagesAsync();
        return queue;
    }

    private static string NewUser() => "2160" + Random.Shared.NextInt64(100_000_000_000, 999_999_999_999).ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static BillMessage Bill(string user, string billNo, long value) => new(user, billNo, "ALIPAYHK", "HKD", value, "2026-11-22T10:15:30+08:00", BillMessage.FromNotify, null);

    [Fact]
    public async Task Sweep_lists_a_stranded_pending_bill_on_a_dry_run_and_applies_it_after_the_configured_grace()
    {
        var ledger = await LedgerAsync();
        var table = new TableServiceClient(ConnectionString).GetTableClient(AppStorage.LoyaltyTable);
        var user = NewUser();
        var enrolment = await ledger.EnrolAsync(user, new MemberProfile("ALIPAYHK", null, null), default);
        await EmptyQueueAsync(AppStorage.PassCreateQueue);
        // A bill worker noted the user and inserted the pending row after the enrolment's scan, then died.
        await ledger.MarkAttentionAsync(AttentionKind.Pending, user, default);
        await table.AddEntityAsync(new TableEntity(user, LoyaltyLedger.BillRowKey("ALIPAYHK", "SWEEP-1"))
        {
            ["Points"] = 10L,
            [nameof(BillState)] = nameof(BillState.Pending),
        });
        await Task.Delay(20);
        var config = new Dictionary<string, string?>(Config) { ["Sweep:Grace"] = "00:00:00.010" };

        var notYet = await CliRunner.RunAsync(Config, "sweep", "--dry-run"); // the default 10 min grace: too young
        Assert.True(notYet.ExitCode == 0, notYet.ToString());
        Assert.DoesNotContain(enrolment.Member.MemberId, notYet.Output, StringComparison.Ordinal);

        var dry = await CliRunner.RunAsync(config, "sweep", "--dry-run");
        Assert.True(dry.ExitCode == 0, dry.ToString());
        Assert.Contains($"pending-bills: member {enrolment.Member.MemberId}", dry.Output, StringComparison.Ordinal);
        Assert.Contains("dry run: nothing changed", dry.Output, StringComparison.Ordinal);
        Assert.Equal(0, (await ledger.GetMemberAsync(user, default))!.Points);

        var run = await CliRunner.RunAsync(config, "sweep");
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains($"pending-bills: member {enrolment.Member.MemberId}", run.Output, StringComparison.Ordinal);
        Assert.Equal(10, (await ledger.GetMemberAsync(user, default))!.Points);
        Assert.DoesNotContain(user, run.Output, StringComparison.Ordinal); // user ids are masked
    }

    [Fact]
    public async Task Member_shows_balance_card_versions_and_bills()
    {
        var ledger = await LedgerAsync();
        var user = NewUser();
        var enrolment = await ledger.EnrolAsync(user, new MemberProfile("ALIPAYHK", null, null), default);
        await ledger.ApplyBillAsync(Bill(user, "B-1", 12_300), EarnRules.Default.Earn("HKD", 12_300), default);
        await ledger.ApplyBillAsync(Bill(user, "B-2", 5_000), EarnRules.Default.Earn("HKD", 5_000), default);

        var run = await CliRunner.RunAsync(Config, "member", user);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains(enrolment.Member.MemberId, run.Output, StringComparison.Ordinal);
        Assert.Matches(@"points[\s│]+173", run.Output);
        Assert.Matches(@"balance version[\s│]+2", run.Output);
        Assert.Contains("0 (the card shows an older balance)", run.Output, StringComparison.Ordinal);
        Assert.Contains("Bills: 2 applied, 0 pending.", run.Output, StringComparison.Ordinal);
        Assert.Contains("B-1", run.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(user, run.Output, StringComparison.Ordinal); // the user id is masked
    }

    [Fact]
    public async Task Member_of_a_user_who_has_not_joined_fails_and_shows_pending_bills()
    {
        var ledger = await LedgerAsync();
        var user = NewUser();
        await ledger.ApplyBillAsync(Bill(user, "B-P", 1_000), EarnRules.Default.Earn("HKD", 1_000), default);

        var run = await CliRunner.RunAsync(Config, "member", user);

        Assert.True(run.ExitCode == 1, run.ToString());
        Assert.Contains("0 applied, 1 pending", run.Output, StringComparison.Ordinal);
        Assert.Contains("is not a member; 1 bill(s) wait", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Member_without_storage_configuration_is_a_usage_error()
    {
        var run = await CliRunner.RunAsync("member", "2160000000000001");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("AzureWebJobsStorage", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Reset_card_puts_a_failed_card_back_to_None_and_queues_pass_create()
    {
        var ledger = await LedgerAsync();
        var queue = await EmptyQueueAsync(AppStorage.PassCreateQueue);
        var user = NewUser();
        await ledger.EnrolAsync(user, new MemberProfile(null, null, null), default);
        await ledger.RecordPassProblemAsync(user, PassState.Failed, "PARAM_ILLEGAL: templateCode", default);

        var run = await CliRunner.RunAsync(Config, "member", "reset-card", user);

        Assert.True(run.ExitCode == 0, run.ToString());
        var member = await ledger.GetMemberAsync(user, default);
        Assert.Equal(PassState.None, member!.PassState);
        Assert.True(string.IsNullOrEmpty(member.PassError));
        var message = Assert.Single((await queue.ReceiveMessagesAsync(32, TimeSpan.FromSeconds(30))).Value);
        Assert.Equal(user, JsonDocument.Parse(message.Body.ToString()).RootElement.GetProperty("userId").GetString());

        // Now None: a second reset is refused and queues nothing.
        var again = await CliRunner.RunAsync(Config, "member", "reset-card", user);
        Assert.True(again.ExitCode == 1, again.ToString());
        Assert.Empty((await queue.PeekMessagesAsync(32)).Value);
    }

    [Fact]
    public async Task Reset_card_with_pass_id_records_the_lost_pass_id_and_queues_a_sync()
    {
        var ledger = await LedgerAsync();
        var sync = await EmptyQueueAsync(AppStorage.PassSyncQueue);
        var user = NewUser();
        await ledger.EnrolAsync(user, new MemberProfile(null, null, null), default);
        await ledger.ApplyBillAsync(Bill(user, "B-1", 10_000), EarnRules.Default.Earn("HKD", 10_000), default);
        await ledger.RecordPassProblemAsync(user, PassState.ExistsWithoutId, "PASS_HAS_EXIST", default);

        var run = await CliRunner.RunAsync(Config, "member", "reset-card", user, "--pass-id", "PASS-FROM-SUPPORT");

        Assert.True(run.ExitCode == 0, run.ToString());
        var member = await ledger.GetMemberAsync(user, default);
        Assert.Equal(PassState.Active, member!.PassState);
        Assert.Equal("PASS-FROM-SUPPORT", member.PassId);
        Assert.True(member.NeedsSync);
        var message = Assert.Single((await sync.PeekMessagesAsync(32)).Value);
        Assert.Contains(user, message.Body.ToString(), StringComparison.Ordinal);

        var wrongState = await CliRunner.RunAsync(Config, "member", "reset-card", user, "--pass-id", "OTHER");
        Assert.True(wrongState.ExitCode == 1, wrongState.ToString());
        Assert.Equal("PASS-FROM-SUPPORT", (await ledger.GetMemberAsync(user, default))!.PassId);
    }

    [Fact]
    public async Task Poison_list_summarises_messages_with_masked_users_and_recorded_reasons()
    {
        var ledger = await LedgerAsync();
        var bills = await EmptyQueueAsync(AppStorage.PoisonQueue(AppStorage.BillsQueue));
        var creates = await EmptyQueueAsync(AppStorage.PoisonQueue(AppStorage.PassCreateQueue));
        await EmptyQueueAsync(AppStorage.PoisonQueue(AppStorage.PassSyncQueue));
        var user = NewUser();
        await ledger.EnrolAsync(user, new MemberProfile(null, null, null), default);
        await ledger.RecordPassProblemAsync(user, PassState.Failed, "USER_NOT_EXIST: no such user", default);
        await bills.SendMessageAsync(JsonSerializer.Serialize(Bill(user, "B-77", 4_200), Web));
        await creates.SendMessageAsync(JsonSerializer.Serialize(new MemberMessage(user, "tracer-1"), Web));
        await bills.SendMessageAsync("not json at all");

        var all = await CliRunner.RunAsync(Config, "poison", "list");
        var onlyCreates = await CliRunner.RunAsync(Config, "poison", "list", "--queue", "pass-create");

        Assert.True(all.ExitCode == 0, all.ToString());
        Assert.Contains("3 poison message(s)", all.Output, StringComparison.Ordinal);
        Assert.Contains("bill ALIPAYHK:B-77, 4200 HKD", all.Output, StringComparison.Ordinal);
        Assert.Contains("(not a bill message", all.Output, StringComparison.Ordinal);
        Assert.Contains("card Failed: USER_NOT_EXIST: no such user", all.Output, StringComparison.Ordinal);
        Assert.Contains(user[..4] + "****", all.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(user, all.Output, StringComparison.Ordinal);
        Assert.Contains("1 poison message(s)", onlyCreates.Output, StringComparison.Ordinal);
        Assert.Equal(2, (await CliRunner.RunAsync(Config, "poison", "list", "--queue", "nope")).ExitCode);
    }

    [Fact]
    public async Task Poison_replay_by_id_moves_exactly_that_message_back_with_the_same_text()
    {
        var poison = await EmptyQueueAsync(AppStorage.PoisonQueue(AppStorage.BillsQueue));
        var main = await EmptyQueueAsync(AppStorage.BillsQueue);
        var user = NewUser();
        var texts = new[] { "B-1", "B-2", "B-3" }.Select(b => JsonSerializer.Serialize(Bill(user, b, 100), Web)).ToArray();
        foreach (var text in texts)
        {
            await poison.SendMessageAsync(text);
        }
        var target = (await poison.PeekMessagesAsync(32)).Value.Single(m => m.Body.ToString() == texts[1]);

        var run = await CliRunner.RunAsync(Config, "poison", "replay", "--queue", "bills", "--id", target.MessageId);

        Assert.True(run.ExitCode == 0, run.ToString());
        var replayed = Assert.Single((await main.PeekMessagesAsync(32)).Value);
        Assert.Equal(target.Body.ToString(), replayed.Body.ToString());
        // The other two stay in the poison queue and are visible again at once.
        var left = (await poison.PeekMessagesAsync(32)).Value;
        Assert.Equal(new[] { texts[0], texts[2] }, left.Select(m => m.Body.ToString()).Order().ToArray());

        var missing = await CliRunner.RunAsync(Config, "poison", "replay", "--queue", "bills", "--id", target.MessageId);
        Assert.True(missing.ExitCode == 1, missing.ToString());
        Assert.Equal(2, (await poison.PeekMessagesAsync(32)).Value.Length);
    }

    [Fact]
    public async Task Poison_replay_all_moves_every_message_with_a_progress_bar()
    {
        var poison = await EmptyQueueAsync(AppStorage.PoisonQueue(AppStorage.PassSyncQueue));
        var main = await EmptyQueueAsync(AppStorage.PassSyncQueue);
        var users = Enumerable.Range(0, 40).Select(_ => NewUser()).ToList();
        foreach (var user in users)
        {
            await poison.SendMessageAsync(JsonSerializer.Serialize(new MemberMessage(user, null), Web));
        }

        var run = await CliRunner.RunAsync(Config, "poison", "replay", "--queue", "pass-sync", "--all");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("Replayed 40 message(s) from pass-sync-poison to pass-sync", run.Output, StringComparison.Ordinal);
        Assert.Empty((await poison.PeekMessagesAsync(32)).Value);
        var moved = new List<string>();
        while ((await main.ReceiveMessagesAsync(32, TimeSpan.FromSeconds(30))).Value is { Length: > 0 } batch)
        {
            moved.AddRange(batch.Select(m => m.Body.ToString()));
        }
        Assert.Equal(users.Order(), moved.Select(b => JsonDocument.Parse(b).RootElement.GetProperty("userId").GetString()!).Order());
    }

    [Fact]
    public async Task Poison_list_shows_failed_deliveries_bill_state_and_messages_that_are_not_base64()
    {
        var ledger = await LedgerAsync();
        var bills = await EmptyQueueAsync(AppStorage.PoisonQueue(AppStorage.BillsQueue));
        await EmptyQueueAsync(AppStorage.PoisonQueue(AppStorage.PassCreateQueue));
        await EmptyQueueAsync(AppStorage.PoisonQueue(AppStorage.PassSyncQueue));
        var user = NewUser();
        await ledger.EnrolAsync(user, new MemberProfile(null, null, null), default);
        var applied = Bill(user, "B-DONE", 1_000);
        await ledger.ApplyBillAsync(applied, EarnRules.Default.Earn("HKD", 1_000), default);
        await bills.SendMessageAsync(JsonSerializer.Serialize(applied, Web));
        await bills.SendMessageAsync(JsonSerializer.Serialize(Bill(user, "B-NEW", 2_000), Web));
        // Written without base64 encoding: the trigger could never read it, and the SDK client cannot decode it.
        await new QueueClient(ConnectionString, AppStorage.PoisonQueue(AppStorage.BillsQueue)).SendMessageAsync("not base64 at all!");

        var run = await CliRunner.RunAsync(new Dictionary<string, string?>(Config) { ["AzureFunctionsJobHost:extensions:queues:maxDequeueCount"] = "7" }, "poison", "list", "--queue", "bills");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("3 poison message(s)", run.Output, StringComparison.Ordinal);
        Assert.Contains("bill already applied (a replay changes nothing)", run.Output, StringComparison.Ordinal);
        Assert.Matches(@"ALIPAYHK:B-NEW, 2000 HKD.*not applied", run.Output);
        Assert.Contains("(not base64 text", run.Output, StringComparison.Ordinal);
        // The host moved each after maxDequeueCount (here 7) failed deliveries: the column shows that, not the copy's own count.
        Assert.Equal(3, System.Text.RegularExpressions.Regex.Count(run.Output, @"│\s*7\s*│"));
    }

    [Fact]
    public async Task Member_says_when_the_user_s_work_is_in_a_poison_queue()
    {
        var ledger = await LedgerAsync();
        var bills = await EmptyQueueAsync(AppStorage.PoisonQueue(AppStorage.BillsQueue));
        var creates = await EmptyQueueAsync(AppStorage.PoisonQueue(AppStorage.PassCreateQueue));
        await EmptyQueueAsync(AppStorage.PoisonQueue(AppStorage.PassSyncQueue));
        var user = NewUser();
        var other = NewUser();
        await ledger.EnrolAsync(user, new MemberProfile(null, null, null), default);
        await creates.SendMessageAsync(JsonSerializer.Serialize(new MemberMessage(user, null), Web));
        await bills.SendMessageAsync(JsonSerializer.Serialize(Bill(user, "B-STUCK", 900), Web));
        await bills.SendMessageAsync(JsonSerializer.Serialize(Bill(other, "B-OTHER", 900), Web));

        var run = await CliRunner.RunAsync(Config, "member", user);
        var clean = await CliRunner.RunAsync(Config, "member", NewUser());

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("Poison queues: 2 message(s) of this user wait for an operator", run.Output, StringComparison.Ordinal);
        Assert.Contains("bills-poison", run.Output, StringComparison.Ordinal);
        Assert.Contains("B-STUCK", run.Output, StringComparison.Ordinal);
        Assert.Contains("pass-create-poison", run.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("B-OTHER", run.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("Tracer-Id", run.Output, StringComparison.Ordinal); // none recorded: none printed, never "(null)"
        Assert.Contains("Poison queues: nothing for this user.", clean.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_message_keeps_the_id_the_worker_logs_through_the_host_s_poison_copy_list_member_and_replay()
    {
        var ledger = await LedgerAsync();
        var main = await EmptyQueueAsync(AppStorage.PassCreateQueue);
        var poison = await EmptyQueueAsync(AppStorage.PoisonQueue(AppStorage.PassCreateQueue));
        var user = NewUser();
        await ledger.EnrolAsync(user, new MemberProfile(null, null, null), default);
        // Queued as the app queues it; then moved as the Functions host moves a message after its last failed delivery
        // (QueueProcessor.CopyMessageToPoisonQueueAsync): the same text as a NEW message, then the original deleted.
        await AlipayFunctions.Passes.MemberWork.QueuePassCreationAsync(Queues, user, null, default);
        var delivered = (await main.ReceiveMessagesAsync(1)).Value.Single();
        var logged = new QueueDelivery(delivered.Body.ToString(), delivered.MessageId, delivered.DequeueCount, delivered.InsertedOn).Id; // what the worker logs
        await poison.SendMessageAsync(delivered.Body.ToString());
        await main.DeleteMessageAsync(delivered.MessageId, delivered.PopReceipt);
        var poisonId = (await poison.PeekMessagesAsync(1)).Value.Single().MessageId;
        Assert.NotEqual(delivered.MessageId, poisonId);

        var list = await CliRunner.RunAsync(Config, "poison", "list", "--queue", "pass-create");
        var member = await CliRunner.RunAsync(Config, "member", user);
        var replay = await CliRunner.RunAsync(Config, "poison", "replay", "--queue", "pass-create", "--id", logged);

        Assert.True(list.ExitCode == 0, list.ToString());
        Assert.Contains(logged, list.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(poisonId, list.Output, StringComparison.Ordinal); // one id per message, not one per copy
        Assert.Contains($"pass-create-poison {logged}:", member.Output, StringComparison.Ordinal);
        Assert.True(replay.ExitCode == 0, replay.ToString());
        Assert.Empty((await poison.PeekMessagesAsync(32)).Value);
        // Back on its queue as yet another queue message, still under the same id.
        var back = (await main.PeekMessagesAsync(32)).Value.Single();
        Assert.Equal(logged, MessageIds.Read(back.Body.ToString()));
    }

    [Fact]
    public async Task Poison_replay_needs_exactly_one_of_id_or_all()
    {
        Assert.Equal(2, (await CliRunner.RunAsync(Config, "poison", "replay", "--queue", "bills")).ExitCode);
        Assert.Equal(2, (await CliRunner.RunAsync(Config, "poison", "replay", "--queue", "bills", "--all", "--id", "x")).ExitCode);
        Assert.Equal(2, (await CliRunner.RunAsync(Config, "poison", "replay", "--all")).ExitCode);
    }
}
