using AlipayHK.Cli.Tests.Support;
using AlipayHK.Simulator;
using AlipayHK.Simulator.Passes;

namespace AlipayHK.Cli.Tests;

/// <summary><c>template</c> and <c>mall</c> against the AlipayHK simulator, signing with the merchant key and verifying its answers.</summary>
public sealed class SimulatorTests : IAsyncLifetime, IDisposable
{
    private readonly TempDir _dir = new();
    private SimulatorHost? _simulator;

    private SimulatorHost Simulator => _simulator!;

    public async Task InitializeAsync()
    {
        var options = new SimulatorOptions { MerchantPublicKey = TestKeys.Merchant.PublicBase64 };
        options.Templates.Add(new TemplateOptions { TemplateCode = "TPL-MEMBER" });
        options.Templates.Add(new TemplateOptions { TemplateCode = "TPL-PAUSED", Status = "paused" });
        _simulator = await SimulatorHost.StartAsync(options);
    }

    public async Task DisposeAsync()
    {
        if (_simulator is not null)
        {
            await _simulator.DisposeAsync();
        }
    }

    public void Dispose() => _dir.Dispose();

    private Dictionary<string, string?> Config() => new()
    {
        ["AlipayHK:BaseUrl"] = Simulator.BaseUrl.AbsoluteUri,
        ["AlipayHK:ClientId"] = Simulator.ClientId,
        ["AlipayHK:MerchantId"] = Simulator.MerchantId,
        ["AlipayHK:PlatformPublicKey"] = Simulator.PlatformPublicKey,
        ["Signing:Mode"] = "Pem",
        ["Signing:PrivateKeyPath"] = TestKeys.Merchant.WritePrivate(_dir, "merchant.pem"),
        ["Loyalty:TemplateCode"] = "TPL-MEMBER",
    };

    [Fact]
    public async Task Template_prints_the_configured_template()
    {
        var run = await CliRunner.RunAsync(Config(), "template");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("TPL-MEMBER", run.Output, StringComparison.Ordinal);
        Assert.Contains("valid", run.Output, StringComparison.Ordinal);
        Assert.Contains("qrcode", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Template_warns_about_a_template_that_is_not_valid_and_fails_on_an_unknown_one()
    {
        var paused = await CliRunner.RunAsync(Config(), "template", "--template-code", "TPL-PAUSED");
        var unknown = await CliRunner.RunAsync(Config(), "template", "--template-code", "TPL-NOPE");

        Assert.True(paused.ExitCode == 0, paused.ToString());
        Assert.Contains("not 'valid'", paused.Output, StringComparison.Ordinal);
        Assert.True(unknown.ExitCode == 1, unknown.ToString());
        Assert.Contains("AlipayHK answered", unknown.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Template_with_the_wrong_platform_key_fails_and_without_settings_is_a_usage_error()
    {
        var config = Config();
        config["AlipayHK:PlatformPublicKey"] = TestKeys.Other.PublicBase64;
        var wrongKey = await CliRunner.RunAsync(config, "template");
        var noClientId = await CliRunner.RunAsync(new Dictionary<string, string?> { ["Signing:Mode"] = "Pem" }, "template", "--template-code", "X");

        Assert.True(wrongKey.ExitCode == 1, wrongKey.ToString());
        Assert.True(noClientId.ExitCode == 2, noClientId.ToString());
        Assert.Contains("AlipayHK:ClientId", noClientId.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Mall_save_registers_shops_and_stores_lists_every_page()
    {
        for (var i = 1; i <= 5; i++)
        {
            var save = await CliRunner.RunAsync(Config(), "mall", "save", "--mall-label", "MALL-1", "--store-id", $"S{i}", "--store-name", $"Shop {i}");
            Assert.True(save.ExitCode == 0, save.ToString());
        }

        var list = await CliRunner.RunAsync(Config(), "mall", "stores", "--mall-label", "MALL-1", "--page-size", "2");

        Assert.True(list.ExitCode == 0, list.ToString());
        Assert.Contains("5 shop(s).", list.Output, StringComparison.Ordinal);
        for (var i = 1; i <= 5; i++)
        {
            Assert.Contains($"Shop {i}", list.Output, StringComparison.Ordinal);
        }
        Assert.Equal(3, Simulator.State.Calls.For("circleStoreQueryPage").Count);
    }

    [Fact]
    public async Task Mall_without_a_mall_or_a_bad_page_size_is_a_usage_error()
    {
        Assert.Equal(2, (await CliRunner.RunAsync(Config(), "mall", "stores")).ExitCode);
        Assert.Equal(2, (await CliRunner.RunAsync(Config(), "mall", "stores", "--mall-label", "M", "--page-size", "0")).ExitCode);
        Assert.Equal(2, (await CliRunner.RunAsync(Config(), "mall", "save", "--mall-label", "M")).ExitCode);
    }
}
