using AlipayFunctions.Storage;
using AlipayFunctions.Loyalty;
using AlipayFunctions.Testing;
using AlipayFunctions.Tests.Infrastructure;

namespace AlipayFunctions.Tests;

/// <summary>Several standalone instances on one storage account share the work without applying anything twice.</summary>
[Collection(AzuriteFixture.CollectionName)]
public sealed class ScaleOutTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task Two_instances_apply_a_hundred_bills_once_each_even_when_both_receive_them()
    {
        await using var first = await TestApp.StartAsync(azurite);
        await using var second = await TestApp.StartAsync(azurite, new TestAppOptions { Simulator = first.Sim, ClearQueues = false });
        var users = Enumerable.Range(0, 5).Select(_ => TestApp.NewUserId()).ToArray();
        var memberIds = new string[users.Length];
        for (var i = 0; i < users.Length; i++)
        {
            memberIds[i] = await (i % 2 == 0 ? first : second).CreateMemberAsync(users[i]);
        }

        // 100 bills, 20 per user, alternating between the instances; every fourth is also sent to the other one.
        var sends = new List<Task<WebhookAnswer>>();
        for (var n = 0; n < 100; n++)
        {
            var user = users[n % users.Length];
            var billNo = $"SO{n}-{user}";
            sends.Add((n % 2 == 0 ? first : second).NotifyBillAsync(user, billNo, 1000 + 37 * n));
            if (n % 4 == 0)
            {
                sends.Add((n % 2 == 0 ? second : first).NotifyBillAsync(user, billNo, 1000 + 37 * n));
            }
        }
        Assert.All(await Task.WhenAll(sends), a => a.AssertSignedSuccess());

        for (var i = 0; i < users.Length; i++)
        {
            var expected = Enumerable.Range(0, 100).Where(n => n % users.Length == i).Sum(n => (1000L + 37 * n) / 100);
            await first.WaitForCardAsync(memberIds[i], expected, users[i]);
            var bills = await first.BillRowsAsync(users[i]);
            Assert.Equal(20, bills.Count);
            Assert.All(bills, b => Assert.Equal(nameof(BillState.Applied), b.GetString(nameof(BillState))));
        }
        Assert.Equal(users.Length, first.Sim.State.Passes.List().Count(p => users.Contains(p.UserId)));
        Assert.Equal(0, await first.VisibleMessagesAsync(AppStorage.PoisonQueue(AppStorage.BillsQueue)));
    }
}
