using System.Text;

namespace AlipayFunctions.Demo;

/// <summary>
/// The settings that point the operator CLI (and curl) at what the demo started, as a shell file in the git-ignored
/// <c>.local/</c>: <c>source .local/demo.env</c>, then <c>alipayhk member "$DEMO_USER_ID"</c> works against it.
/// The keys are the app's own configuration keys, in their environment-variable form.
/// </summary>
internal static class DemoEnvironment
{
    public const string FileName = "demo.env";

    public static string Write(string folder, IReadOnlyList<KeyValuePair<string, string>> values)
    {
        var text = new StringBuilder();
        text.AppendLine("# Written by the demo (tools/AlipayFunctions.Demo) for the services it started; valid while it runs.");
        text.AppendLine("# source .local/demo.env && dotnet run --project tools/AlipayHK.Cli -- member \"$DEMO_USER_ID\"");
        foreach (var (key, value) in values)
        {
            text.Append("export ").Append(key).Append('=').AppendLine(Quote(value));
        }
        var path = Path.Combine(folder, FileName);
        File.WriteAllText(path, text.ToString());
        if (!OperatingSystem.IsWindows())
        {
            // It names the merchant key file and holds the storage key of the local Azurite (a public, well-known one).
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
        return path;
    }

    /// <summary>Single quotes: nothing inside is expanded by the shell; a single quote itself is closed, escaped and reopened.</summary>
    public static string Quote(string value) => "'" + value.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
