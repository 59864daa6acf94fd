using System.Collections;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace LocalFunctionsHost.Configuration;

/// <summary>
/// The app settings as Core Tools builds them: local.settings.json <c>Values</c>, then the process environment, then
/// the options' settings; plus the variables the host sets for the worker. The worker gets all of them as its environment.
/// </summary>
internal sealed partial class AppSettings
{
    private readonly Dictionary<string, string> _values;

    private AppSettings(Dictionary<string, string> values) => _values = values;

    public IReadOnlyDictionary<string, string> All => _values;

    public static AppSettings Build(LocalHostOptions options)
    {
        var values = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var localSettings = Path.Combine(options.ScriptRoot, "local.settings.json");
        if (File.Exists(localSettings) && JsonFile.Parse(localSettings)?["Values"] is JsonObject fileValues)
        {
            foreach (var (key, value) in fileValues)
            {
                if (value is JsonValue v)
                {
                    values[key] = v.ToString();
                }
            }
        }

        foreach (DictionaryEntry entry in Environment.GetEnvironmentVariables())
        {
            values[(string)entry.Key] = (string?)entry.Value ?? "";
        }

        foreach (var (key, value) in options.Settings)
        {
            if (value is null)
            {
                values.Remove(key);
            }
            else
            {
                values[key] = value;
            }
        }

        values.TryAdd("FUNCTIONS_WORKER_RUNTIME", "dotnet-isolated");
        values["FUNCTIONS_WORKER_DIRECTORY"] = options.ScriptRoot;
        values["FUNCTIONS_APPLICATION_DIRECTORY"] = options.ScriptRoot;
        values["AZURE_FUNCTIONS_ENVIRONMENT"] = options.EnvironmentName;
        return new AppSettings(values);
    }

    public string? this[string name] => Get(name);

    /// <summary>A setting by name; <c>a:b</c> and <c>a__b</c> are the same setting, as in .NET configuration.</summary>
    public string? Get(string name) =>
        _values.TryGetValue(name, out var value) || _values.TryGetValue(name.Replace(":", "__", StringComparison.Ordinal), out value)
            ? value
            : null;

    /// <summary>Replaces each <c>%Name%</c> with its setting, as the host resolves binding expressions.</summary>
    /// <exception cref="LocalHostException">A named setting does not exist.</exception>
    public string Resolve(string value, string functionName) => Percent().Replace(value, match =>
        Get(match.Groups[1].Value) ?? throw new LocalHostException(
            $"Function '{functionName}': the binding expression '%{match.Groups[1].Value}%' names an app setting that does not exist."));

    public bool IsDisabled(string functionName) =>
        Get($"AzureWebJobs.{functionName}.Disabled") is { } disabled && (disabled == "1" || bool.TryParse(disabled, out var d) && d);

    [GeneratedRegex("%([^%]+)%")]
    private static partial Regex Percent();
}
