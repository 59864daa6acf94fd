using System.Globalization;
using AlipayHK.Simulator;
using AlipayHK.Simulator.Bills;
using AlipayHK.Simulator.Passes;
using AlipayHK.Simulator.Webhooks;
using Spectre.Console;

namespace AlipayFunctions.Demo;

/// <summary>
/// The end-to-end demo, driven from AlipayHK's side: the simulator asks for a membership, the card appears in the
/// (simulated) wallet, three payments arrive, and the balance on the card follows. Everything it shows is read back
/// from the simulator, i.e. what the user would see, not from the app's own state.
/// </summary>
internal sealed class DemoScript(SimulatorHost simulator, string templateCode, string pointsVariable)
{
    private static readonly TimeSpan StepTimeout = TimeSpan.FromSeconds(60);
    private static readonly long[] Payments = [12_50, 88_00, 45_30]; // HKD minor units

    public async Task PlayAsync(CancellationToken ct)
    {
        var userId = "2160" + Random.Shared.NextInt64(100_000_000_000, 999_999_999_999).ToString(CultureInfo.InvariantCulture);
        var summary = new Table().AddColumns("Step", "Outcome");
        string memberId = "";
        PassSnapshot? pass = null;

        await AnsiConsole.Progress().Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new SpinnerColumn()).StartAsync(async progress =>
        {
            var join = progress.AddTask("AlipayHK asks for a membership (membercard/create)", maxValue: 1);
            var delivery = await simulator.Webhooks.SendMemberCardCreateAsync(new MemberCardCreateWebhook { UserId = userId, CreateCardChannel = "ALIPAYHK" }, ct).ConfigureAwait(false);
            delivery = await delivery.WaitAsync(ct).WaitAsync(StepTimeout, ct).ConfigureAwait(false);
            Expect(delivery.State == WebhookState.Delivered, $"membercard/create was not answered with a signed SUCCESS ({delivery.State}).");
            memberId = delivery.MemberId ?? "";
            join.Increment(1);
            summary.AddRow("membercard/create", $"signed SUCCESS after {delivery.Attempts.Count} attempt(s); member id {memberId}");

            var card = progress.AddTask("The card appears in the wallet (createPass)", maxValue: 1);
            pass = await WaitForAsync(() => simulator.State.Passes.FindByBizSerialId(simulator.MerchantId, templateCode, memberId), p => p is not null, ct).ConfigureAwait(false);
            card.Increment(1);
            summary.AddRow("createPass", $"pass {pass!.PassId}, card shows {Points(pass)} points");

            var pay = progress.AddTask("Three payments arrive (bill/notify)", maxValue: Payments.Length);
            foreach (var value in Payments)
            {
                var bill = new Bill { UserId = userId, BillNo = "DEMO-" + Guid.NewGuid().ToString("N")[..12], Currency = "HKD", Value = value, PointsProvider = "ALIPAYHK" };
                var sent = await simulator.Webhooks.SendBillNotifyAsync(bill, ct).ConfigureAwait(false);
                sent = await sent.WaitAsync(ct).WaitAsync(StepTimeout, ct).ConfigureAwait(false);
                Expect(sent.State == WebhookState.Delivered, $"bill/notify {bill.BillNo} was not answered with a signed SUCCESS ({sent.State}).");
                pay.Increment(1);
                summary.AddRow("bill/notify", $"HKD {value / 100m:0.00} → signed SUCCESS ({bill.BillNo})");
            }

            var expected = Payments.Sum(v => v / 100);
            var sync = progress.AddTask($"The card shows {expected} points (updatePass)", maxValue: 1);
            pass = await WaitForAsync(() => simulator.State.Passes.Find(pass.PassId), p => Points(p) == expected.ToString(CultureInfo.InvariantCulture), ct).ConfigureAwait(false);
            sync.Increment(1);
            summary.AddRow("updatePass", $"card shows {Points(pass)} points after {pass!.UpdateCount} update(s) for {Payments.Length} payments");
        }).ConfigureAwait(false);

        AnsiConsole.Write(summary);
        AnsiConsole.MarkupLine($"[green]Demo complete:[/] user {userId[..4]}…{userId[^4..]}, member {memberId}, card {pass?.PassId} shows {Points(pass)} points.");
    }

    private string? Points(PassSnapshot? pass) => pass?.Variable("en_US", pointsVariable);

    private static async Task<T> WaitForAsync<T>(Func<T> read, Func<T, bool> done, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(StepTimeout);
        while (true)
        {
            var value = read();
            if (done(value))
            {
                return value;
            }
            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(100), timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                throw new DemoFailedException($"Gave up after {StepTimeout.TotalSeconds:0} s waiting; last seen: {value}.");
            }
        }
    }

    private static void Expect(bool condition, string problem)
    {
        if (!condition)
        {
            throw new DemoFailedException(problem);
        }
    }
}

/// <summary>The demo did not reach the state it expected.</summary>
internal sealed class DemoFailedException(string message) : Exception(message);
