using AlipayFunctions;
using AlipayFunctions.Settings;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.Hosting;

try
{
    var builder = FunctionsApplication.CreateBuilder(args);
    builder.ConfigureFunctionsWebApplication();
    builder.AddAlipayFunctions();
    using var app = builder.Build();
    await app.RunAsync().ConfigureAwait(false);
    return 0;
}
catch (SettingsException e)
{
    // One clear line naming the key, rather than a stack trace, is what an operator needs at start-up.
    await Console.Error.WriteLineAsync($"AlipayFunctions cannot start: {e.Message}").ConfigureAwait(false);
    return 2;
}
