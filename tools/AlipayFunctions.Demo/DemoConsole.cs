namespace AlipayFunctions.Demo;

/// <summary>
/// The demo's output. Plain lines that read the same in a terminal, a log file and a CI log: colour only when
/// standard output is a terminal (and NO_COLOR is not set), never hyperlinks or progress redraws, and each step
/// printed once, when it is done.
/// </summary>
internal sealed class DemoConsole(TextWriter output, bool colour)
{
    public static DemoConsole ForProcess() => new(Console.Out,
        !Console.IsOutputRedirected && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("NO_COLOR")) && Environment.GetEnvironmentVariable("TERM") is not (null or "dumb"));

    public void Line(string text = "") => output.WriteLine(text);

    /// <summary>A finished step: "[2/4] what ... done: outcome".</summary>
    public void Step(int number, int of, string what, string outcome) => output.WriteLine($"[{number}/{of}] {what} ... {Green("done")}: {outcome}");

    public void Success(string text) => output.WriteLine(Green(text));

    public void Failure(string text) => output.WriteLine(colour ? $"\u001b[31m{text}\u001b[0m" : text);

    private string Green(string text) => colour ? $"\u001b[32m{text}\u001b[0m" : text;
}
