using LocalFunctionsHost;

// The local Functions host as a command, with options like `func start`:
//   dotnet run --project tools/LocalFunctionsHost -- start --script-root <worker output> [--port 7071] [--verbose]
return await HostCommand.RunAsync(args).ConfigureAwait(false);
