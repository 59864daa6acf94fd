using AlipayFunctions.Hosting;
using AlipayFunctions.Settings;

try
{
    var app = FunctionsApp.Build(args);
    await using var _ = app.ConfigureAwait(false);
    await app.RunAsync().ConfigureAwait(false);
    return 0;
}
catch (SettingsException e)
{
    // One clear line naming the key, rather than a stack trace, is what an operator needs at start-up.
    await Console.Error.WriteLineAsync($"AlipayFunctions cannot start: {e.Message}").ConfigureAwait(false);
    return 2;
}
