using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace AlipayFunctions.Deployment.Tests;

/// <summary>
/// The operator workbook (infra/workbook.json, deployed by infra/main.bicep) and the alert rules against the app's
/// metrics: every metric they query is one the app creates in Observability/AppMetrics.cs (read from the source, so a
/// renamed or missing instrument fails here), every metric the app creates is charted, and every dimension they
/// read is one the app records.
/// </summary>
[Collection(CompiledTemplateGroup.Name)]
public sealed partial class WorkbookTests(CompiledTemplateFixture fixture)
{
    private static string WorkbookPath => Path.Combine(Repo.Root, "infra", "workbook.json");

    private static string AppMetricsPath => Path.Combine(Repo.AppSource, "Observability", "AppMetrics.cs");

    [Fact]
    public void Every_metric_the_workbook_charts_is_one_the_app_emits()
    {
        var emitted = MetricsTheAppCreates();
        var charted = MetricNames(WorkbookQueries());
        var unknown = charted.Except(emitted, StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        Assert.True(unknown.Count == 0,
            $"infra/workbook.json charts metrics AppMetrics.cs does not create: {string.Join(", ", unknown)} (the app creates: {string.Join(", ", emitted.Order(StringComparer.Ordinal))})");
    }

    [Fact]
    public void Every_metric_the_app_emits_is_charted()
    {
        var missing = MetricsTheAppCreates().Except(MetricNames(WorkbookQueries()), StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        Assert.True(missing.Count == 0, "infra/workbook.json charts none of: " + string.Join(", ", missing));
    }

    [Fact]
    public void Every_metric_an_alert_queries_is_one_the_app_emits()
    {
        var alerts = AlertQueries();
        Assert.Equal(2, alerts.Count);
        var queried = MetricNames(alerts);
        Assert.Equal(["alipayhk.webhooks", "queue.poison.length"], queried.Order(StringComparer.Ordinal));
        var unknown = queried.Except(MetricsTheAppCreates(), StringComparer.Ordinal).ToList();
        Assert.True(unknown.Count == 0, "The alerts query metrics AppMetrics.cs does not create: " + string.Join(", ", unknown));
    }

    [Fact]
    public void Every_dimension_the_workbook_and_the_alerts_read_is_one_the_app_records()
    {
        var source = File.ReadAllText(AppMetricsPath);
        var literals = StringLiteralPattern().Matches(source).Select(m => m.Groups[1].Value).ToHashSet(StringComparer.Ordinal);
        var read = WorkbookQueries().Concat(AlertQueries())
            .SelectMany(q => DimensionPattern().Matches(q).Select(m => m.Groups[1].Value))
            .ToHashSet(StringComparer.Ordinal);
        Assert.NotEmpty(read);
        var unknown = read.Where(d => !literals.Contains(d)).Order(StringComparer.Ordinal).ToList();
        Assert.True(unknown.Count == 0, "The queries read customDimensions AppMetrics.cs never records: " + string.Join(", ", unknown));
    }

    [Fact]
    public void The_webhook_outcomes_counted_as_accepted_are_outcomes_the_app_records()
    {
        // The refused-webhooks alert and chart count every outcome except these; a renamed accepted outcome would
        // otherwise page the operator for every accepted webhook.
        var appSource = string.Join("\n", Directory.GetFiles(Repo.AppSource, "*.cs", SearchOption.AllDirectories).Select(File.ReadAllText));
        foreach (var query in WorkbookQueries().Concat(AlertQueries()).Where(q => q.Contains("alipayhk.webhooks", StringComparison.Ordinal) && q.Contains("!in", StringComparison.Ordinal)))
        {
            var accepted = AcceptedOutcomesPattern().Match(query);
            Assert.True(accepted.Success, "No outcome list in " + query);
            foreach (Match outcome in QuotedPattern().Matches(accepted.Groups[1].Value))
            {
                Assert.Contains($"\"{outcome.Groups[1].Value}\"", appSource, StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    public void The_template_deploys_this_workbook_on_Application_Insights_and_the_workspace()
    {
        var template = fixture.Template ?? throw new InvalidOperationException("bicep build failed:\n" + fixture.Build.Diagnostics);
        var workbook = Assert.Single(template["resources"]!.AsArray(), r => (string?)r!["type"] == "Microsoft.Insights/workbooks")!;
        var serialized = (string)workbook["properties"]!["serializedData"]!;
        // loadTextContent puts the file's text into a template variable; the workspace id replaces the placeholder.
        var text = File.ReadAllText(WorkbookPath);
        var variable = Assert.Single(template["variables"]!.AsObject(), v => v.Value is JsonValue value && value.TryGetValue<string>(out var s) && s == text);
        Assert.Equal(
            $"[replace(replace(variables('{variable.Key}'), '__APP_INSIGHTS_ID__', resourceId('Microsoft.Insights/components', format('appi-{{0}}-{{1}}', toLower(parameters('baseName')), variables('suffix')))), '__WORKSPACE_ID__', resourceId('Microsoft.OperationalInsights/workspaces', format('log-{{0}}-{{1}}', toLower(parameters('baseName')), variables('suffix'))))]",
            serialized);
        Assert.Contains("resourceId('Microsoft.Insights/components'", (string)workbook["properties"]!["sourceId"]!, StringComparison.Ordinal);

        // Each query names the resource it runs on: the app's metrics on Application Insights, the vault's audit log
        // on the workspace.
        var queries = JsonNode.Parse(text)!["items"]!.AsArray().Where(i => (int?)i!["type"] == 3).Select(i => i!["content"]!).ToList();
        var placeholders = new Dictionary<string, string>
        {
            ["microsoft.insights/components"] = "__APP_INSIGHTS_ID__",
            ["microsoft.operationalinsights/workspaces"] = "__WORKSPACE_ID__",
        };
        Assert.All(queries, q => Assert.Equal([placeholders[(string)q["resourceType"]!]], q["crossComponentResources"]!.AsArray().Select(n => (string)n!)));
        Assert.Contains(queries, q => (string?)q["resourceType"] == "microsoft.operationalinsights/workspaces" && ((string)q["query"]!).Contains("\"KeySign\"", StringComparison.Ordinal));
    }

    /// <summary>
    /// The instrument names the app creates in its Observability folder: the first argument of each
    /// <c>.Create...(...)</c>, a string literal or a <c>const string</c> of AppMetrics.cs (an instrument that needs
    /// services of its own, such as the poison-queue gauge, lives beside it and takes its name from there).
    /// </summary>
    private static HashSet<string> MetricsTheAppCreates()
    {
        var source = string.Join('\n', Directory.GetFiles(Path.GetDirectoryName(AppMetricsPath)!, "*.cs").Order(StringComparer.Ordinal).Select(File.ReadAllText));
        var constants = ConstantPattern().Matches(source).ToDictionary(m => m.Groups["name"].Value, m => m.Groups["value"].Value, StringComparer.Ordinal);
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (Match create in InstrumentPattern().Matches(source))
        {
            var argument = create.Groups["argument"].Value;
            argument = argument.StartsWith("AppMetrics.", StringComparison.Ordinal) ? argument["AppMetrics.".Length..] : argument;
            if (argument.StartsWith('"'))
            {
                names.Add(argument.Trim('"'));
            }
            else
            {
                Assert.True(constants.TryGetValue(argument, out var value), $"AppMetrics.cs creates an instrument named by {argument}, which is not a const string in that file");
                names.Add(value);
            }
        }
        Assert.NotEmpty(names);
        return names;
    }

    private static List<string> WorkbookQueries()
    {
        var items = JsonNode.Parse(File.ReadAllText(WorkbookPath))!["items"]!.AsArray();
        var queries = items.Where(i => (int?)i!["type"] == 3).Select(i => (string)i!["content"]!["query"]!).ToList();
        Assert.NotEmpty(queries);
        return queries;
    }

    private List<string> AlertQueries()
    {
        var template = fixture.Template ?? throw new InvalidOperationException("bicep build failed:\n" + fixture.Build.Diagnostics);
        return template["resources"]!.AsArray()
            .Where(r => (string?)r!["type"] == "Microsoft.Insights/scheduledQueryRules")
            .SelectMany(r => r!["properties"]!["criteria"]!["allOf"]!.AsArray().Select(c => (string)c!["query"]!))
            .ToList();
    }

    private static HashSet<string> MetricNames(IEnumerable<string> queries) =>
        queries.SelectMany(q => MetricNamePattern().Matches(q).Select(m => m.Groups[1].Value)).ToHashSet(StringComparer.Ordinal);

    [GeneratedRegex(@"\bname\s*==\s*""([^""]+)""")]
    private static partial Regex MetricNamePattern();

    [GeneratedRegex(@"customDimensions\[""([^""]+)""\]")]
    private static partial Regex DimensionPattern();

    [GeneratedRegex(@"\.Create(?:Counter|UpDownCounter|Histogram|Gauge|ObservableCounter|ObservableUpDownCounter|ObservableGauge)(?:<[^>]+>)?\(\s*(?<argument>""[^""]+""|[A-Za-z_][A-Za-z0-9_.]*)")]
    private static partial Regex InstrumentPattern();

    [GeneratedRegex(@"const\s+string\s+(?<name>[A-Za-z_][A-Za-z0-9_]*)\s*=\s*""(?<value>[^""]*)""")]
    private static partial Regex ConstantPattern();

    [GeneratedRegex(@"""([^""\\]*)""")]
    private static partial Regex StringLiteralPattern();

    [GeneratedRegex(@"outcome\s*!in\s*\(([^)]*)\)")]
    private static partial Regex AcceptedOutcomesPattern();

    [GeneratedRegex(@"""([^""]*)""")]
    private static partial Regex QuotedPattern();
}
