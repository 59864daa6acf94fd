namespace AlipayHK.Simulator.Tests.Infrastructure;

/// <summary>A clock the test moves by hand. Timers still run on real time (only "now" is faked).</summary>
internal sealed class FakeTimeProvider(DateTimeOffset start) : TimeProvider
{
    private DateTimeOffset _now = start;

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(TimeSpan by) => _now += by;
}
