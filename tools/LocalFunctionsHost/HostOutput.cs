namespace LocalFunctionsHost;

/// <summary>Where the host's lines go: the options' callback or the console; one line at a time.</summary>
internal sealed class HostOutput(Action<string>? sink, bool verbose)
{
    private readonly Lock _lock = new();

    public bool Verbose { get; } = verbose;

    public void Line(string line)
    {
        lock (_lock)
        {
            if (sink is null)
            {
                Console.Out.WriteLine(line);
            }
            else
            {
                sink(line);
            }
        }
    }

    public void Detail(string line)
    {
        if (Verbose)
        {
            Line(line);
        }
    }
}
