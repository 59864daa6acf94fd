using System.Text;
using System.Text.RegularExpressions;
using AlipayFunctions.Testing;
using Microsoft.Extensions.Configuration;

namespace AlipayHK.Cli.Tests;

/// <summary>
/// Issue 15, "the README's examples run as written": every <c>alipayhk</c> command the README shows (the
/// <c>dotnet run --project tools/AlipayHK.Cli -- ...</c> lines of its code blocks and the <c>`alipayhk ...`</c> spans of
/// its text) parses against the CLI's real command tree without an error, so an example with an unknown or a missing
/// required option fails here, not only in the CI run of the README.
/// </summary>
public sealed partial class ReadmeExamplesTests
{
    private static readonly string Readme = File.ReadAllText(Path.Combine(AzuriteProcess.FindRepoRoot(), "README.md"));

    public static TheoryData<string> Examples()
    {
        var data = new TheoryData<string>();
        foreach (var example in Extract(Readme))
        {
            data.Add(example);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Examples))]
    public void The_README_example_parses_against_the_CLI(string example)
    {
        var errors = ParseErrors(example);

        Assert.True(errors.Count == 0, $"README example `alipayhk {example}`: {string.Join("; ", errors)}");
    }

    [Fact]
    public void The_README_examples_are_found_and_a_broken_one_would_fail()
    {
        var examples = Extract(Readme);

        // The four commands to run against the demo, and the operating text's own (replay, reset-card, keys, explain).
        Assert.Contains(examples, e => e.StartsWith("send bill-notify --url", StringComparison.Ordinal));
        Assert.Contains(examples, e => e.StartsWith("poison replay --queue bills --all", StringComparison.Ordinal));
        Assert.Contains(examples, e => e.StartsWith("member reset-card", StringComparison.Ordinal));
        Assert.True(examples.Count >= 10, string.Join('\n', examples));
        // The check can fail: the send example without its required --url, or with an option the CLI does not have.
        var send = examples.First(e => e.StartsWith("send bill-notify", StringComparison.Ordinal));
        Assert.NotEmpty(ParseErrors(UrlOption().Replace(send, "")));
        Assert.NotEmpty(ParseErrors(send + " --no-such-option"));
    }

    private static List<string> ParseErrors(string example)
    {
        var host = CliHost.ForWriters(TextWriter.Null, TextWriter.Null, new ConfigurationBuilder().Build());
        return [.. CliApp.BuildRoot(host).Parse(Tokenize(example)).Errors.Select(e => e.Message)];
    }

    /// <summary>The arguments after <c>alipayhk</c> of each example, in README order, each once.</summary>
    internal static List<string> Extract(string readme)
    {
        var found = new List<string>();
        var inCode = false;
        var text = new StringBuilder();
        foreach (var line in readme.Split('\n'))
        {
            if (line.TrimStart().StartsWith("```", StringComparison.Ordinal))
            {
                inCode = !inCode;
                continue;
            }
            if (inCode)
            {
                if (line.IndexOf(DotnetRun, StringComparison.Ordinal) is var at and >= 0)
                {
                    found.Add(line[(at + DotnetRun.Length)..].Trim());
                }
            }
            else
            {
                text.Append(line).Append(' ');
            }
        }
        // Inline code spans may break across lines; the text was joined above. Table cells (`keys generate --out DIR`)
        // are the syntax, not examples: only spans that start with alipayhk count.
        foreach (Match span in InlineExample().Matches(text.ToString()))
        {
            found.Add(Regex.Replace(span.Groups[1].Value, @"\s+", " ").Trim());
        }
        return [.. found.Distinct(StringComparer.Ordinal)];
    }

    private const string DotnetRun = "dotnet run --project tools/AlipayHK.Cli -- ";

    /// <summary>Splits as a shell does for these examples: whitespace, with single- or double-quoted words kept whole.</summary>
    internal static string[] Tokenize(string command)
    {
        var tokens = new List<string>();
        var current = new StringBuilder();
        var inToken = false;
        char? quote = null;
        foreach (var c in command)
        {
            if (quote is { } q)
            {
                if (c == q)
                {
                    quote = null;
                }
                else
                {
                    current.Append(c);
                }
            }
            else if (c is '"' or '\'')
            {
                quote = c;
                inToken = true;
            }
            else if (char.IsWhiteSpace(c))
            {
                if (inToken)
                {
                    tokens.Add(current.ToString());
                    current.Clear();
                    inToken = false;
                }
            }
            else
            {
                current.Append(c);
                inToken = true;
            }
        }
        if (inToken)
        {
            tokens.Add(current.ToString());
        }
        return [.. tokens];
    }

    [GeneratedRegex(@"`alipayhk\s+([^`]+)`")]
    private static partial Regex InlineExample();

    [GeneratedRegex(@"--url\s+""[^""]*""")]
    private static partial Regex UrlOption();
}
