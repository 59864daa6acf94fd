using System.Text;

namespace AlipayHK.Cli.Explain;

/// <summary>
/// A captured request or answer: <c>POST /path HTTP/1.1</c> (or <c>HTTP/1.1 200 OK</c>), headers, a blank line and
/// the body, whose bytes are kept exactly as they are in the file.
/// </summary>
internal sealed class CapturedMessage
{
    public string? Method { get; set; }

    public string? Path { get; set; }

    public bool IsResponse { get; set; }

    public Dictionary<string, string> Headers { get; } = new(StringComparer.OrdinalIgnoreCase);

    public byte[] Body { get; set; } = [];

    public string? Header(string name) => Headers.TryGetValue(name, out var value) ? value : null;

    public static CapturedMessage Parse(byte[] bytes)
    {
        var message = new CapturedMessage();
        var (headEnd, bodyStart) = FindBlankLine(bytes);
        var head = Encoding.UTF8.GetString(bytes, 0, headEnd);
        message.Body = bytes[bodyStart..];
        var lines = head.Split('\n').Select(l => l.TrimEnd('\r')).ToList();
        var first = lines.FirstOrDefault(l => !string.IsNullOrWhiteSpace(l));
        if (first is null)
        {
            return message;
        }
        var index = lines.IndexOf(first);
        var parts = first.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts[0].StartsWith("HTTP/", StringComparison.OrdinalIgnoreCase))
        {
            message.IsResponse = true;
        }
        else if (!first.Contains(':', StringComparison.Ordinal) || parts.Length >= 2 && parts[1].StartsWith('/'))
        {
            message.Method = parts[0].ToUpperInvariant();
            message.Path = parts.Length > 1 ? parts[1] : null;
        }
        else
        {
            index--; // no start line: the first line is already a header
        }
        foreach (var line in lines.Skip(index + 1))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0)
            {
                message.Headers[line[..colon].Trim()] = line[(colon + 1)..].Trim();
            }
        }
        return message;
    }

    private static (int HeadEnd, int BodyStart) FindBlankLine(byte[] bytes)
    {
        for (var i = 0; i < bytes.Length; i++)
        {
            if (bytes[i] != '\n')
            {
                continue;
            }
            if (i + 1 < bytes.Length && bytes[i + 1] == '\n')
            {
                return (i, i + 2);
            }
            if (i + 2 < bytes.Length && bytes[i + 1] == '\r' && bytes[i + 2] == '\n')
            {
                return (i, i + 3);
            }
        }
        return (bytes.Length, bytes.Length); // headers only
    }
}
