using AlipayFunctions.Deployment;

// tools/publish.sh calls: AlipayFunctions.AppLayout check <publish folder>
// Exit code 0 when the folder is deployable, 1 with one line per problem otherwise, 2 on bad usage.
if (args is not ["check", var folder])
{
    await Console.Error.WriteLineAsync("usage: AlipayFunctions.AppLayout check <publish-folder>").ConfigureAwait(false);
    return 2;
}
var problems = AppLayout.Check(folder, FunctionContract.Expected);
foreach (var problem in problems)
{
    await Console.Error.WriteLineAsync($"app layout: {problem}").ConfigureAwait(false);
}
if (problems.Count == 0)
{
    Console.WriteLine($"app layout: {Path.GetFullPath(folder)} is deployable ({FunctionContract.Expected.Count} functions).");
}
return problems.Count == 0 ? 0 : 1;
