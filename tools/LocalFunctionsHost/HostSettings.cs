using System.Text.Json;

namespace LocalFunctionsHost;

/// <summary>Settings as Core Tools reads them: local.settings.json <c>Values</c>, then the process environment, then the options.</summary>
internal static class HostSettings
{
    /// <summary><c>Host.LocalHttpPort</c> from local.settings.json in the script root, if any.</summary>
    public static int? LocalHttpPort(string scriptRoot)
    {
        var path = Path.Combine(scriptRoot, "local.settings.json");
        if (!File.Exists(path))
        {
            return null;
        }

        using var document = JsonDocument.Parse(File.ReadAllText(path), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        return document.RootElement.TryGetProperty("Host", out var host) && host.TryGetProperty("LocalHttpPort", out var port) && port.TryGetInt32(out var value)
            ? value
            : null;
    }
}
