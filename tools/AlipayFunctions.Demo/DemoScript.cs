using System.Globalization;
using AlipayHK.Simulator;
using AlipayHK.Simulator.Bills;
using AlipayHK.Simulator.Passes;
using AlipayHK.Simulator.Webhooks;

namespace AlipayFunctions.Demo;

/// <summary>
/// The end-to-end demo, driven from AlipayHK's side: the simulator asks for a membership, the card appears in the
/// (simulated) wallet, three payments arrive, and the balance on the card follows. Everything it shows is read back
/// from the simulator, i.e. what the user would see, not from the app's own state.
/// </summary>
internal sealed class DemoScript(SimulatorHost simulator, DemoConsole console, string templateCode, string pointsVariable)
{
    private static readonly TimeSpan StepTimeout = TimeSpan.FromSeconds(60);
    private static readonly long[] Payments = [12_50, 88_00, 45_30]; // HKD minor units

    /// <summary>Plays the demo for <paramref name="userId"/>; returns the member id and the card's pass id.</summary>
    public async Task<(string MemberId, string PassId)> PlayAsync(string userId, CancellationToken ct)
    {
        const int Steps = 4;
        var delivery = await simulator.Webhooks.SendMemberCardCreateAsync(new MemberCardCreateWebhook { UserId = userId, CreateCardChannel = "ALIPAYHK" }, ct).ConfigureAwait(false);
        delivery = await delivery.WaitAsync(ct).WaitAsync(StepTimeout, ct).ConfigureAwait(false);
        Expect(delivery.State == WebhookState.Delivered, $"membercard/create was not answered with a signed SUCCESS ({delivery.State}).");
        var memberId = delivery.MemberId ?? "";
        console.Step(1, Steps, "AlipayHK asks for a membership (membercard/create)", $"signed SUCCESS after {delivery.Attempts.Count} attempt(s); member id {memberId}");

        var pass = await WaitForAsync(() => simulator.State.Passes.FindByBizSerialId(simulator.MerchantId, templateCode, memberId), p => p is not null, ct).ConfigureAwait(false);
        console.Step(2, Steps, "The card appears in the wallet (createPass)", $"pass {pass!.PassId}, the card shows {Points(pass)} points");

        var bills = new List<string>();
        foreach (var value in Payments)
        {
            var bill = new Bill { UserId = userId, BillNo = "DEMO-" + Guid.NewGuid().ToString("N")[..12], Currency = "HKD", Value = value, PointsProvider = "ALIPAYHK" };
            var sent = await simulator.Webhooks.SendBillNotifyAsync(bill, ct).ConfigureAwait(false);
            sent = await sent.WaitAsync(ct).WaitAsync(StepTimeout, ct).ConfigureAwait(false);
            Expect(sent.State == WebhookState.Delivered, $"bill/notify {bill.BillNo} was not answered with a signed SUCCESS ({sent.State}).");
            bills.Add(string.Create(CultureInfo.InvariantCulture, $"HKD {value / 100m:0.00} ({bill.BillNo})"));
        }
        console.Step(3, Steps, $"{Payments.Length} payments arrive (bill/notify)", "each answered with a signed SUCCESS: " + string.Join(", ", bills));

        var expected = Payments.Sum(v => v / 100);
        pass = await WaitForAsync(() => simulator.State.Passes.Find(pass.PassId), p => Points(p) == expected.ToString(CultureInfo.InvariantCulture), ct).ConfigureAwait(false);
        console.Step(4, Steps, $"The card shows {expected} points (updatePass)", $"after {pass!.UpdateCount} update(s) for {Payments.Length} payments");

        console.Success($"Demo complete: user {userId}, member {memberId}, card {pass.PassId} shows {Points(pass)} points.");
        return (memberId, pass.PassId);
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
