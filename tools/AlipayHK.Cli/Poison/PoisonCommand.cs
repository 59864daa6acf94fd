using System.CommandLine;
using System.Globalization;
using AlipayFunctions.Loyalty;
using AlipayFunctions.Observability;
using AlipayFunctions.Storage;
using AlipayHK.Cli.Settings;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;

namespace AlipayHK.Cli.Poison;

/// <summary>
/// <c>poison list</c> and <c>poison replay</c>: the messages the Functions host gave up on, in <c>&lt;queue&gt;-poison</c>.
/// Replay sends the same message text to the main queue, then deletes it from the poison queue (a crash in
/// between leaves a duplicate, which the idempotent workers absorb; never a loss).
/// </summary>
internal static class PoisonCommand
{
    private static readonly TimeSpan ScanVisibility = TimeSpan.FromSeconds(30);

    public static Command Build(CliHost host)
    {
        var poison = new Command("poison", "Inspect and replay messages the Functions host moved to the -poison queues.");
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
        var command = new Command("list",
            "List the poison messages (peek: up to 32 per queue): the message id (the one the app's logs name it by, and replay --id takes), when the host moved it, " +
            "how many deliveries failed before (maxDequeueCount), a summary of the content (user ids masked) and the reason recorded for it, if any.") { queue };
        ConfigOptions.AddStorage(command);
        command.SetAction((parse, ct) => CliApp.Guard(host, async () =>
        {
            var settings = CliSettings.From(parse, host);
            var undecodable = new List<string>();
            var queues = settings.Queues(undecodable.Add);
            var ledger = settings.Ledger();
            var deliveries = MaxDequeueCount(settings);
            var names = parse.GetValue(queue) is { } one ? [one] : AppStorage.Queues;
            var table = new Table().AddColumns("queue", "message id", "poisoned at", "failed deliveries", "content", "reason");
            var total = 0;
            foreach (var name in names)
            {
                var client = queues.GetQueueClient(AppStorage.PoisonQueue(name));
                if (!(await client.ExistsAsync(ct).ConfigureAwait(false)).Value)
                {
                    continue; // no poison queue yet: nothing ever failed
                }
                var count = (await client.GetPropertiesAsync(ct).ConfigureAwait(false)).Value.ApproximateMessagesCount;
                undecodable.Clear();
                PeekedMessage[] messages = (await client.PeekMessagesAsync(32, ct).ConfigureAwait(false)).Value;
                total += count;
                foreach (var message in messages)
                {
                    var (summary, userId) = Summarise(name, message.Body.ToString());
                    var reason = userId is null ? null : await ReasonAsync(ledger, name, message.Body.ToString(), userId, ct).ConfigureAwait(false);
                    table.AddRow(new Text(name), new Text(MessageIds.For(message.Body.ToString(), message.MessageId)), new Text(message.InsertedOn?.ToString("u", CultureInfo.InvariantCulture) ?? ""),
                        new Text(deliveries), new Text(summary), new Text(reason ?? "-"));
                }
                foreach (var id in undecodable)
                {
                    table.AddRow(new Text(name), new Text(id), new Text(""), new Text(deliveries), new Text(Summarise(name, null).Summary), new Text("-"));
                }
                var shown = messages.Length + undecodable.Count;
                if (count > shown)
                {
                    table.AddRow(new Text(name), new Text($"... {count - shown} more"), new Text(""), new Text(""), new Text(""), new Text(""));
                }
            }
            host.Console.Write(table);
            host.Console.WriteLine($"{total} poison message(s).{(total > 0 ? " Replay with: alipayhk poison replay --queue <queue> (--id <message id> | --all)" : "")}");
            return ExitCodes.Ok;
        }));
        return command;
    }

    /// <summary>
    /// The host moves a message to the poison queue after exactly maxDequeueCount failed deliveries (host.json,
    /// overridable as the app setting AzureFunctionsJobHost__extensions__queues__maxDequeueCount). The poison copy is a
    /// new message, so its own dequeue count says nothing about them.
    /// </summary>
    internal static string MaxDequeueCount(CliSettings settings) =>
        settings.Get("AzureFunctionsJobHost:extensions:queues:maxDequeueCount") is { } value && int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0
            ? n.ToString(CultureInfo.InvariantCulture)
            : "5";

    private static Command Replay(CliHost host)
    {
        var queue = QueueOption(required: true);
        queue.AcceptOnlyFromAmong([.. AppStorage.Queues]);
        var id = new Option<string>("--id") { Description = "The message id (from poison list or the app's logs; the poison queue's own id is accepted too)." };
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
            var undecodable = new List<string>();
            var queues = settings.Queues(undecodable.Add);
            var name = parse.GetRequiredValue(queue);
            var main = queues.GetQueueClient(name);
            var poison = queues.GetQueueClient(AppStorage.PoisonQueue(name));
            if (!(await poison.ExistsAsync(ct).ConfigureAwait(false)).Value)
            {
                if (parse.GetValue(id) is { } missing)
                {
                    throw new OperationFailedException($"No message {missing} in {poison.Name} (there is no such queue: nothing was ever poisoned).");
                }
                host.Console.WriteLine($"Replayed 0 message(s): there is no {poison.Name} (nothing was ever poisoned).");
                return ExitCodes.Ok;
            }
            return parse.GetValue(id) is { } messageId
                ? await ReplayOneAsync(host, main, poison, messageId, undecodable, ct).ConfigureAwait(false)
                : await ReplayAllAsync(host, main, poison, undecodable, ct).ConfigureAwait(false);
        }));
        return command;
    }

    private static async Task<int> ReplayOneAsync(CliHost host, QueueClient main, QueueClient poison, string messageId, List<string> undecodable, CancellationToken ct)
    {
        var held = new List<QueueMessage>();
        try
        {
            // Receive (not peek) to get a pop receipt; the others stay hidden while we scan, and are released after.
            while (true)
            {
                undecodable.Clear();
                QueueMessage[] batch = (await poison.ReceiveMessagesAsync(32, ScanVisibility, ct).ConfigureAwait(false)).Value;
                if (undecodable.Contains(messageId))
                {
                    throw new OperationFailedException($"Message {messageId} is not base64 text: the queue trigger would poison it again at once. It stays in {poison.Name}.");
                }
                if (batch.Length == 0 && undecodable.Count == 0)
                {
                    throw new OperationFailedException($"No message {messageId} in {poison.Name}.");
                }
                // Everything else in the batch is held, and released at the end, whether or not the target is in it.
                held.AddRange(batch.Where(m => !Is(m, messageId)));
                if (batch.FirstOrDefault(m => Is(m, messageId)) is { } message)
                {
                    await MoveAsync(main, poison, message, ct).ConfigureAwait(false);
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

    // The id the message carries (what poison list shows and the app logs), or the poison queue's own id.
    private static bool Is(QueueMessage message, string id) =>
        message.MessageId == id || MessageIds.Read(message.Body.ToString()) == id;

    private static async Task<int> ReplayAllAsync(CliHost host, QueueClient main, QueueClient poison, List<string> undecodable, CancellationToken ct)
    {
        // Insertion times come from the storage service's clock: a minute's allowance for skew. A replayed message
        // takes minutes of failed deliveries (growing retry delays) before it can be poisoned again.
        var cutoff = host.Clock.GetUtcNow() + TimeSpan.FromMinutes(1);
        var total = (await poison.GetPropertiesAsync(ct).ConfigureAwait(false)).Value.ApproximateMessagesCount;
        var replayed = 0;
        var skipped = new List<QueueMessage>();
        var notBase64 = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            await host.Console.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
                .StartAsync(async context =>
                {
                    var task = context.AddTask($"Replaying {poison.Name} -> {main.Name}", maxValue: Math.Max(total, 1));
                    while (total > 0)
                    {
                        undecodable.Clear();
                        QueueMessage[] batch = (await poison.ReceiveMessagesAsync(32, ScanVisibility, ct).ConfigureAwait(false)).Value;
                        // Messages that are not base64 stay where they are (hidden until the scan's visibility ends).
                        var fresh = undecodable.Count(notBase64.Add);
                        var eligible = batch.Where(m => m.InsertedOn is not { } inserted || inserted <= cutoff).ToList();
                        // Messages poisoned again since we started are left for a later replay, not looped on.
                        skipped.AddRange(batch.Except(eligible));
                        if (eligible.Count == 0 && fresh == 0)
                        {
                            break;
                        }
                        foreach (var message in eligible)
                        {
                            await MoveAsync(main, poison, message, ct).ConfigureAwait(false);
                            replayed++;
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
        var left = skipped.Count + notBase64.Count;
        host.Console.WriteLine($"Replayed {replayed} message(s) from {poison.Name} to {main.Name}{(left > 0 ? $"; {left} left in {poison.Name} (not base64, or poisoned again while this ran)" : "")}.");
        return ExitCodes.Ok;
    }

    /// <summary>Same text to the main queue first, then the delete: at worst a duplicate, never a loss.</summary>
    private static async Task MoveAsync(QueueClient main, QueueClient poison, QueueMessage message, CancellationToken ct)
    {
        // The client base64-encodes the decoded text again: the same wire text the host poisoned.
        await main.SendMessageAsync(message.Body, cancellationToken: ct).ConfigureAwait(false);
        await poison.DeleteMessageAsync(message.MessageId, message.PopReceipt, ct).ConfigureAwait(false);
    }

    private static async Task ReleaseAsync(QueueClient poison, List<QueueMessage> held)
    {
        foreach (var message in held)
        {
            try
            {
                await poison.UpdateMessageAsync(message.MessageId, message.PopReceipt, visibilityTimeout: TimeSpan.Zero, cancellationToken: CancellationToken.None).ConfigureAwait(false);
            }
            catch (Azure.RequestFailedException)
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
            return PoisonMessages.ReadBill(body) is { } bill
                ? ($"bill {bill.PointsProvider}:{bill.BillNo}, {bill.Value} {bill.Currency}, user {LogMask.UserId(bill.UserId)}, from {bill.Source}", bill.UserId)
                : ($"(not a bill message: {body.Length} characters)", null);
        }
        return PoisonMessages.ReadMember(body) is { } member
            ? ($"user {LogMask.UserId(member.UserId)}{(member.TracerId is { Length: > 0 } tracer ? $", Tracer-Id {tracer}" : "")}", member.UserId)
            : ($"(not a member message: {body.Length} characters)", null);
    }

    /// <summary>What the ledger recorded about the message's work: the card's error, or where the bill stands.</summary>
    private static async Task<string?> ReasonAsync(LoyaltyLedger ledger, string queue, string body, string userId, CancellationToken ct)
    {
        var member = await ledger.GetMemberAsync(userId, ct).ConfigureAwait(false);
        if (queue == AppStorage.BillsQueue && PoisonMessages.ReadBill(body) is { } bill)
        {
            var row = (await ledger.GetBillsAsync(userId, ct).ConfigureAwait(false))
                .FirstOrDefault(b => b.GetString("BillNo") == bill.BillNo && b.GetString("PointsProvider") == bill.PointsProvider);
            return row?.GetString(nameof(BillState)) switch
            {
                nameof(BillState.Pending) => "bill kept pending: the user is not a member yet (a replay changes nothing)",
                { } state => $"bill already {state.ToLowerInvariant()} (a replay changes nothing)",
                null => member is null ? "not applied; the user is not a member" : "not applied",
            };
        }
        return member switch
        {
            null => "not a member",
            { PassError: { Length: > 0 } error } => $"card {member.PassState}: {error}",
            _ => null,
        };
    }
}
