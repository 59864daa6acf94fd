using System.Diagnostics;
using System.Globalization;

namespace AlipayFunctions.Storage.Benchmarks;

/// <summary>
/// The bare request and the client measured side by side in one process against one Azurite, in alternating blocks
/// (bare-client, then client-bare), so both sides see the same server state, the same Node.js garbage collector
/// and the same machine load. BenchmarkDotNet runs each method in a process of its own with an Azurite of its own,
/// and that server's run-to-run swing (±30 % on the same method) is larger than the 10 % being measured.
/// </summary>
/// <remarks>
/// It calls the very operations of <see cref="StorageClientBenchmarks"/> (same requests, same queues and tables).
/// The figure is the median over rounds of bare block time / client block time, with its interquartile range:
/// a round whose server stalled hits both sides or is discarded by the median.
/// </remarks>
internal static class PairedRun
{
    private const int Invocations = StorageClientBenchmarks.Invocations;

    public static async Task<int> RunAsync(int rounds, bool canned)
    {
        var bench = new StorageClientBenchmarks();
        await bench.SetupAsync(canned).ConfigureAwait(false);
        try
        {
            // Each round ends with an untimed reset, so every round starts from the same store.
            var pairs = new (string Name, Func<Task> Bare, Func<Task> Client, Action? FillBare, Action? FillClient, Action? Reset)[]
            {
                ("queue send", bench.QueueSend_Bare, bench.QueueSend_Client, null, null, bench.ClearSendQueues),
                ("queue receive + delete", bench.QueueReceiveDelete_Bare, bench.QueueReceiveDelete_Client, bench.FillBareReceiveQueue, bench.FillClientReceiveQueue, null),
                ("table insert", bench.TableInsert_Bare, bench.TableInsert_Client, null, null, null),
                ("table merge", bench.TableMerge_Bare, bench.TableMerge_Client, null, null, null),
            };

            var server = canned ? "a canned stand-in service (the clients' own cost)" : "Azurite";
            Console.WriteLine($"Paired run against {server}: {rounds} rounds of {Invocations} invocations per side, order alternating; machine load {File.ReadAllText("/proc/loadavg").Trim()}");
            Console.WriteLine();
            Console.WriteLine("| Operation | bare, median per op | client, median per op | client - bare | bare/client throughput: median of rounds (IQR) | target ≥ 0.9 |");
            Console.WriteLine("|---|---:|---:|---:|---:|---|");
            var failed = 0;
            foreach (var (name, bare, client, fillBare, fillClient, reset) in pairs)
            {
                // Warm both sides (JIT tiers, connections, Azurite's own JIT) before anything counts.
                for (var i = 0; i < 3; i++)
                {
                    await BlockAsync(bare, fillBare).ConfigureAwait(false);
                    await BlockAsync(client, fillClient).ConfigureAwait(false);
                    reset?.Invoke();
                }

                var bareTimes = new List<double>();
                var clientTimes = new List<double>();
                var ratios = new List<double>();
                for (var round = 0; round < rounds; round++)
                {
                    double b, c;
                    if (round % 2 == 0)
                    {
                        b = await BlockAsync(bare, fillBare).ConfigureAwait(false);
                        c = await BlockAsync(client, fillClient).ConfigureAwait(false);
                    }
                    else
                    {
                        c = await BlockAsync(client, fillClient).ConfigureAwait(false);
                        b = await BlockAsync(bare, fillBare).ConfigureAwait(false);
                    }

                    reset?.Invoke();
                    bareTimes.Add(b);
                    clientTimes.Add(c);
                    ratios.Add(b / c);
                }

                var ratio = Quantile(ratios, 0.5);
                var met = ratio >= 0.9;
                failed += met ? 0 : 1;
                var (bareMedian, clientMedian) = (Quantile(bareTimes, 0.5), Quantile(clientTimes, 0.5));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {name} | {bareMedian:0.0} µs | {clientMedian:0.0} µs | {clientMedian - bareMedian:0.0} µs | **{ratio:0.000}** ({Quantile(ratios, 0.25):0.00}-{Quantile(ratios, 0.75):0.00}) | {(met ? "met" : "**not met**")} |"));
            }

            Console.WriteLine();
            Console.WriteLine($"Machine load after: {File.ReadAllText("/proc/loadavg").Trim()}");
            return failed == 0 ? 0 : 1;
        }
        finally
        {
            bench.Cleanup();
        }
    }

    /// <summary>One block of invocations, after its untimed fill; the mean time per invocation in microseconds.</summary>
    private static async Task<double> BlockAsync(Func<Task> operation, Action? fill)
    {
        fill?.Invoke();
        var watch = Stopwatch.StartNew();
        for (var i = 0; i < Invocations; i++)
        {
            await operation().ConfigureAwait(false);
        }

        return watch.Elapsed.TotalMicroseconds / Invocations;
    }

    private static double Quantile(List<double> values, double q)
    {
        var sorted = values.Order().ToArray();
        var position = q * (sorted.Length - 1);
        var low = (int)Math.Floor(position);
        var high = (int)Math.Ceiling(position);
        return sorted[low] + ((sorted[high] - sorted[low]) * (position - low));
    }
}
