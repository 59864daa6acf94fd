using AlipayFunctions.Storage.Queues;

namespace AlipayFunctions.Storage.Tests;

/// <summary>The QueueMessagesList reader on answers of every shape the service writes, and on broken ones.</summary>
public sealed class QueueXmlTests
{
    private const string One =
        "<?xml version=\"1.0\" encoding=\"utf-8\"?><QueueMessagesList><QueueMessage>" +
        "<MessageId>8b5d8a7e-1c3b</MessageId><InsertionTime>Wed, 02 Dec 2026 05:00:00 GMT</InsertionTime>" +
        "<ExpirationTime>Wed, 09 Dec 2026 05:00:00 GMT</ExpirationTime><PopReceipt>AgAAAAMAAAAAAAAA</PopReceipt>" +
        "<TimeNextVisible>Wed, 02 Dec 2026 05:00:30 GMT</TimeNextVisible><DequeueCount>3</DequeueCount>" +
        "<MessageText>eyJiaWxsTm8iOiJCLTEifQ==</MessageText></QueueMessage></QueueMessagesList>";

    private static List<QueueXml.WireMessage> Read(string xml) => QueueXml.ReadMessages(BinaryData.FromString(xml));

    [Fact]
    public void Every_field_of_a_message_is_read()
    {
        var message = Assert.Single(Read(One));

        Assert.Equal("8b5d8a7e-1c3b", message.MessageId);
        Assert.Equal("AgAAAAMAAAAAAAAA", message.PopReceipt);
        Assert.Equal("eyJiaWxsTm8iOiJCLTEifQ==", message.MessageText);
        Assert.Equal(3, message.DequeueCount);
        Assert.Equal(new DateTimeOffset(2026, 12, 2, 5, 0, 0, TimeSpan.Zero), message.InsertionTime);
        Assert.Equal(new DateTimeOffset(2026, 12, 9, 5, 0, 0, TimeSpan.Zero), message.ExpirationTime);
        Assert.Equal(new DateTimeOffset(2026, 12, 2, 5, 0, 30, TimeSpan.Zero), message.NextVisibleTime);
    }

    [Fact]
    public void Escaped_text_is_unescaped()
    {
        var xml = One.Replace("eyJiaWxsTm8iOiJCLTEifQ==", "a &amp; b &lt;c&gt; &quot;d&quot; &apos;e&apos; &#x41;&#66; 銅鑼灣", StringComparison.Ordinal);

        Assert.Equal("a & b <c> \"d\" 'e' AB 銅鑼灣", Assert.Single(Read(xml)).MessageText);
    }

    [Fact]
    public void Indented_answers_with_several_messages_are_read_in_order()
    {
        var xml = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<QueueMessagesList>\n" +
            string.Concat(Enumerable.Range(1, 3).Select(i =>
                $"  <QueueMessage>\n    <MessageId>m{i}</MessageId>\n    <DequeueCount>\n {i} \n</DequeueCount>\n    <MessageText>t{i}</MessageText>\n  </QueueMessage>\n")) +
            "</QueueMessagesList>";

        var messages = Read(xml);

        Assert.Equal(["m1", "m2", "m3"], messages.Select(m => m.MessageId));
        Assert.Equal([1L, 2L, 3L], messages.Select(m => m.DequeueCount));
        Assert.Equal(["t1", "t2", "t3"], messages.Select(m => m.MessageText));
    }

    [Fact]
    public void A_peeked_message_has_no_pop_receipt_and_an_empty_text_is_empty()
    {
        var xml = One.Replace("<PopReceipt>AgAAAAMAAAAAAAAA</PopReceipt>", string.Empty, StringComparison.Ordinal)
            .Replace("<MessageText>eyJiaWxsTm8iOiJCLTEifQ==</MessageText>", "<MessageText/>", StringComparison.Ordinal);

        var message = Assert.Single(Read(xml));

        Assert.Null(message.PopReceipt);
        Assert.Equal(string.Empty, message.MessageText);
    }

    [Theory]
    [InlineData("<?xml version=\"1.0\" encoding=\"utf-8\"?><QueueMessagesList />")]
    [InlineData("<QueueMessagesList></QueueMessagesList>")]
    public void An_empty_list_has_no_messages(string xml) => Assert.Empty(Read(xml));

    [Theory]
    [InlineData("")]
    [InlineData("<Error><Code>InternalError</Code></Error>")]
    public void An_answer_that_is_not_a_list_is_refused(string xml) => Assert.Throws<FormatException>(() => Read(xml));

    [Fact]
    public void A_truncated_answer_is_refused_not_read_partly()
    {
        Assert.Throws<FormatException>(() => Read(One[..(One.IndexOf("</QueueMessage>", StringComparison.Ordinal) - 5)]));
        Assert.Throws<FormatException>(() => Read(One.Replace("</MessageText>", string.Empty, StringComparison.Ordinal)));
    }

    [Theory]
    [InlineData("<MessageId>8b5d8a7e-1c3b</MessageId>", "")]
    [InlineData("<DequeueCount>3</DequeueCount>", "<DequeueCount>three</DequeueCount>")]
    [InlineData("<DequeueCount>3</DequeueCount>", "<DequeueCount>-3</DequeueCount>")]
    [InlineData("<InsertionTime>Wed, 02 Dec 2026 05:00:00 GMT</InsertionTime>", "<InsertionTime>2026-12-02</InsertionTime>")]
    public void A_message_without_its_id_or_with_a_bad_count_or_date_is_refused(string field, string replacement) =>
        Assert.Throws<FormatException>(() => Read(One.Replace(field, replacement, StringComparison.Ordinal)));
}
