using System.CommandLine;
using AlipayFunctions.Observability;
using AlipayFunctions.Reconciliation;
using AlipayHK.Cli.Settings;
using AlipayHK.OpenApi.Passes;
using Microsoft.Extensions.Logging.Abstractions;

namespace AlipayHK.Cli.Sweep;

/// <summary><c>sweep [--dry-run]</c>: runs the app's reconciliation sweep (timer function <c>Reconcile</c>) once.</summary>
internal static class SweepCommand
{
    public static Command Build(CliHost host)
    {
        var dryRun = new Option<bool>("--dry-run") { Description = "List what the sweep would re-queue; change nothing." };
        var grace = new Option<TimeSpan?>("--grace") { Description = "Act only on needs older than this (default: the Sweep:Grace setting, else 00:10:00)." };
        var command = new Command("sweep",
            "Run the reconciliation sweep once: apply pending bills of members, re-queue card creation whose claim lapsed, " +
            "sync cards behind their balance, retry Blocked cards when the template is valid and Failed cards whose cause can go away when their retry time has come. Reads the attention index only.")
        {
            dryRun, grace,
        };
        ConfigOptions.AddStorage(command);
        ConfigOptions.AddAlipay(command);
        command.SetAction((parse, ct) => CliApp.Guard(host, async () =>
        {
            var settings = CliSettings.From(parse, host);
            var configured = settings.Sweep();
            var sweepSettings = configured with { Grace = parse.GetValue(grace) ?? configured.Grace };
            // Test-only, as in the worker: honoured only when AZURE_FUNCTIONS_ENVIRONMENT is Development (see CrashPoints).
            var crash = CrashPoints.From(settings.Configuration);
            if (crash.Enabled)
            {
                host.Error.WriteLine($"TEST CRASH POINTS ARMED ({string.Join(", ", crash.Points)}): this sweep kills itself at them (Testing:CrashAt). Never in production.");
            }
            else if (crash.Ignored)
            {
                host.Error.WriteLine("Testing:CrashAt is set outside the Development environment and is ignored; remove it.");
            }
            var sweep = new ReconcileSweep(settings.Ledger(), settings.Queues(), sweepSettings, host.Clock, NullLogger<ReconcileSweep>.Instance, crashPoints: crash);
            // Blocked cards are retried only when AlipayHK says the template is valid; without AlipayHK settings they are listed by `member`.
            Func<CancellationToken, Task<bool>>? templateUsable = settings.Get("AlipayHK:ClientId") is null ? null : async token =>
            {
                var template = await settings.AlipayClient().GetTemplateDetailAsync(
                    new TemplateDetailRequest { TemplateCode = settings.Required("Loyalty:TemplateCode", "--set Loyalty:TemplateCode=..."), MerchantId = settings.MerchantId() },
                    token).ConfigureAwait(false);
                return string.Equals(template.Status, "valid", StringComparison.OrdinalIgnoreCase);
            };
            var report = await sweep.RunAsync(parse.GetValue(dryRun), templateUsable, ct).ConfigureAwait(false);
            host.Console.WriteLine($"{report.NotesRead} attention notes read; {report.Findings.Count} finding(s){(parse.GetValue(dryRun) ? " (dry run: nothing changed)" : "")}.");
            foreach (var finding in report.Findings)
            {
                host.Console.WriteLine($"  {finding.Kind}: member {finding.MemberId} (user {LogMask.UserId(finding.UserId)})");
            }
            return ExitCodes.Ok;
        }));
        return command;
    }
}
