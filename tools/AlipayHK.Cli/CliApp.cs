using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using AlipayFunctions.KeyVault;
using AlipayFunctions.Settings;
using AlipayHK.Cli.Explain;
using AlipayHK.Cli.Keys;
using AlipayHK.Cli.Mall;
using AlipayHK.Cli.Members;
using AlipayHK.Cli.Poison;
using AlipayHK.Cli.Send;
using AlipayHK.Cli.Settings;
using AlipayHK.Cli.Template;
using AlipayHK.OpenApi.Client;

namespace AlipayHK.Cli;

/// <summary>The <c>alipayhk</c> command tree and the one place that turns outcomes into exit codes.</summary>
internal static class CliApp
{
    public static RootCommand BuildRoot(CliHost host)
    {
        var root = new RootCommand(
            "alipayhk: operate an AlipayFunctions deployment (keys, signature diagnosis, test webhooks, members, poison queues, mall shops).\n" +
            "Configuration: the app's keys from environment variables (AlipayHK__ClientId, Signing__Mode, AzureWebJobsStorage, ...); options override them.")
        {
            ConfigOptions.Set,
            KeysCommand.Build(host),
            ExplainCommand.Build(host),
            SendCommand.Build(host),
            TemplateCommand.Build(host),
            MemberCommand.Build(host),
            PoisonCommand.Build(host),
            MallCommand.Build(host),
            Sweep.SweepCommand.Build(host),
        };
        foreach (var help in root.Options.OfType<HelpOption>())
        {
            if (help.Action is HelpAction action)
            {
                help.Action = new HelpWithExitCodes(action);
            }
        }
        return root;
    }

    /// <summary>Every command's --help ends with the exit codes.</summary>
    private sealed class HelpWithExitCodes(HelpAction help) : SynchronousCommandLineAction
    {
        public override int Invoke(ParseResult parseResult)
        {
            var result = help.Invoke(parseResult);
            parseResult.InvocationConfiguration.Output.WriteLine(ExitCodes.HelpText);
            return result;
        }
    }

    public static async Task<int> RunAsync(string[] args, CliHost host, CancellationToken cancellationToken = default)
    {
        var root = BuildRoot(host);
        var parse = root.Parse(args);
        var invocation = new InvocationConfiguration { Output = host.Output, Error = host.Error, EnableDefaultExceptionHandler = false };
        if (parse.Action is ParseErrorAction)
        {
            await parse.InvokeAsync(invocation, cancellationToken).ConfigureAwait(false);
            return ExitCodes.Usage;
        }
        return await parse.InvokeAsync(invocation, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Runs a command body, mapping what went wrong to an exit code and one clear message (never a key or token).</summary>
    public static async Task<int> Guard(CliHost host, Func<Task<int>> body)
    {
        try
        {
            return await body().ConfigureAwait(false);
        }
        catch (Exception e) when (e is UsageException or SettingsException)
        {
            await host.Error.WriteLineAsync($"alipayhk: {e.Message}").ConfigureAwait(false);
            return ExitCodes.Usage;
        }
        catch (OperationFailedException e)
        {
            await host.Error.WriteLineAsync($"alipayhk: {e.Message}").ConfigureAwait(false);
            return ExitCodes.Failure;
        }
        catch (AlipayHKException e)
        {
            await host.Error.WriteLineAsync($"alipayhk: AlipayHK answered {e.ResultCode} ({e.ResultStatus}){(e.HttpStatus is { } s ? $", HTTP {s}" : "")}{(e.TracerId is { } t ? $", Tracer-Id {t}" : "")}: {e.Result?.ResultMessage ?? e.Message}").ConfigureAwait(false);
            return ExitCodes.Failure;
        }
        catch (Exception e) when (CliStorage.Describe(e) is { } storage)
        {
            await host.Error.WriteLineAsync($"alipayhk: {storage}").ConfigureAwait(false);
            return ExitCodes.Failure;
        }
        catch (Exception e) when (e is KeyVaultException or HttpRequestException or IOException or Azure.Identity.AuthenticationFailedException or Azure.Identity.CredentialUnavailableException or TaskCanceledException or InvalidOperationException)
        {
            await host.Error.WriteLineAsync($"alipayhk: {e.GetType().Name}: {e.Message}").ConfigureAwait(false);
            return ExitCodes.Failure;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Whatever else went wrong is still one line and exit code 1, never a stack trace.
            await host.Error.WriteLineAsync($"alipayhk: {e.GetType().Name}: {e.Message.Split('\n', 2)[0].Trim()}").ConfigureAwait(false);
            return ExitCodes.Failure;
        }
    }
}
