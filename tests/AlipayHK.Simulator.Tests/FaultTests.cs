using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using AlipayHK.OpenApi.Signing;
using AlipayHK.Simulator.Faults;
using AlipayHK.Simulator.Protocol;
using AlipayHK.Simulator.Tests.Infrastructure;

namespace AlipayHK.Simulator.Tests;

public sealed class FaultTests
{
    [Fact]
    public async Task UnknownException_answers_a_signed_U_and_processes_nothing()
    {
        await using var sim = await TestSimulator.StartAsync();
        using var merchant = new MerchantCaller(sim);
        sim.Faults.Add(new FaultRule { Path = "createPass", Kind = FaultKind.UnknownException, Mode = FaultMode.NextN, Count = 1 });

        var faulted = await merchant.PostAsync(ApiPaths.CreatePass, Requests.CreatePass());

        faulted.AssertFailure("UNKNOWN_EXCEPTION", "U");
        Assert.Equal(0, sim.State.Passes.Count);
        // NextN(1): the retry goes through.
        (await merchant.PostAsync(ApiPaths.CreatePass, Requests.CreatePass())).AssertVerifiedSuccess();
        Assert.Equal(1, sim.Faults.List().Single().Hits);
    }

    [Fact]
    public async Task UnknownException_after_processing_leaves_the_pass_created_so_the_retry_sees_PASS_HAS_EXIST()
    {
        await using var sim = await TestSimulator.StartAsync();
        using var merchant = new MerchantCaller(sim);
        sim.Faults.Add(new FaultRule { Path = ApiPaths.CreatePass, Kind = FaultKind.UnknownException, Mode = FaultMode.NextN, ProcessFirst = true });

        (await merchant.PostAsync(ApiPaths.CreatePass, Requests.CreatePass())).AssertFailure("UNKNOWN_EXCEPTION", "U");
        Assert.Equal(1, sim.State.Passes.Count);

        (await merchant.PostAsync(ApiPaths.CreatePass, Requests.CreatePass())).AssertFailure("PASS_HAS_EXIST");
    }

    [Theory]
    [InlineData("F")]
    [InlineData("U")]
    public async Task SystemError_answers_SYSTEM_ERROR_with_the_configured_status(string status)
    {
        await using var sim = await TestSimulator.StartAsync(o => o.Faults.Add(new FaultRule { Kind = FaultKind.SystemError, ResultStatus = status }));
        using var merchant = new MerchantCaller(sim);

        (await merchant.PostAsync(ApiPaths.CreatePass, Requests.CreatePass())).AssertFailure("SYSTEM_ERROR", status);
        Assert.Equal(0, sim.State.Passes.Count);
    }

    [Theory]
    [InlineData(FaultKind.Http500, HttpStatusCode.InternalServerError)]
    [InlineData(FaultKind.Http503, HttpStatusCode.ServiceUnavailable)]
    public async Task Gateway_errors_are_unsigned_HTTP_errors_and_process_nothing(FaultKind kind, HttpStatusCode expected)
    {
        await using var sim = await TestSimulator.StartAsync(o => o.Faults.Add(new FaultRule { Path = "*", Kind = kind }));
        using var merchant = new MerchantCaller(sim);

        var call = await merchant.PostAsync(ApiPaths.CreatePass, Requests.CreatePass());

        Assert.Equal(expected, call.Status);
        Assert.Null(call.Body);
        Assert.Equal(SignatureRejection.MissingSignature, call.Verification);
        Assert.Equal(0, sim.State.Passes.Count);
    }

    [Fact]
    public async Task Http429_carries_Retry_After_and_a_U_traffic_limit_result()
    {
        await using var sim = await TestSimulator.StartAsync();
        using var merchant = new MerchantCaller(sim);
        sim.Faults.Add(new FaultRule { Path = "updatePass", Kind = FaultKind.Http429, RetryAfter = TimeSpan.FromSeconds(7) });

        var limited = await merchant.PostAsync(ApiPaths.UpdatePass, Requests.UpdatePoints("1", 1));
        var otherApi = await merchant.PostAsync(ApiPaths.CreatePass, Requests.CreatePass());

        Assert.Equal(HttpStatusCode.TooManyRequests, limited.Status);
        Assert.Equal(TimeSpan.FromSeconds(7), limited.RetryAfter);
        Assert.Equal("REQUEST_TRAFFIC_EXCEED_LIMIT", limited.ResultCode);
        Assert.Equal("U", limited.ResultStatus);
        otherApi.AssertVerifiedSuccess();   // the rule names one API only
    }

    [Fact]
    public async Task Delay_longer_than_the_clients_timeout_times_out_and_the_request_is_not_processed()
    {
        await using var sim = await TestSimulator.StartAsync();
        using var impatient = new MerchantCaller(sim, timeout: TimeSpan.FromSeconds(2));
        // A first call opens the connection, so the timeout measures only the delayed call.
        (await impatient.PostAsync(ApiPaths.TemplateDetail, new JsonObject { ["templateCode"] = "TPL-MEMBER", ["merchantId"] = sim.MerchantId })).AssertVerifiedSuccess();
        sim.Faults.Add(new FaultRule { Path = "createPass", Kind = FaultKind.Delay, Delay = TimeSpan.FromSeconds(20), Mode = FaultMode.NextN });

        await Assert.ThrowsAnyAsync<TaskCanceledException>(() => impatient.PostAsync(ApiPaths.CreatePass, Requests.CreatePass()));

        var call = await WaitForCallAsync(sim, 2);
        Assert.Equal("Delay", call.Fault);
        Assert.Equal(0, call.HttpStatus);
        Assert.False(call.Processed);
        Assert.Equal(0, sim.State.Passes.Count);
    }

    [Fact]
    public async Task Delay_shorter_than_the_clients_timeout_answers_normally()
    {
        await using var sim = await TestSimulator.StartAsync();
        using var merchant = new MerchantCaller(sim);
        sim.Faults.Add(new FaultRule { Kind = FaultKind.Delay, Delay = TimeSpan.FromMilliseconds(50) });

        (await merchant.PostAsync(ApiPaths.CreatePass, Requests.CreatePass())).AssertVerifiedSuccess();
        Assert.Equal("Delay", sim.State.Calls.List().Single().Fault);
    }

    [Fact]
    public async Task DropAnswerAfterProcessing_loses_the_answer_but_keeps_the_pass()
    {
        await using var sim = await TestSimulator.StartAsync();
        using var merchant = new MerchantCaller(sim);
        sim.Faults.Add(new FaultRule { Path = "createPass", Kind = FaultKind.DropAnswerAfterProcessing, Mode = FaultMode.NextN });

        await Assert.ThrowsAsync<HttpRequestException>(() => merchant.PostAsync(ApiPaths.CreatePass, Requests.CreatePass()));

        Assert.Equal(1, sim.State.Passes.Count);
        var call = await WaitForCallAsync(sim, 1);
        Assert.True(call.Processed);
        (await merchant.PostAsync(ApiPaths.CreatePass, Requests.CreatePass())).AssertFailure("PASS_HAS_EXIST");
    }

    [Theory]
    [InlineData(FaultKind.UnsignedAnswer, SignatureRejection.MissingSignature)]
    [InlineData(FaultKind.BrokenSignature, SignatureRejection.InvalidSignature)]
    public async Task Unsigned_and_badly_signed_successes_are_processed_but_do_not_verify(FaultKind kind, SignatureRejection expected)
    {
        await using var sim = await TestSimulator.StartAsync(o => o.Faults.Add(new FaultRule { Kind = kind, Mode = FaultMode.NextN }));
        using var merchant = new MerchantCaller(sim);

        var call = await merchant.PostAsync(ApiPaths.CreatePass, Requests.CreatePass());

        Assert.Equal("S", call.ResultStatus);
        Assert.Equal(expected, call.Verification);
        Assert.Equal(1, sim.State.Passes.Count);
    }

    [Fact]
    public async Task Probability_faults_follow_the_seed()
    {
        static async Task<string> RunAsync()
        {
            await using var sim = await TestSimulator.StartAsync(o =>
                o.Faults.Add(new FaultRule { Path = "templateDetail", Kind = FaultKind.Http503, Mode = FaultMode.Probability, Probability = 0.5, Seed = 42 }));
            using var merchant = new MerchantCaller(sim);
            var outcomes = new List<char>();
            for (var i = 0; i < 24; i++)
            {
                var call = await merchant.PostAsync(ApiPaths.TemplateDetail, new JsonObject { ["templateCode"] = "TPL-MEMBER", ["merchantId"] = sim.MerchantId });
                outcomes.Add(call.Status == HttpStatusCode.OK ? 'S' : 'x');
            }
            return new string([.. outcomes]);
        }

        var first = await RunAsync();
        var second = await RunAsync();

        Assert.Equal(first, second);
        Assert.Contains("S", first, StringComparison.Ordinal);
        Assert.Contains("x", first, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Faults_are_managed_over_the_admin_API()
    {
        await using var sim = await TestSimulator.StartAsync();
        using var merchant = new MerchantCaller(sim);

        using var added = await merchant.Http.PostAsJsonAsync("admin/faults", new { path = "createPass", kind = "Http503", mode = "NextN", count = 2 });
        added.EnsureSuccessStatusCode();
        var id = JsonNode.Parse(await added.Content.ReadAsStringAsync())!["id"]!.GetValue<string>();
        using var invalid = await merchant.Http.PostAsJsonAsync("admin/faults", new { kind = "Http503", mode = "Probability", probability = 2.0 });
        Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await merchant.PostAsync(ApiPaths.CreatePass, Requests.CreatePass())).Status);
        var listed = JsonNode.Parse(await merchant.Http.GetStringAsync("admin/faults"))!.AsArray();
        Assert.Equal(1, listed.Single()!["hits"]!.GetValue<int>());

        using var deleted = await merchant.Http.DeleteAsync($"admin/faults/{id}");
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        (await merchant.PostAsync(ApiPaths.CreatePass, Requests.CreatePass())).AssertVerifiedSuccess();

        sim.Faults.Add(new FaultRule { Kind = FaultKind.Http500 });
        using var cleared = await merchant.Http.DeleteAsync("admin/faults");
        Assert.Empty(sim.Faults.List());
    }

    private static async Task<Inspection.CallRecord> WaitForCallAsync(SimulatorHost sim, int count)
    {
        // The server records the call when it notices the client left; poll briefly for it.
        for (var i = 0; i < 200; i++)
        {
            var calls = sim.State.Calls.List();
            if (calls.Count >= count)
            {
                return calls[count - 1];
            }
            await Task.Delay(25);
        }
        throw new TimeoutException("The simulator did not record the call.");
    }
}
