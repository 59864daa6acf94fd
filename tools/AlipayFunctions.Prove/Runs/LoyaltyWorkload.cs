using System.Diagnostics;
using System.Globalization;
using AlipayFunctions.Prove.Infrastructure;
using Azure.Data.Tables;
using AlipayHK.Simulator.Bills;
using AlipayHK.Simulator.Webhooks;
using Spectre.Console;

namespace AlipayFunctions.Prove.Runs;

/// <summary>
/// The end-to-end workload, driven from AlipayHK's side through the simulator: members join (membercard/create),
/// then pay in bursts (bill/notify, several payments per member at once), each webhook signed and retried by the
/// simulator as AlipayHK would. Afterwards it waits until every card shows its final balance and checks the
/// invariants from both sides: the simulator's cards and the app's table.
/// </summary>
internal sealed class LoyaltyWorkload(ProveStack stack, int members, int paymentsPerMember, int webhooksPerSecond)
{
    private readonly Dictionary<string, long> _expected = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _memberIds = new(StringComparer.Ordinal);

    public int Payments => members * paymentsPerMember;

    public TimeSpan EnrolTime { get; private set; }

    public TimeSpan PaymentsSentTime { get; private set; }

    /// <summary>From the first payment sent to every card showing its final balance.</summary>
    public TimeSpan ConvergenceTime { get; private set; }

    /// <summary>Whether every card showed its final balance within the timeout.</summary>
    public bool Converged { get; private set; } = true;

    /// <summary>Webhook attempts the simulator made beyond the first (the app was down, or answered no S).</summary>
    public int WebhookRetries { get; private set; }

    public async Task RunAsync(TimeSpan convergeTimeout, CancellationToken ct, bool allowFlagged = false)
    {
        var run = Guid.NewGuid().ToString("N")[..6];
        var users = Enumerable.Range(0, members).Select(i => "2160" + (200_000_000_000L + i).ToString(CultureInfo.InvariantCulture)).ToList();
        var deliveries = new List<WebhookDelivery>();

        var clock = Stopwatch.StartNew();
        using (var gate = new SemaphoreSlim(64))
        {
            var joins = users.Select(async user =>
            {
                await gate.WaitAsync(ct).ConfigureAwait(false);
                try
                {
                    var sent = await stack.Simulator.Webhooks.SendMemberCardCreateAsync(new MemberCardCreateWebhook { UserId = user }, ct).ConfigureAwait(false);
                    var done = await sent.WaitAsync(ct).ConfigureAwait(false);
                    lock (_memberIds)
                    {
                        deliveries.Add(done);
                        if (done.MemberId is { } id)
                        {
                            _memberIds[user] = id;
                        }
                    }
                }
                finally
                {
                    gate.Release();
                }
            });
            await Task.WhenAll(joins).ConfigureAwait(false);
        }
        EnrolTime = clock.Elapsed;
        if (_memberIds.Count != members)
        {
            throw new ProveFailedException($"{members - _memberIds.Count} membercard/create webhooks were not answered with a member id.");
        }

        // Payments: each member's burst leaves at once; bursts are paced so the total is webhooksPerSecond.
        clock.Restart();
        var random = new Random(7);
        var burstInterval = TimeSpan.FromSeconds((double)paymentsPerMember / webhooksPerSecond);
        var pending = new List<Task<WebhookDelivery>>(Payments);
        for (var m = 0; m < members; m++)
        {
            var due = burstInterval * m;
            if (due - clock.Elapsed is { TotalMilliseconds: > 1 } wait)
            {
                await Task.Delay(wait, ct).ConfigureAwait(false);
            }
            var user = users[m];
            for (var p = 0; p < paymentsPerMember; p++)
            {
                var value = random.Next(1_00, 2_000_00);
                _expected[user] = _expected.GetValueOrDefault(user) + value / 100;
                var bill = new Bill { UserId = user, BillNo = $"E2E-{run}-{m:D5}-{p:D3}", Currency = "HKD", Value = value, PointsProvider = "ALIPAYHK" };
                var sent = await stack.Simulator.Webhooks.SendBillNotifyAsync(bill, ct).ConfigureAwait(false);
                pending.Add(sent.WaitAsync(ct));
            }
        }
        var paid = await Task.WhenAll(pending).ConfigureAwait(false);
        PaymentsSentTime = clock.Elapsed;
        deliveries.AddRange(paid);
        var undelivered = deliveries.Count(d => d.State != WebhookState.Delivered);
        WebhookRetries = deliveries.Sum(d => Math.Max(0, d.Attempts.Count - 1));
        if (undelivered > 0)
        {
            throw new ProveFailedException($"{undelivered} webhooks were never answered with a signed SUCCESS.");
        }

        _paymentsStarted = clock;
        await WaitForCardsAsync(convergeTimeout, ct, allowFlagged).ConfigureAwait(false);
    }

    private Stopwatch _paymentsStarted = new();

    /// <summary>Waits until every card shows its expected balance (members flagged for an operator aside, when allowed).</summary>
    public async Task WaitForCardsAsync(TimeSpan convergeTimeout, CancellationToken ct, bool allowFlagged = true)
    {
        var clock = _paymentsStarted;
        var waitStart = clock.Elapsed;
        Converged = true;
        await AnsiConsole.Status().StartAsync("Waiting for every card to show its final balance...", async _ =>
        {
            while (true)
            {
                var behind = CardsBehind();
                if (behind == 0 || (allowFlagged && behind <= await FlaggedCountAsync(ct).ConfigureAwait(false)))
                {
                    break;
                }
                if (clock.Elapsed > waitStart + convergeTimeout)
                {
                    Converged = false; // VerifyAsync says which cards and why
                    return;
                }
                await Task.Delay(100, ct).ConfigureAwait(false);
            }
        }).ConfigureAwait(false);
        ConvergenceTime = clock.Elapsed;
    }

    private async Task<int> FlaggedCountAsync(CancellationToken ct)
    {
        var count = 0;
        foreach (var user in _expected.Keys)
        {
            var row = await stack.MemberRowAsync(user, ct).ConfigureAwait(false);
            count += row?.GetString("PassState") == "ExistsWithoutId" ? 1 : 0;
        }
        return count;
    }

    /// <summary>Cards (in the simulator) not showing the expected balance.</summary>
    private int CardsBehind(HashSet<string>? flagged = null)
    {
        var shown = stack.Simulator.State.Passes.List().ToDictionary(p => p.BizSerialId, p => p.Variable("en_US", ProveStack.PointsVariable), StringComparer.Ordinal);
        return _memberIds.Count(m => flagged?.Contains(m.Value) != true && (!shown.TryGetValue(m.Value, out var points) || points != Expected(m.Key).ToString(CultureInfo.InvariantCulture)));
    }

    private long Expected(string user) => _expected.GetValueOrDefault(user);

    /// <summary>updatePass calls the simulator received (including faulted ones) and succeeded.</summary>
    public (int Calls, int Succeeded) UpdatePassCalls()
    {
        var calls = stack.Simulator.State.Calls.For("updatePass");
        return (calls.Count, stack.Simulator.State.Passes.List().Sum(p => p.UpdateCount));
    }

    /// <summary>
    /// Every invariant from both sides: one card per member showing the expected balance; in the app's table every
    /// balance equal to the sum of its bills, every bill recorded once and applied; no poison messages.
    /// </summary>
    /// <param name="report">Where the checks go.</param>
    /// <param name="crashes">
    /// The app was SIGKILLed: a kill between AlipayHK creating a card and the app storing its pass id leaves the
    /// member flagged <c>ExistsWithoutId</c> for an operator (no AlipayHK API returns a lost pass id, protocol §5);
    /// such members are counted and shown, and their cards are not expected to converge.
    /// </param>
    /// <param name="ct">Stops the reads.</param>
    public async Task VerifyAsync(Report report, bool crashes, CancellationToken ct)
    {
        var flagged = new HashSet<string>(StringComparer.Ordinal);
        foreach (var user in _expected.Keys)
        {
            var row = await stack.MemberRowAsync(user, ct).ConfigureAwait(false);
            if (row?.GetString("PassState") == "ExistsWithoutId" && row.GetString("MemberId") is { } id)
            {
                flagged.Add(id);
            }
        }
        report.Check("members flagged ExistsWithoutId (card made, pass id lost in a crash: for an operator)", flagged.Count.ToString(CultureInfo.InvariantCulture),
            crashes ? "counted (only a crash in that window can cause it)" : "none", crashes || flagged.Count == 0);
        var passes = stack.Simulator.State.Passes.List();
        var perMember = passes.GroupBy(p => p.BizSerialId, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        var cardsOk = _memberIds.Values.All(id => perMember.GetValueOrDefault(id) == 1) && passes.Count == members;
        var behind = CardsBehind(flagged);
        report.Check("every card shows its final balance", Converged ? $"yes, {ConvergenceTime.TotalSeconds:0.0} s after the first payment" : $"no: {behind} behind when the wait ended",
            "converges (flagged members aside)", Converged || behind == 0);
        report.Check("cards in the simulator", $"{passes.Count} for {members} members; {members - behind - flagged.Count} show the expected balance",
            "exactly one card per member, each showing the sum of its payments", cardsOk && behind == 0);

        var wrongBalance = 0;
        var wrongBills = 0;
        var notActive = 0;
        foreach (var (user, expected) in _expected)
        {
            var member = await stack.MemberRowAsync(user, ct).ConfigureAwait(false);
            var points = member?.GetInt64("Points");
            var state = member?.GetString("PassState");
            if (points != expected)
            {
                wrongBalance++;
            }
            if (state != "Active")
            {
                notActive++;
            }
            var card = passes.FirstOrDefault(p => p.BizSerialId == _memberIds.GetValueOrDefault(user))?.Variable("en_US", ProveStack.PointsVariable);
            if (points != expected || state != "Active" || card != expected.ToString(CultureInfo.InvariantCulture))
            {
                AnsiConsole.MarkupLine(Markup.Escape(
                    $"member {member?.GetString("MemberId")}: expected {expected}, table {points} (version {member?.GetInt64("BalanceVersion")}, synced {member?.GetInt64("SyncedVersion")}), " +
                    $"card {card ?? "none"}, pass state {state}, pass id {member?.GetString("PassId") ?? "none"}, error {member?.GetString("PassError")}"));
            }
            var bills = 0;
            var applied = 0;
            await foreach (var bill in stack.Table.QueryAsync<TableEntity>($"PartitionKey eq '{user}' and RowKey ge 'bill|' and RowKey lt 'bill}}'", cancellationToken: ct).ConfigureAwait(false))
            {
                bills++;
                applied += bill.GetString("BillState") == "Applied" ? 1 : 0;
            }
            if (bills != paymentsPerMember || applied != bills)
            {
                wrongBills++;
            }
        }
        report.Check("balances in the app's table", $"{members - wrongBalance}/{members} equal the sum of their payments", "all, exactly (nothing lost, nothing applied twice)", wrongBalance == 0);
        report.Check("bill rows in the app's table", $"{members - wrongBills}/{members} members have exactly {paymentsPerMember} bills, all Applied", "all", wrongBills == 0);
        report.Check("member pass state", $"{members - notActive}/{members} Active", "all Active (flagged members aside)", notActive == flagged.Count);

        var poisoned = 0;
        foreach (var queue in new[] { "bills-poison", "pass-create-poison", "pass-sync-poison" })
        {
            var client = stack.Queues.GetQueueClient(queue);
            // A queue the host never created holds nothing.
            if ((await client.ExistsAsync(ct).ConfigureAwait(false)).Value)
            {
                poisoned += (await client.GetPropertiesAsync(ct).ConfigureAwait(false)).Value.ApproximateMessagesCount;
            }
        }
        report.Check("poison queues", $"{poisoned} messages", "empty", poisoned == 0);

        // Messages still in the work queues, visible or leased: a delivery whose release failed (storage down) stays
        // invisible for the host's 10-minute processing lease before it is delivered again.
        var left = 0;
        foreach (var queue in new[] { "bills", "pass-create", "pass-sync" })
        {
            var client = stack.Queues.GetQueueClient(queue);
            if ((await client.ExistsAsync(ct).ConfigureAwait(false)).Value)
            {
                left += (await client.GetPropertiesAsync(ct).ConfigureAwait(false)).Value.ApproximateMessagesCount;
            }
        }
        report.Figure("messages left in bills, pass-create, pass-sync (visible or leased)", left.ToString(CultureInfo.InvariantCulture));
    }
}

/// <summary>A run could not reach the state it expected.</summary>
internal sealed class ProveFailedException(string message) : Exception(message);
