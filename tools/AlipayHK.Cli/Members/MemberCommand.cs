using System.CommandLine;
using System.Globalization;
using AlipayFunctions.Loyalty;
using AlipayFunctions.Observability;
using AlipayFunctions.Passes;
using AlipayHK.Cli.Poison;
using AlipayHK.Cli.Settings;

namespace AlipayHK.Cli.Members;

/// <summary><c>member USERID</c> (show) and <c>member reset-card USERID</c>, through the app's own ledger.</summary>
internal static class MemberCommand
{
    public static Command Build(CliHost host)
    {
        var userId = new Argument<string>("userId") { Description = "The AlipayHK user id (2160...)." };
        var command = new Command("member", "Show a member: member id, points balance, card state/pass id/error, synced vs balance version, bills applied and pending.") { userId };
        ConfigOptions.AddStorage(command);
        command.SetAction((parse, ct) => CliApp.Guard(host, () => ShowAsync(host, CliSettings.From(parse, host), parse.GetRequiredValue(userId), ct)));
        command.Add(ResetCard(host));
        return command;
    }

    private static async Task<int> ShowAsync(CliHost host, CliSettings settings, string userId, CancellationToken ct)
    {
        var ledger = settings.Ledger();
        var member = await ledger.GetMemberAsync(userId, ct).ConfigureAwait(false);
        var bills = await ledger.GetBillsAsync(userId, ct).ConfigureAwait(false);
        var console = host.Console;
        var masked = LogMask.UserId(userId);
        if (member is not null)
        {
            var table = new Table().AddColumns("Field", "Value").HideHeaders();
            void Row(string name, string? value) => table.AddRow(new Text(name), new Text(value ?? ""));
            Row("user", masked);
            Row("member id", member.MemberId);
            Row("points", member.Points.ToString(CultureInfo.InvariantCulture));
            Row("balance version", member.BalanceVersion.ToString(CultureInfo.InvariantCulture));
            Row("synced version", $"{member.SyncedVersion}{(member.SyncedVersion < member.BalanceVersion ? " (the card shows an older balance)" : " (the card is current)")}");
            Row("card", member.PassState.ToString());
            Row("pass id", member.PassId ?? "(none)");
            if (!string.IsNullOrEmpty(member.PassError))
            {
                Row("card error", member.PassError);
            }
            console.Write(table);
            if (member.RetryScheduled)
            {
                console.WriteLine($"Card work failed {member.PassFailures} time(s) in a row for a cause that can go away ({member.PassErrorCode}): " +
                    $"the sweep retries it from {member.PassRetryAt:u}, waiting longer after each failure. To retry now: alipayhk member reset-card <userId>");
            }
            else if (member.PassState is PassState.Failed or PassState.Blocked or PassState.ExistsWithoutId)
            {
                console.WriteLine($"Card creation stopped ({member.PassState}). After fixing the cause: alipayhk member reset-card <userId>{(member.PassState == PassState.ExistsWithoutId ? " --pass-id <the pass id AlipayHK support gives you>" : "")}");
            }
        }

        var pending = bills.Count(b => b.GetString(nameof(BillState)) == nameof(BillState.Pending));
        console.WriteLine($"Bills: {bills.Count - pending} applied, {pending} pending.");
        if (bills.Count > 0)
        {
            var table = new Table().AddColumns("billNo", "provider", "amount", "points", "state", "payTime", "source");
            foreach (var bill in bills)
            {
                table.AddRow(
                    new Text(bill.GetString("BillNo") ?? ""),
                    new Text(bill.GetString("PointsProvider") ?? ""),
                    new Text($"{bill.GetInt64("Value")} {bill.GetString("Currency")}"),
                    new Text(bill.GetInt64("Points")?.ToString(CultureInfo.InvariantCulture) ?? ""),
                    new Text(bill.GetString(nameof(BillState)) ?? ""),
                    new Text(bill.GetString("PayTime") ?? ""),
                    new Text(bill.GetString("Source") ?? ""));
            }
            console.Write(table);
        }
        // Work that failed for good waits in a poison queue until an operator replays it: say so here.
        var (poisoned, notChecked) = await PoisonMessages.FindAsync(settings.Queues(), userId, ct).ConfigureAwait(false);
        var beyond = notChecked > 0 ? $" (checked the first 32 of each poison queue; {notChecked} more not checked)" : "";
        if (poisoned.Count == 0)
        {
            console.WriteLine($"Poison queues: nothing for this user{beyond}.");
        }
        else
        {
            console.WriteLine($"Poison queues: {poisoned.Count} message(s) of this user wait for an operator{beyond}:");
            foreach (var (queue, message) in poisoned)
            {
                console.WriteLine($"  {AlipayFunctions.Storage.AppStorage.PoisonQueue(queue)} {AlipayFunctions.Storage.MessageIds.For(message.Body.ToString(), message.MessageId)}: {PoisonCommand.Summarise(queue, message.Body.ToString()).Summary}");
            }
            console.WriteLine("  After fixing the cause: alipayhk poison replay --queue <queue> --id <message id>");
        }
        if (member is null)
        {
            throw new OperationFailedException($"User {masked} is not a member{(pending > 0 ? $"; {pending} bill(s) wait for the membership" : "")}.");
        }
        return ExitCodes.Ok;
    }

    private static Command ResetCard(CliHost host)
    {
        var userId = new Argument<string>("userId") { Description = "The AlipayHK user id." };
        var passId = new Option<string>("--pass-id") { Description = "For ExistsWithoutId (PASS_HAS_EXIST): record the pass id AlipayHK support gave you instead of creating the card again." };
        var command = new Command("reset-card",
            "After fixing the cause, restart card work for a member whose card is Failed, Blocked or ExistsWithoutId: set it back to None and queue pass-create; " +
            "or, for ExistsWithoutId with --pass-id, record the pass id and queue a balance sync.")
        {
            userId, passId,
        };
        ConfigOptions.AddStorage(command);
        command.SetAction((parse, ct) => CliApp.Guard(host, async () =>
        {
            var settings = CliSettings.From(parse, host);
            var user = parse.GetRequiredValue(userId);
            var masked = LogMask.UserId(user);
            var ledger = settings.Ledger();
            var queues = settings.Queues();
            var member = await ledger.GetMemberAsync(user, ct).ConfigureAwait(false)
                ?? throw new OperationFailedException($"User {masked} is not a member.");
            if (parse.GetValue(passId) is { } pass)
            {
                if (member.PassState != PassState.ExistsWithoutId)
                {
                    throw new OperationFailedException($"--pass-id is for a card in ExistsWithoutId (PASS_HAS_EXIST); this one is {member.PassState}.");
                }
                if (string.IsNullOrWhiteSpace(pass) || pass.Length > 128)
                {
                    throw new UsageException("--pass-id is the pass id AlipayHK gave you (1-128 characters).");
                }
                // Version 0 shown: the card's balance is unknown, so the next sync sends the current one.
                await ledger.RecordPassCreatedAsync(user, pass.Trim(), shownVersion: 0, ct).ConfigureAwait(false);
                await MemberWork.QueuePassSyncAsync(queues, user, tracerId: null, TimeSpan.Zero, ct).ConfigureAwait(false);
                host.Console.WriteLine($"Member {member.MemberId} (user {masked}): pass id recorded, card Active; pass-sync queued to show {member.Points} points.");
                return ExitCodes.Ok;
            }
            try
            {
                await ledger.ResetStoppedPassAsync(user, ct).ConfigureAwait(false);
            }
            catch (InvalidOperationException e)
            {
                throw new OperationFailedException($"Member {member.MemberId} (user {masked}): {e.Message}");
            }
            await MemberWork.QueuePassCreationAsync(queues, user, tracerId: null, ct).ConfigureAwait(false);
            host.Console.WriteLine($"Member {member.MemberId} (user {masked}): card {member.PassState} -> None; pass-create queued.");
            if (member.PassState == PassState.ExistsWithoutId)
            {
                await host.Error.WriteLineAsync("Warning: createPass repeats bizSerialId " + member.MemberId + " and will likely answer PASS_HAS_EXIST again; record the pass id with --pass-id instead.").ConfigureAwait(false);
            }
            return ExitCodes.Ok;
        }));
        return command;
    }
}
