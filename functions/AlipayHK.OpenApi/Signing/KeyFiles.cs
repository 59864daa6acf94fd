namespace AlipayHK.OpenApi.Signing;

/// <summary>
/// Where a key file named by a setting is (the app's <c>Signing:PrivateKeyPath</c> and
/// <c>AlipayHK:PlatformPublicKeyPath</c>, the simulator's <c>MerchantPublicKeyPath</c> and <c>PlatformPrivateKeyPath</c>).
/// An absolute path is taken as it is. A relative one is looked for in the working directory and then in each of
/// its parents, nearest first: under <c>func start</c> the worker runs in its build output, so the sample's
/// <c>.local/merchant-private.pem</c> is found in the repository's <c>.local/</c> whether the app runs from the
/// repository, the project folder or <c>bin/&lt;Configuration&gt;/net10.0</c> (and <c>dotnet run</c> of a web project,
/// such as the simulator, runs it in its project folder).
/// </summary>
public static class KeyFiles
{
    /// <summary>The file <paramref name="path"/> names, seen from <paramref name="workingDirectory"/>; null when there is none.</summary>
    public static string? Find(string path, string workingDirectory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentException.ThrowIfNullOrWhiteSpace(workingDirectory);
        if (Path.IsPathRooted(path))
        {
            return File.Exists(path) ? path : null;
        }

        for (var directory = new DirectoryInfo(workingDirectory); directory is not null; directory = directory.Parent)
        {
            var candidate = Path.Combine(directory.FullName, path);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    /// <summary>
    /// What to say when <see cref="Find"/> found nothing, after the name of the setting: "names a file that does not
    /// exist (...)", with where a relative path was looked for.
    /// </summary>
    public static string NotFound(string path, string workingDirectory) =>
        Path.IsPathRooted(path)
            ? $"names a file that does not exist ({path})"
            : $"names a file that does not exist ({path}, looked for in {workingDirectory} and its parent folders)";
}
