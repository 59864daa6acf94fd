namespace AlipayFunctions.Tests.Infrastructure;

/// <summary>Bounded polling for state that converges asynchronously (queues, retries): no sleeps, no timing asserts.</summary>
internal static class Eventually
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(50);

    /// <summary>Polls until <paramref name="condition"/> holds; fails with <paramref name="what"/> and the last observation.</summary>
    public static async Task UntilAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null, Func<Task<string>>? describe = null)
    {
        var deadline = DateTimeOffset.UtcNow + (timeout ?? DefaultTimeout);
        while (true)
        {
            if (await condition())
            {
                return;
            }
            if (DateTimeOffset.UtcNow >= deadline)
            {
                var state = describe is null ? "" : " Last state: " + await describe();
                Assert.Fail($"Timed out after {(timeout ?? DefaultTimeout).TotalSeconds:0} s waiting for: {what}.{state}");
            }
            await Task.Delay(Interval);
        }
    }

    public static Task UntilAsync(Func<bool> condition, string what, TimeSpan? timeout = null, Func<string>? describe = null) =>
        UntilAsync(() => Task.FromResult(condition()), what, timeout, describe is null ? null : () => Task.FromResult(describe()));

    /// <summary>Polls until <paramref name="read"/> returns a non-null value.</summary>
    public static async Task<T> ValueAsync<T>(Func<Task<T?>> read, string what, TimeSpan? timeout = null) where T : class
    {
        T? value = null;
        await UntilAsync(async () => (value = await read()) is not null, what, timeout);
        return value!;
    }
}
