using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using AlipayFunctions.Hosting;
using AlipayFunctions.Loyalty;
using AlipayFunctions.Observability;
using AlipayFunctions.Passes;
using AlipayFunctions.Storage.Queues;
using AlipayHK.Cli.Settings;

namespace AlipayHK.Cli.Poison;

/// <summary>
/// <c>poison list</c> and <c>poison replay</c>: the messages the workers gave up on, in <c>&lt;queue&gt;-poison</c>.
/// Replay sends the same message text to the main queue, then deletes it from the poison queue (a crash in
/// between leaves a duplicate, which the idempotent workers absorb; never a loss).
/// </summary>
internal static class PoisonCommand
{
    private static readonly TimeSpan ScanVisibility = TimeSpan.FromSeconds(30);

    public static Command Build(CliHost host)
    {
        var poison = new Command("poison", "Inspect and replay messages the workers moved to the -poison queues.");
        poison.Add(List(host));
        poison.Add(Replay(host));
        return poison;
    }

    private static Option<string> QueueOption(bool required) => new("--queue")
    {
        Description = "bills, pass-create or pass-sync" + (required ? "." : " (default: all three)."),
        Required = required,
    };

    private static Command List(CliHost host)
    {
        var queue = QueueOption(required: false);
        queue.AcceptOnlyFromAmong([.. AppStorage.Queues]);
        var command = new Command("list", "List the poison messages (peek: up to 32 per queue) with a summary of their content (user ids masked) and the reason recorded on the member, if any.") { queue };
        ConfigOptions.AddStorage(command);
        command.SetAction((parse, ct) => CliApp.Guard(host, async () =>
        {
            var settings = CliSettings.From(parse, host);
            var queues = settings.Queues();
            var ledger = settings.Ledger();
            var names = parse.GetValue(queue) is { } one ? [one] : AppStorage.Queues;
            var table = new Table().AddColumns("queue", "message id", "inserted", "deliveries", "content", "reason");
            var total = 0;
            foreach (var name in names)
            {
                var client = queues.GetQueueClient(AppStorage.PoisonQueue(name));
                IReadOnlyList<PeekedMessage> messages;
                int count;
                try
                {
                    count = await client.GetApproximateMessageCountAsync(ct).ConfigureAwait(false);
                    messages = await client.PeekMessagesAsync(32, ct).ConfigureAwait(false);
                }
                catch (AlipayFunctions.Storage.StorageRequestException e) when (e.IsNotFound)
                {
                    continue; // no poison queue yet: nothing ever failed
                }
                total += count;
                foreach (var message in messages)
                {
                    var (summary, userId) = Summarise(name, message.Body);
                    var reason = userId is null ? null : await ReasonAsync(ledger, userId, ct).ConfigureAwait(false);
                    table.AddRow(new Text(name), new Text(message.MessageId), new Text(message.InsertionTime.ToString("u", CultureInfo.InvariantCulture)),
                        new Text(message.DequeueCount.ToString(CultureInfo.InvariantCulture)), new Text(summary), new Text(reason ?? "-"));
                }
                if (count > messages.Count)
                {
                    table.AddRow(new Text(name), new Text($"... {count - messages.Count} more"), new Text(""), new Text(""), new Text(""), new Text(""));
                }
            }
            host.Console.Write(table);
            host.Console.WriteLine($"{total} poison message(s).{(total > 0 ? " Replay with: alipayhk poison replay --queue <queue> (--id <message id> | --all)" : "")}");
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command Replay(CliHost host)
    {
        var queue = QueueOption(required: true);
        queue.AcceptOnlyFromAmong([.. AppStorage.Queues]);
        var id = new Option<string>("--id") { Description = "The message id (from poison list)." };
        var all = new Option<bool>("--all") { Description = "Every message in the poison queue (those that land there again while this runs are left for later)." };
        var command = new Command("replay", "Move poison messages back to their queue (same text; then deleted from the poison queue), after fixing the cause.") { queue, id, all };
        command.Validators.Add(result =>
        {
            var hasId = result.GetValue(id) is not null;
            if (hasId == result.GetValue(all))
            {
                result.AddError("Give exactly one of --id ID or --all.");
            }
        });
        ConfigOptions.AddStorage(command);
        command.SetAction((parse, ct) => CliApp.Guard(host, async () =>
        {
            var settings = CliSettings.From(parse, host);
            var queues = settings.Queues();
            var name = parse.GetRequiredValue(queue);
            var main = queues.GetQueueClient(name);
            var poison = queues.GetQueueClient(AppStorage.PoisonQueue(name));
            return parse.GetValue(id) is { } messageId
                ? await ReplayOneAsync(host, main, poison, messageId, ct).ConfigureAwait(false)
                : await ReplayAllAsync(host, main, poison, ct).ConfigureAwait(false);
        }));
        return command;
    }

    private static async Task<int> ReplayOneAsync(CliHost host, QueueClient main, QueueClient poison, string messageId, CancellationToken ct)
    {
        var held = new List<QueueMessage>();
        try
        {
            // Receive (not peek) to get a pop receipt; the others stay hidden while we scan, and are released after.
            while (true)
            {
                var batch = await poison.ReceiveMessagesAsync(32, ScanVisibility, ct).ConfigureAwait(false);
                if (batch.Count == 0)
                {
                    throw new OperationFailedException($"No message {messageId} in {poison.Name}.");
                }
                // Everything else in the batch is held, and released at the end, whether or not the target is in it.
                held.AddRange(batch.Where(m => m.MessageId != messageId));
                if (batch.FirstOrDefault(m => m.MessageId == messageId) is { } message)
                {
                    if (!await MoveAsync(main, poison, message, ct).ConfigureAwait(false))
                    {
                        held.Add(message);
                        throw new OperationFailedException($"Message {messageId} is not base64 text: the queue trigger would poison it again at once. It stays in {poison.Name}.");
                    }
                    host.Console.WriteLine($"Replayed {messageId} to {main.Name}.");
                    return ExitCodes.Ok;
                }
            }
        }
        finally
        {
            await ReleaseAsync(poison, held).ConfigureAwait(false);
        }
    }

    private static async Task<int> ReplayAllAsync(CliHost host, QueueClient main, QueueClient poison, CancellationToken ct)
    {
        // Insertion times come from the storage service's clock: a minute's allowance for skew. A replayed message
        // takes minutes of failed deliveries (growing retry delays) before it can be poisoned again.
        var cutoff = host.Clock.GetUtcNow() + TimeSpan.FromMinutes(1);
        int total;
        try
        {
            total = await poison.GetApproximateMessageCountAsync(ct).ConfigureAwait(false);
        }
        catch (AlipayFunctions.Storage.StorageRequestException e) when (e.IsNotFound)
        {
            total = 0;
        }
        var replayed = 0;
        var skipped = new List<QueueMessage>();
        try
        {
            await host.Console.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
                .StartAsync(async context =>
                {
                    var task = context.AddTask($"Replaying {poison.Name} -> {main.Name}", maxValue: Math.Max(total, 1));
                    while (total > 0)
                    {
                        var batch = await poison.ReceiveMessagesAsync(32, ScanVisibility, ct).ConfigureAwait(false);
                        var eligible = batch.Where(m => m.InsertionTime <= cutoff).ToList();
                        // Messages poisoned again since we started are left for a later replay, not looped on.
                        skipped.AddRange(batch.Except(eligible));
                        if (eligible.Count == 0)
                        {
                            break;
                        }
                        foreach (var message in eligible)
                        {
                            if (await MoveAsync(main, poison, message, ct).ConfigureAwait(false))
                            {
                                replayed++;
                            }
                            else
                            {
                                skipped.Add(message);
                            }
                            task.Increment(1);
                        }
                        task.MaxValue = Math.Max(task.MaxValue, task.Value);
                    }
                    task.Value = task.MaxValue;
                }).ConfigureAwait(false);
        }
        finally
        {
            await ReleaseAsync(poison, skipped).ConfigureAwait(false);
        }
        host.Console.WriteLine($"Replayed {replayed} message(s) from {poison.Name} to {main.Name}{(skipped.Count > 0 ? $"; {skipped.Count} left in {poison.Name} (not base64, or poisoned again while this ran)" : "")}.");
        return ExitCodes.Ok;
    }

    /// <summary>Same text to the main queue first, then the delete: at worst a duplicate, never a loss.</summary>
    private static async Task<bool> MoveAsync(QueueClient main, QueueClient poison, QueueMessage message, CancellationToken ct)
    {
        if (message.Body is not { } body)
        {
            return false;
        }
        // The client base64-encodes the decoded text again: the same wire text the worker poisoned.
        await main.SendMessageAsync(body, cancellationToken: ct).ConfigureAwait(false);
        await poison.DeleteMessageAsync(message.MessageId, message.PopReceipt, ct).ConfigureAwait(false);
        return true;
    }

    private static async Task ReleaseAsync(QueueClient poison, List<QueueMessage> held)
    {
        foreach (var message in held)
        {
            try
            {
                await poison.UpdateVisibilityAsync(message.MessageId, message.PopReceipt, TimeSpan.Zero, CancellationToken.None).ConfigureAwait(false);
            }
            catch (AlipayFunctions.Storage.StorageRequestException)
            {
                // It becomes visible again by itself when the scan's visibility timeout ends.
            }
        }
    }

    /// <summary>A one-line summary of a message with the user id masked; also the user id, to look up a recorded reason.</summary>
    internal static (string Summary, string? UserId) Summarise(string queue, string? body)
    {
        if (body is null)
        {
            return ("(not base64 text: the queue trigger poisons it on sight)", null);
        }
        if (queue == AppStorage.BillsQueue)
        {
            BillMessage? bill = null;
            try
            {
                bill = JsonSerializer.Deserialize(body, MessageJsonContext.Default.BillMessage);
            }
            catch (JsonException)
            {
            }
            return bill?.UserId is null
                ? ($"(not a bill message: {body.Length} characters)", null)
                : ($"bill {bill.PointsProvider}:{bill.BillNo}, {bill.Value} {bill.Currency}, user {LogMask.UserId(bill.UserId)}, from {bill.Source}", bill.UserId);
        }
        return MemberWork.Read(body) is { } member
            ? ($"user {LogMask.UserId(member.UserId)}{(member.TracerId is null ? "" : $", Tracer-Id {member.TracerId}")}", member.UserId)
            : ($"(not a member message: {body.Length} characters)", null);
    }

    private static async Task<string?> ReasonAsync(LoyaltyLedger ledger, string userId, CancellationToken ct)
    {
        var member = await ledger.GetMemberAsync(userId, ct).ConfigureAwait(false);
        return member switch
        {
            null => "not a member",
            { PassError: { Length: > 0 } error } => $"card {member.PassState}: {error}",
            _ => null,
        };
    }
}
