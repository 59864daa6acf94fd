namespace AlipayHK.Simulator.Tests.Infrastructure;

internal static class TestSimulator
{
    public const string ClientId = "2022TESTCLIENT0001";
    public const string MerchantId = "2160TESTMERCHANT01";

    public static SimulatorOptions Options(Action<SimulatorOptions>? configure = null)
    {
        var options = new SimulatorOptions
        {
            ClientId = ClientId,
            MerchantId = MerchantId,
            MerchantPublicKey = TestKeys.MerchantPublicPem,
            PlatformPrivateKey = TestKeys.PlatformPrivatePem,
        };
        configure?.Invoke(options);
        return options;
    }

    public static Task<SimulatorHost> StartAsync(Action<SimulatorOptions>? configure = null, TimeProvider? clock = null) =>
        SimulatorHost.StartAsync(Options(configure), clock, TestContext.Token);
}

internal static class TestContext
{
    /// <summary>Bounds every test: nothing here should take more than a few seconds.</summary>
    public static CancellationToken Token => new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token;
}
