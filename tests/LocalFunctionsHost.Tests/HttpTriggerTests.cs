using AlipayFunctions.Testing;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace LocalFunctionsHost.Tests;

[Collection(SharedHostTests.Name)]
public sealed class HttpTriggerTests(SharedHostFixture fixture)
{
    private SampleHost Sample => fixture.Sample;

    [Fact]
    public async Task Route_value_and_query_reach_the_worker_and_its_json_answer_comes_back()
    {
        using var response = await Sample.Http.GetAsync(new Uri("api/items/42?q=hello", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var answer = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("42", answer.GetProperty("id").GetString());
        Assert.Equal("hello", answer.GetProperty("query").GetString());
        // Answered by the out-of-process worker, not by the host.
        Assert.Equal(Sample.Host.WorkerProcessId, answer.GetProperty("pid").GetInt32());
        Assert.NotEqual(Environment.ProcessId, answer.GetProperty("pid").GetInt32());
        await Sample.EventuallyAsync(() => Task.FromResult<string?>(Sample.Lines.FirstOrDefault(l => l.StartsWith("Executed 'Functions.GetItem' (Succeeded, Id=", StringComparison.Ordinal))), TimeSpan.FromSeconds(5), "the Executed line");
    }

    [Theory]
    [InlineData(300)]
    [InlineData(-300)]
    public async Task Request_and_invocation_may_reach_the_worker_in_either_order(int skewMilliseconds)
    {
        // Positive: the forwarded request arrives first; negative: the InvocationRequest does.
        Sample.Options.HttpOrderSkew = TimeSpan.FromMilliseconds(skewMilliseconds);
        try
        {
            using var response = await Sample.Http.GetAsync(new Uri($"api/items/order{skewMilliseconds}", UriKind.Relative));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal($"order{skewMilliseconds}", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString());
        }
        finally
        {
            Sample.Options.HttpOrderSkew = TimeSpan.Zero;
        }
    }

    [Fact]
    public async Task No_route_is_404_and_a_method_the_binding_lacks_is_405()
    {
        using var missing = await Sample.Http.GetAsync(new Uri("api/nothing/here", UriKind.Relative));
        using var noPrefix = await Sample.Http.GetAsync(new Uri("items/1", UriKind.Relative));
        using var wrongMethod = await Sample.Http.DeleteAsync(new Uri("api/items/1", UriKind.Relative));
        using var constraint = await Sample.Http.GetAsync(new Uri("api/slow/notanumber", UriKind.Relative));

        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, noPrefix.StatusCode);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, wrongMethod.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, constraint.StatusCode);
    }

    [Fact]
    public async Task A_function_that_throws_is_a_500_with_the_invocation_id()
    {
        using var response = await Sample.Http.GetAsync(new Uri("api/Throw", UriKind.Relative));

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        var id = Assert.Single(response.Headers.GetValues("x-ms-invocation-id"));
        Assert.Contains(id, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var completed = await Sample.EventuallyAsync(() => Task.FromResult(Sample.Completed.FirstOrDefault(c => c.InvocationId == id)), TimeSpan.FromSeconds(5), "the completion event");
        Assert.Equal("Throw", completed.FunctionName);
        Assert.False(completed.Succeeded);
        Assert.Contains(Sample.Lines, l => l == $"Executed 'Functions.Throw' (Failed, Id={id}, Duration={(long)completed.Duration.TotalMilliseconds}ms)");
    }

    [Fact]
    public async Task A_large_body_and_a_chunked_body_reach_the_worker_and_come_back_unchanged()
    {
        var large = new byte[8 * 1024 * 1024];
        Random.Shared.NextBytes(large);
        using var content = new ByteArrayContent(large);
        content.Headers.ContentType = new("application/octet-stream");
        using var response = await Sample.Http.PostAsync(new Uri("api/echo", UriKind.Relative), content);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(large.Length.ToString(System.Globalization.CultureInfo.InvariantCulture), Assert.Single(response.Headers.GetValues("x-echo-length")));
        Assert.Equal(large, await response.Content.ReadAsByteArrayAsync());

        var chunked = new byte[300_000];
        Random.Shared.NextBytes(chunked);
        using var stream = new StreamContent(new UnseekableStream(chunked));
        stream.Headers.ContentType = new("application/x-test");
        using var request = new HttpRequestMessage(HttpMethod.Put, "api/echo") { Content = stream };
        request.Headers.TransferEncodingChunked = true;
        using var chunkedResponse = await Sample.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, chunkedResponse.StatusCode);
        Assert.Equal("application/x-test", chunkedResponse.Content.Headers.ContentType?.MediaType);
        Assert.Equal(chunked, await chunkedResponse.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task A_broken_chunked_body_is_the_callers_fault_and_answered_400()
    {
        // Raw bytes: HttpClient cannot send a malformed chunk size.
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(Sample.Http.BaseAddress!.Host, Sample.Http.BaseAddress.Port);
        var stream = tcp.GetStream();
        var request = "POST /api/echo HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\nhello\r\nZZ\r\n";
        await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes(request));
        using var reader = new StreamReader(stream, System.Text.Encoding.ASCII);
        var statusLine = await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.StartsWith("HTTP/1.1 400", statusLine, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_body_over_the_hosts_limit_is_refused_with_413_before_the_worker_sees_it()
    {
        var echoes = Sample.Lines.Count(l => l.StartsWith("Executing 'Functions.Echo'", StringComparison.Ordinal));
        // Raw HTTP/1.1: declares 1 byte over the real host's 100 MB limit and sends none of it.
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(Sample.Host.BaseAddress.Host, Sample.Host.BaseAddress.Port);
        var stream = tcp.GetStream();
        await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes($"POST /api/echo HTTP/1.1\r\nHost: {Sample.Host.BaseAddress.Authority}\r\nContent-Length: 104857601\r\n\r\n"));
        var buffer = new byte[256];
        var read = await stream.ReadAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        var statusLine = System.Text.Encoding.ASCII.GetString(buffer, 0, read).Split("\r\n")[0];

        Assert.Equal("HTTP/1.1 413 Payload Too Large", statusLine);
        Assert.Equal(echoes, Sample.Lines.Count(l => l.StartsWith("Executing 'Functions.Echo'", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task A_caller_that_goes_away_cancels_the_invocation()
    {
        var before = Sample.Completed.Count;
        using var client = new HttpClient { BaseAddress = Sample.Host.BaseAddress, Timeout = TimeSpan.FromMilliseconds(1500) };
        var started = DateTime.UtcNow;
        await Assert.ThrowsAsync<TaskCanceledException>(() => client.GetAsync(new Uri("api/slow/20000", UriKind.Relative)));

        var completed = await Sample.EventuallyAsync(() => Task.FromResult(Sample.Completed.Skip(before).FirstOrDefault(c => c.FunctionName == "Slow")), TimeSpan.FromSeconds(10), "the cancelled invocation");
        Assert.False(completed.Succeeded);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(12), "the invocation ended with the caller, not after 20 s");
    }

    [Fact]
    public async Task An_http_function_with_a_queue_output_writes_one_message_per_element()
    {
        var text = $"e{Guid.NewGuid():N}";
        using var response = await Sample.Http.PostAsync(new Uri($"api/enqueue/{text}", UriKind.Relative), null);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var messages = await Sample.EventuallyAsync(
            async () => (await Sample.PeekAllAsync(Sample.DoneQueue)).Where(m => m.StartsWith(text, StringComparison.Ordinal)).ToList() is { Count: 2 } found ? found : null,
            TimeSpan.FromSeconds(10),
            "two output messages");
        Assert.Equal([$"{text}-1", $"{text}-2"], messages.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task The_worker_sees_the_callers_address_as_X_Forwarded_For_and_a_claimed_one_does_not_survive()
    {
        // Real distinct callers (127.0.0.2, 127.0.0.3), as the real host's YARP default transforms treat them: the
        // header is SET to the address the host accepted the connection from, whatever the caller sent.
        using var first = SourceAddressClient.Create(SourceAddressClient.Loopback(2), Sample.Host.BaseAddress);
        using var second = SourceAddressClient.Create(SourceAddressClient.Loopback(3), Sample.Host.BaseAddress);

        var plain = await ClientAsync(first, null);
        var spoofed = await ClientAsync(first, "203.0.113.9, 198.51.100.1");
        var other = await ClientAsync(second, "127.0.0.2");

        // The worker's ASP.NET Core integration trusts its loopback proxy (the host) and moves the one entry into the
        // connection's address; nothing of what the caller claimed is left over.
        Assert.Equal("127.0.0.2", plain.GetProperty("remoteAddress").GetString());
        Assert.Equal("127.0.0.2", spoofed.GetProperty("remoteAddress").GetString());
        Assert.Equal("127.0.0.3", other.GetProperty("remoteAddress").GetString());
        foreach (var answer in new[] { plain, spoofed, other })
        {
            Assert.Equal("", answer.GetProperty("forwardedFor").GetString());
            // What the worker's connection really came from: the host's own loopback client.
            Assert.StartsWith("127.0.0.1:", answer.GetProperty("originalFor").GetString(), StringComparison.Ordinal);
            // X-Forwarded-Proto/-Host: the caller's scheme and Host, not the worker's address.
            Assert.Equal("http", answer.GetProperty("scheme").GetString());
            Assert.Equal(Sample.Host.BaseAddress.Authority, answer.GetProperty("host").GetString());
        }
    }

    private static async Task<JsonElement> ClientAsync(HttpClient http, string? claimedForwardedFor)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("api/client", UriKind.Relative));
        if (claimedForwardedFor is not null)
        {
            request.Headers.TryAddWithoutValidation("X-Forwarded-For", claimedForwardedFor);
            request.Headers.TryAddWithoutValidation("X-Forwarded-Host", "evil.example");
            request.Headers.TryAddWithoutValidation("X-Forwarded-Proto", "https");
        }
        using var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    [Fact]
    public void The_functions_are_listed_with_routes_methods_and_queues()
    {
        var functions = Sample.Host.Functions.ToDictionary(f => f.Name);

        Assert.Equal("api/items/{id}", functions["GetItem"].Route);
        Assert.Equal(["GET"], functions["GetItem"].Methods);
        Assert.Equal(["POST", "PUT"], functions["Echo"].Methods);
        Assert.Equal("api/Throw", functions["Throw"].Route);
        Assert.Equal("queueTrigger", functions["Work"].TriggerType);
        Assert.Equal(Sample.Options.Settings["WorkQueue"], functions["Work"].QueueName);
        Assert.False(functions.ContainsKey("Tick"), "a disabled function is not served");
        Assert.Contains(Sample.Lines, l => l.Contains($"GetItem: [GET] {Sample.Host.BaseAddress}api/items/{{id}}", StringComparison.Ordinal));
    }

    /// <summary>A stream without a length, so HttpClient sends it chunked.</summary>
    private sealed class UnseekableStream(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;
    }
}
