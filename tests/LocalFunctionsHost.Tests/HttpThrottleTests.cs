using System.Diagnostics;
using System.Net;
using AlipayFunctions.Testing;

namespace LocalFunctionsHost.Tests;

/// <summary>
/// host.json <c>extensions.http.maxConcurrentRequests</c> / <c>maxOutstandingRequests</c>, set through the
/// <c>AzureFunctionsJobHost__</c> overrides, against the sample worker's slow function: each test has its own host.
/// </summary>
[Collection(AzuriteFixture.CollectionName)]
public sealed class HttpThrottleTests(AzuriteFixture azurite)
{
    private static Task<SampleHost> StartAsync(AzuriteFixture azurite, int maxConcurrent, int maxOutstanding) =>
        SampleHost.StartAsync(azurite.Azurite, options =>
        {
            options.Settings["AzureFunctionsJobHost__extensions__http__maxConcurrentRequests"] = maxConcurrent.ToString(System.Globalization.CultureInfo.InvariantCulture);
            options.Settings["AzureFunctionsJobHost__extensions__http__maxOutstandingRequests"] = maxOutstanding.ToString(System.Globalization.CultureInfo.InvariantCulture);
        });

    [Fact]
    public async Task No_more_than_maxConcurrentRequests_run_the_excess_waits_and_beyond_maxOutstandingRequests_is_429()
    {
        await using var sample = await StartAsync(azurite, maxConcurrent: 2, maxOutstanding: 4);

        // Four requests of 1.5 s, two at a time: all succeed, in two waves.
        var clock = Stopwatch.StartNew();
        var responses = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => sample.Http.GetAsync(new Uri("api/slow/1500", UriKind.Relative))));
        clock.Stop();
        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.Equal(2, MostRunningAtOnce(sample, "Slow"));
        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(2.9), $"four 1.5 s requests two at a time took {clock.Elapsed.TotalSeconds:0.0} s");

        // Five at once with four admitted: whichever arrives last is refused at once, as the real host refuses it.
        clock.Restart();
        var five = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => TimedGetAsync(sample, "api/slow/3000")));
        var refused = Assert.Single(five, r => r.Response.StatusCode == HttpStatusCode.TooManyRequests);
        Assert.Equal("1", Assert.Single(refused.Response.Headers.GetValues("X-FUNCTION-SCALEOUT")));
        Assert.True(refused.Elapsed < TimeSpan.FromSeconds(2.5), $"the 429 came after {refused.Elapsed.TotalSeconds:0.0} s, not at once");
        Assert.Equal(4, five.Count(r => r.Response.StatusCode == HttpStatusCode.OK));
        Assert.Contains(sample.Lines, l => l == "Http request queue limit of 4 has been exceeded.");
        Assert.Equal(2, MostRunningAtOnce(sample, "Slow"));
        Assert.Equal(8, sample.Completed.Count(c => c.FunctionName == "Slow" && c.Succeeded));
    }

    [Fact]
    public async Task A_waiting_request_whose_caller_goes_away_never_runs_and_frees_its_place()
    {
        await using var sample = await StartAsync(azurite, maxConcurrent: 1, maxOutstanding: 2);

        var running = sample.Http.GetAsync(new Uri("api/slow/4000", UriKind.Relative));
        await sample.EventuallyAsync(() => Task.FromResult(sample.Lines.FirstOrDefault(l => l.StartsWith("Executing 'Functions.Slow'", StringComparison.Ordinal))), TimeSpan.FromSeconds(30), "the first request running");
        using (var leaving = new CancellationTokenSource(TimeSpan.FromMilliseconds(500)))
        {
            // Waits behind the running one (the second of two places), then its caller gives up.
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => sample.Http.GetAsync(new Uri("api/slow/4000", UriKind.Relative), leaving.Token));
        }

        // Its place is free again: the next request is admitted (not 429) and runs after the first.
        var next = await sample.EventuallyAsync(
            async () =>
            {
                var response = await sample.Http.GetAsync(new Uri("api/slow/100", UriKind.Relative));
                return response.StatusCode == HttpStatusCode.TooManyRequests ? null : response;
            },
            TimeSpan.FromSeconds(3),
            "a place for the next request");
        Assert.Equal(HttpStatusCode.OK, next.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await running).StatusCode);

        // The request that was given up never reached the worker: two Slow invocations, one at a time.
        Assert.Equal(2, sample.Completed.Count(c => c.FunctionName == "Slow"));
        Assert.Equal(1, MostRunningAtOnce(sample, "Slow"));
    }

    private static async Task<(HttpResponseMessage Response, TimeSpan Elapsed)> TimedGetAsync(SampleHost sample, string path)
    {
        var clock = Stopwatch.StartNew();
        var response = await sample.Http.GetAsync(new Uri(path, UriKind.Relative));
        return (response, clock.Elapsed);
    }

    /// <summary>The most invocations of the function in flight at once, from the host's Executing / Executed lines.</summary>
    private static int MostRunningAtOnce(SampleHost sample, string function)
    {
        int running = 0, most = 0;
        foreach (var line in sample.Lines)
        {
            if (line.StartsWith($"Executing 'Functions.{function}'", StringComparison.Ordinal))
            {
                most = Math.Max(most, ++running);
            }
            else if (line.StartsWith($"Executed 'Functions.{function}'", StringComparison.Ordinal))
            {
                running--;
            }
        }

        return most;
    }
}
