using System.Buffers.Text;
using System.Globalization;
using System.Net;
using System.Text;

namespace AlipayFunctions.Storage.Queues;

/// <summary>
/// Reads the Queue service's <c>QueueMessagesList</c> answer (Put Message, Get Messages, Peek Messages).
/// </summary>
/// <remarks>
/// The answer is small and of one fixed shape: a list of <c>QueueMessage</c> elements holding plain text elements
/// without attributes. It is read straight from the UTF-8 bytes, because an <c>XmlReader</c> costs about 10 µs and
/// 5.6 KB per answer, which was most of what the queue client added to a request (docs/benchmarks.md). Text is
/// XML-unescaped (the five named entities and character references); an answer that is not of that shape is
/// refused with a <see cref="FormatException"/> rather than read partly.
/// </remarks>
internal static class QueueXml
{
    internal sealed class WireMessage
    {
        public string MessageId = string.Empty;
        public string? PopReceipt;
        public string? MessageText;
        public long DequeueCount;
        public DateTimeOffset InsertionTime;
        public DateTimeOffset ExpirationTime;
        public DateTimeOffset NextVisibleTime;
    }

    public static List<WireMessage> ReadMessages(BinaryData content)
    {
        ArgumentNullException.ThrowIfNull(content);
        var rest = content.ToMemory().Span;
        if (rest.IndexOf("<QueueMessagesList"u8) < 0)
        {
            throw new FormatException("The Queue service answer holds no QueueMessagesList.");
        }

        var messages = new List<WireMessage>(1);
        while (rest.IndexOf("<QueueMessage>"u8) is var start and >= 0)
        {
            rest = rest[(start + "<QueueMessage>"u8.Length)..];
            var end = rest.IndexOf("</QueueMessage>"u8);
            if (end < 0)
            {
                throw new FormatException("A QueueMessage element of the Queue service answer is not closed.");
            }

            var element = rest[..end];
            messages.Add(new WireMessage
            {
                MessageId = Text(element, "MessageId"u8) ?? throw Missing("MessageId"),
                PopReceipt = Text(element, "PopReceipt"u8),
                MessageText = Text(element, "MessageText"u8),
                DequeueCount = Number(element, "DequeueCount"u8),
                InsertionTime = Date(element, "InsertionTime"u8),
                ExpirationTime = Date(element, "ExpirationTime"u8),
                NextVisibleTime = Date(element, "TimeNextVisible"u8),
            });
            rest = rest[(end + "</QueueMessage>"u8.Length)..];
        }

        return messages;
    }

    /// <summary>The service's RFC 1123 dates.</summary>
    public static DateTimeOffset ParseDate(string value) =>
        TryParseDate(value, out var date) ? date : throw new FormatException($"'{value}' is not an RFC 1123 date.");

    private static bool TryParseDate(string value, out DateTimeOffset date) =>
        DateTimeOffset.TryParseExact(value, "r", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out date);

    /// <summary>The unescaped text of child <paramref name="name"/>, empty for <c>&lt;name/&gt;</c>, null when absent.</summary>
    private static string? Text(ReadOnlySpan<byte> element, ReadOnlySpan<byte> name)
    {
        var raw = Raw(element, name, out var found);
        if (!found)
        {
            return null;
        }

        var text = Encoding.UTF8.GetString(raw);
        return raw.IndexOf((byte)'&') < 0 ? text : Unescape(text);
    }

    private static ReadOnlySpan<byte> Raw(ReadOnlySpan<byte> element, ReadOnlySpan<byte> name, out bool found)
    {
        Span<byte> tag = stackalloc byte[name.Length + 3];
        tag[0] = (byte)'<';
        name.CopyTo(tag[1..]);
        tag[name.Length + 1] = (byte)'/';
        tag[name.Length + 2] = (byte)'>';
        if (element.IndexOf(tag) >= 0)
        {
            found = true; // <name/>
            return default;
        }

        var open = element.IndexOf(tag[..(name.Length + 1)]);
        if (open < 0 || open + name.Length + 1 >= element.Length || element[open + name.Length + 1] != (byte)'>')
        {
            found = false;
            return default;
        }

        var value = element[(open + name.Length + 2)..];
        tag[1] = (byte)'/';
        name.CopyTo(tag[2..]);
        tag[name.Length + 2] = (byte)'>';
        var close = value.IndexOf(tag);
        if (close < 0)
        {
            throw new FormatException($"The {Encoding.UTF8.GetString(name)} element of the Queue service answer is not closed.");
        }

        found = true;
        return value[..close];
    }

    private static long Number(ReadOnlySpan<byte> element, ReadOnlySpan<byte> name)
    {
        var raw = Raw(element, name, out var found).Trim(" \t\r\n"u8);
        return !found ? 0
            : Utf8Parser.TryParse(raw, out long value, out var used) && used == raw.Length && value >= 0 ? value
            : throw new FormatException($"The {Encoding.UTF8.GetString(name)} of a queue message is not a count.");
    }

    private static DateTimeOffset Date(ReadOnlySpan<byte> element, ReadOnlySpan<byte> name)
    {
        var raw = Raw(element, name, out var found).Trim(" \t\r\n"u8);
        return !found ? default
            : TryParseDate(Encoding.UTF8.GetString(raw), out var value) ? value
            : throw new FormatException($"The {Encoding.UTF8.GetString(name)} of a queue message is not an RFC 1123 date.");
    }

    /// <summary>XML text unescaping: &amp;lt; &amp;gt; &amp;amp; &amp;quot; &amp;apos; and &amp;#…; / &amp;#x…; references.</summary>
    /// <remarks>Every XML escape is also an HTML one, and the service writes only XML escapes.</remarks>
    private static string Unescape(string text) => WebUtility.HtmlDecode(text);

    private static FormatException Missing(string name) => new($"A queue message in the Queue service answer has no {name}.");
}
