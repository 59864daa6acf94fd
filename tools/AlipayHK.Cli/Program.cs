using AlipayHK.Cli;

return await CliApp.RunAsync(args, CliHost.ForProcess()).ConfigureAwait(false);
