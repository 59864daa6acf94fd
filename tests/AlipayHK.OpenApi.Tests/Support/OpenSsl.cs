using System.Diagnostics;

namespace AlipayHK.OpenApi.Tests.Support;

/// <summary>Runs the openssl command line in a temporary directory, an implementation independent of .NET's.</summary>
internal sealed class OpenSsl : IDisposable
{
    public OpenSsl() => Directory.CreateDirectory(Folder);

    public string Folder { get; } = Path.Combine(Path.GetTempPath(), "alipayhk-openssl-" + Guid.NewGuid().ToString("N"));

    public string Write(string name, byte[] content)
    {
        var path = Path.Combine(Folder, name);
        File.WriteAllBytes(path, content);
        return path;
    }

    public string Write(string name, string content)
    {
        var path = Path.Combine(Folder, name);
        File.WriteAllText(path, content);
        return path;
    }

    public (int ExitCode, string Output) Run(params string[] arguments)
    {
        // stdin closed, so openssl can never wait on the test host's input; both outputs drained at once, so a
        // full pipe cannot block it either.
        var start = new ProcessStartInfo("openssl") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Folder };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        using var process = Process.Start(start)!;
        process.StandardInput.Close();
        var error = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEnd() + error.GetAwaiter().GetResult();
        if (!process.WaitForExit(TimeSpan.FromMinutes(1)))
        {
            process.Kill();
            throw new TimeoutException($"openssl {string.Join(' ', arguments)} did not finish in a minute.");
        }
        return (process.ExitCode, output);
    }

    public void Dispose() => Directory.Delete(Folder, recursive: true);
}
