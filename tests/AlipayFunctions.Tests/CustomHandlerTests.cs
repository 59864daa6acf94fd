using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using AlipayFunctions.Hosting;
using AlipayFunctions.Testing;
using AlipayFunctions.Tests.Infrastructure;
using AlipayHK.Simulator.Faults;

namespace AlipayFunctions.Tests;

/// <summary>
/// The app as the Functions host runs it (<c>FUNCTIONS_CUSTOMHANDLER_PORT</c> set, no queue listeners): the host's
/// documented HTTP contract, played by the test.
/// </summary>
[Collection(AzuriteFixture.CollectionName)]
public sealed class CustomHandlerTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task The_handler_answers_the_hosts_calls_and_leaves_queue_work_to_the_host()
    {
        await using var app = await TestApp.StartAsync(azurite, new TestAppOptions { CustomHandler = true });
        Assert.StartsWith("http://127.0.0.1:", app.BaseUrl.ToString(), StringComparison.Ordinal);

        // The host waits for any answer on GET / before it sends work.
        using (var ready = await app.Http.GetAsync("/"))
        {
            Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        }

        // A forwarded webhook: the original path, body and headers; the message goes on the queue for the host.
        var user = TestApp.NewUserId();
        var memberId = await app.CreateMemberAsync(user);
        (await app.NotifyBillAsync(user, "HOST1-" + user, 2500)).AssertSignedSuccess();
        var queued = Assert.Single(await app.Queues.GetQueueClient(AppStorage.BillsQueue).PeekMessagesAsync(32));
        // The host's messageEncoding is base64: the raw message text must be base64 of the JSON.
        var json = Encoding.UTF8.GetString(Convert.FromBase64String(queued.MessageText));
        Assert.Equal(json, queued.Body);
        Assert.Equal("HOST1-" + user, JsonNode.Parse(json)!["billNo"]!.GetValue<string>());
        Assert.Equal(0, (await app.MemberAsync(user))!.Points);

        // The host delivers it to POST /ApplyBill, the message string JSON-encoded a second time.
        using (var response = await InvokeAsync(app, "ApplyBill", JsonSerializer.Serialize(json)))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.NotNull(JsonNode.Parse(await response.Content.ReadAsStringAsync())!["Outputs"]);
        }
        Assert.Equal(25, (await app.MemberAsync(user))!.Points);

        // Single encoding is tolerated too.
        using (var response = await InvokeAsync(app, "ApplyBill", MessageJson(user, "HOST2-" + user, 1000)))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
        Assert.Equal(35, (await app.MemberAsync(user))!.Points);

        // A redelivery of the first is acknowledged and changes nothing.
        using (var response = await InvokeAsync(app, "ApplyBill", JsonSerializer.Serialize(json), dequeueCount: 2))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
        Assert.Equal(35, (await app.MemberAsync(user))!.Points);
        Assert.Equal(2, (await app.BillRowsAsync(user)).Count);

        // A failing invocation answers non-2xx so that the host retries: createPass answers U.
        var createMessage = Assert.Single(await app.Queues.GetQueueClient(AppStorage.PassCreateQueue).PeekMessagesAsync(32));
        var fault = app.Sim.Faults.Add(new FaultRule { Path = "createPass", Kind = FaultKind.UnknownException });
        using (var response = await InvokeAsync(app, "CreatePass", JsonSerializer.Serialize(createMessage.Body)))
        {
            Assert.False(response.IsSuccessStatusCode, $"HTTP {(int)response.StatusCode}");
        }
        Assert.Null(app.Card(memberId));
        app.Sim.Faults.Remove(fault.Id!);
        using (var response = await InvokeAsync(app, "CreatePass", JsonSerializer.Serialize(createMessage.Body), dequeueCount: 2))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
        Assert.Equal(35, TestApp.CardPoints(app.Card(memberId)));

        // Nothing ran behind the host's back: no listener took the queued messages.
        Assert.Single(await app.Queues.GetQueueClient(AppStorage.BillsQueue).PeekMessagesAsync(32));
    }

    [Theory]
    [InlineData("not json at all")]
    [InlineData("{\"billNo\":\"no user\"}")]
    public async Task A_malformed_message_is_copied_to_the_poison_queue_and_acknowledged(string message)
    {
        await using var app = await TestApp.StartAsync(azurite, new TestAppOptions { CustomHandler = true });

        using var response = await InvokeAsync(app, "ApplyBill", JsonSerializer.Serialize(message));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var poisoned = Assert.Single(await app.Queues.GetQueueClient(AppStorage.PoisonQueue(AppStorage.BillsQueue)).PeekMessagesAsync(32));
        Assert.Equal(message, poisoned.Body);
    }

    [Fact]
    public async Task An_unreadable_invocation_is_refused()
    {
        await using var app = await TestApp.StartAsync(azurite, new TestAppOptions { CustomHandler = true });
        using var content = new StringContent("{\"Data\":{}}", Encoding.UTF8, "application/json");
        using var response = await app.Http.PostAsync("/ApplyBill", content);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    private static string MessageJson(string user, string billNo, long value) => new JsonObject
    {
        ["userId"] = user,
        ["billNo"] = billNo,
        ["pointsProvider"] = "ALIPAYHK",
        ["currency"] = "HKD",
        ["value"] = value,
        ["source"] = "bill/notify",
    }.ToJsonString();

    /// <summary>A queue-trigger invocation as the Functions host sends it.</summary>
    private static async Task<HttpResponseMessage> InvokeAsync(TestApp app, string function, string messageValue, int dequeueCount = 1)
    {
        var payload = new JsonObject
        {
            ["Data"] = new JsonObject { [CustomHandlerEndpoints.MessageBinding] = messageValue },
            ["Metadata"] = new JsonObject
            {
                ["DequeueCount"] = dequeueCount,
                ["Id"] = "3f0b7c52-0d7c-4c3e-9f8e-5d1b6f0f2a11",
                ["InsertionTime"] = "2026-11-22T02:15:30+00:00",
                ["sys"] = new JsonObject { ["MethodName"] = function },
            },
        };
        using var content = new StringContent(payload.ToJsonString(), Encoding.UTF8, "application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/" + function) { Content = content };
        request.Headers.Add("X-Azure-Functions-InvocationId", Guid.NewGuid().ToString());
        return await app.Http.SendAsync(request);
    }
}
