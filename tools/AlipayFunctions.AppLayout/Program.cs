using AlipayFunctions.Deployment;

// tools/publish.sh calls: AlipayFunctions.AppLayout assemble <handler output> <host.json> <app folder>
//                     or: AlipayFunctions.AppLayout check <app folder>
// Exit code 0 when the folder is deployable, 1 with one line per problem otherwise, 2 on bad usage.
switch (args)
{
    case ["assemble", var handler, var hostJson, var output]:
        AppLayout.Assemble(handler, hostJson, output);
        return await CheckAsync(output).ConfigureAwait(false);
    case ["check", var folder]:
        return await CheckAsync(folder).ConfigureAwait(false);
    default:
        await Console.Error.WriteLineAsync("usage: AlipayFunctions.AppLayout assemble <handler-output> <host.json> <app-folder> | check <app-folder>").ConfigureAwait(false);
        return 2;
}

static async Task<int> CheckAsync(string folder)
{
    var problems = AppLayout.Check(folder, await HandlerContract.FromAppAsync().ConfigureAwait(false));
    foreach (var problem in problems)
    {
        await Console.Error.WriteLineAsync($"app layout: {problem}").ConfigureAwait(false);
    }
    if (problems.Count == 0)
    {
        Console.WriteLine($"app layout: {Path.GetFullPath(folder)} is deployable.");
    }
    return problems.Count == 0 ? 0 : 1;
}
