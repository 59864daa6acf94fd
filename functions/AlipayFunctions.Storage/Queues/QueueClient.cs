using System.Buffers.Text;
using System.Globalization;
using System.Text;
using Azure.Core;
using AlipayFunctions.Storage.Pipeline;

namespace AlipayFunctions.Storage.Queues;

/// <summary>
/// One storage queue over the Queue service REST API (Put Message, Get Messages, Update Message, Delete Message).
/// Thread-safe; get it from <see cref="QueueServiceClient.GetQueueClient"/> and share it.
/// </summary>
public sealed class QueueClient : IQueueClient
{
    /// <summary>The largest message text the service accepts (64 KiB), i.e. 48 KiB of UTF-8 before base64.</summary>
    public const int MaxMessageTextLength = 64 * 1024;

    private static readonly TimeSpan MaxVisibility = TimeSpan.FromDays(7);
    // No XML declaration: the service does not need one (UTF-8 is the default), and Azurite takes 25-30 µs per
    // message to parse it, half of what the client added over a bare request in the paired benchmark.
    private static readonly byte[] BodyPrefix = "<QueueMessage><MessageText>"u8.ToArray();
    private static readonly byte[] BodySuffix = "</MessageText></QueueMessage>"u8.ToArray();

    private readonly StoragePipeline _pipeline;
    private readonly Uri _serviceEndpoint;
    private readonly Uri _queueUri;
    private readonly Uri _messagesUri;
    private QueueClient? _poisonQueue;

    internal QueueClient(StoragePipeline pipeline, Uri serviceEndpoint, string name)
    {
        _pipeline = pipeline;
        _serviceEndpoint = serviceEndpoint;
        Name = name;
        _queueUri = new Uri(serviceEndpoint, name);
        _messagesUri = new Uri(serviceEndpoint, name + "/messages");
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    public async Task CreateIfNotExistsAsync(CancellationToken cancellationToken = default)
    {
        // 201 created, 204 already there with the same (empty) metadata.
        using var message = _pipeline.CreateMessage(RequestMethod.Put, _queueUri);
        await _pipeline.SendAsync(message, "Create", cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public Task<SendReceipt> SendMessageAsync(string messageText, TimeSpan? visibilityDelay = null, TimeSpan? timeToLive = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messageText);
        var utf8Length = Encoding.UTF8.GetByteCount(messageText);
        var base64Length = Base64.GetMaxEncodedToUtf8Length(utf8Length);
        if (base64Length > MaxMessageTextLength)
        {
            throw new ArgumentException(
                $"The message is {utf8Length} bytes of UTF-8; base64 makes it {base64Length}, over the queue's {MaxMessageTextLength}-byte limit.",
                nameof(messageText));
        }

        // One allocation: the request body, with the UTF-8 text base64-encoded in place.
        var body = new byte[BodyPrefix.Length + base64Length + BodySuffix.Length];
        BodyPrefix.CopyTo(body, 0);
        var payload = body.AsSpan(BodyPrefix.Length, base64Length);
        var written = Encoding.UTF8.GetBytes(messageText, payload);
        Base64.EncodeToUtf8InPlace(payload, written, out _);
        BodySuffix.CopyTo(body, BodyPrefix.Length + base64Length);
        return PutAsync(body, visibilityDelay, timeToLive, cancellationToken);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<QueueMessage>> ReceiveMessagesAsync(int maxMessages, TimeSpan visibilityTimeout, CancellationToken cancellationToken = default)
    {
        ValidateCount(maxMessages);
        if (visibilityTimeout < TimeSpan.FromSeconds(1) || visibilityTimeout > MaxVisibility)
        {
            throw new ArgumentOutOfRangeException(nameof(visibilityTimeout), visibilityTimeout, "The visibility timeout must be between 1 second and 7 days.");
        }

        using var message = _pipeline.CreateMessage(RequestMethod.Get, _messagesUri);
        message.Request.Uri.AppendQuery("numofmessages", maxMessages.ToString(CultureInfo.InvariantCulture));
        message.Request.Uri.AppendQuery("visibilitytimeout", Seconds(visibilityTimeout));
        var response = await _pipeline.SendAsync(message, "ReceiveMessages", cancellationToken).ConfigureAwait(false);
        var wire = QueueXml.ReadMessages(response.Content);
        var messages = new QueueMessage[wire.Count];
        for (var i = 0; i < wire.Count; i++)
        {
            var m = wire[i];
            messages[i] = new QueueMessage(m.MessageId, m.PopReceipt ?? string.Empty, m.DequeueCount, m.InsertionTime, m.ExpirationTime, m.NextVisibleTime, m.MessageText ?? string.Empty);
        }

        return messages;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<PeekedMessage>> PeekMessagesAsync(int maxMessages, CancellationToken cancellationToken = default)
    {
        ValidateCount(maxMessages);
        using var message = _pipeline.CreateMessage(RequestMethod.Get, _messagesUri);
        message.Request.Uri.AppendQuery("peekonly", "true");
        message.Request.Uri.AppendQuery("numofmessages", maxMessages.ToString(CultureInfo.InvariantCulture));
        var response = await _pipeline.SendAsync(message, "PeekMessages", cancellationToken).ConfigureAwait(false);
        var wire = QueueXml.ReadMessages(response.Content);
        var messages = new PeekedMessage[wire.Count];
        for (var i = 0; i < wire.Count; i++)
        {
            var m = wire[i];
            messages[i] = new PeekedMessage(m.MessageId, m.DequeueCount, m.InsertionTime, m.ExpirationTime, m.MessageText ?? string.Empty);
        }

        return messages;
    }

    /// <inheritdoc />
    public async Task DeleteMessageAsync(string messageId, string popReceipt, CancellationToken cancellationToken = default)
    {
        using var message = CreateMessageRequest(RequestMethod.Delete, messageId, popReceipt);
        await _pipeline.SendAsync(message, "DeleteMessage", cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<UpdateReceipt> UpdateVisibilityAsync(string messageId, string popReceipt, TimeSpan visibilityTimeout, CancellationToken cancellationToken = default)
    {
        if (visibilityTimeout < TimeSpan.Zero || visibilityTimeout > MaxVisibility)
        {
            throw new ArgumentOutOfRangeException(nameof(visibilityTimeout), visibilityTimeout, "The visibility timeout must be between 0 and 7 days.");
        }

        using var message = CreateMessageRequest(RequestMethod.Put, messageId, popReceipt);
        message.Request.Uri.AppendQuery("visibilitytimeout", Seconds(visibilityTimeout));
        var response = await _pipeline.SendAsync(message, "UpdateMessage", cancellationToken).ConfigureAwait(false);
        if (!response.Headers.TryGetValue("x-ms-popreceipt", out var newReceipt)
            || !response.Headers.TryGetValue("x-ms-time-next-visible", out var nextVisible))
        {
            throw new StorageRequestException(response.Status, "The Update Message answer lacks x-ms-popreceipt or x-ms-time-next-visible.", requestId: response.Headers.RequestId);
        }

        return new UpdateReceipt(newReceipt, QueueXml.ParseDate(nextVisible));
    }

    /// <inheritdoc />
    public async Task<int> GetApproximateMessageCountAsync(CancellationToken cancellationToken = default)
    {
        using var message = _pipeline.CreateMessage(RequestMethod.Get, _queueUri);
        message.Request.Uri.AppendQuery("comp", "metadata");
        var response = await _pipeline.SendAsync(message, "GetProperties", cancellationToken).ConfigureAwait(false);
        return response.Headers.TryGetValue("x-ms-approximate-messages-count", out var count)
            && int.TryParse(count, NumberStyles.None, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new StorageRequestException(response.Status, "The Get Queue Metadata answer lacks x-ms-approximate-messages-count.", requestId: response.Headers.RequestId);
    }

    /// <inheritdoc />
    public async Task ClearAsync(CancellationToken cancellationToken = default)
    {
        using var message = _pipeline.CreateMessage(RequestMethod.Delete, _messagesUri);
        await _pipeline.SendAsync(message, "ClearMessages", cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task MoveToPoisonAsync(QueueMessage message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        var poison = _poisonQueue ??= new QueueClient(_pipeline, _serviceEndpoint, Name + "-poison");
        var body = WireTextBody(message.MessageText);

        // Poison messages wait for an operator, so they do not expire.
        try
        {
            await poison.PutAsync(body, visibilityDelay: null, TimeSpan.MaxValue, cancellationToken).ConfigureAwait(false);
        }
        catch (StorageRequestException ex) when (ex.IsNotFound)
        {
            await poison.CreateIfNotExistsAsync(cancellationToken).ConfigureAwait(false);
            await poison.PutAsync(body, visibilityDelay: null, TimeSpan.MaxValue, cancellationToken).ConfigureAwait(false);
        }

        await DeleteMessageAsync(message.MessageId, message.PopReceipt, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Checks the service's queue-name rules, leaving room for the "-poison" suffix.</summary>
    internal static void ValidateName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var valid = name.Length is >= 3 and <= 63
            && char.IsAsciiLetterOrDigit(name[0])
            && char.IsAsciiLetterOrDigit(name[^1])
            && !name.Contains("--", StringComparison.Ordinal);
        foreach (var c in name)
        {
            valid &= char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-';
        }

        if (!valid)
        {
            throw new ArgumentException(
                $"'{name}' is not a valid queue name: 3-63 lowercase letters, digits and single hyphens, starting and ending with a letter or digit.",
                nameof(name));
        }
    }

    /// <summary>A put body carrying <paramref name="wireText"/> as it is (XML-escaped).</summary>
    internal static byte[] WireTextBody(string wireText)
    {
        var escaped = new StringBuilder(wireText.Length + 16);
        foreach (var c in wireText)
        {
            _ = c switch
            {
                '&' => escaped.Append("&amp;"),
                '<' => escaped.Append("&lt;"),
                '>' => escaped.Append("&gt;"),
                '\r' => escaped.Append("&#xD;"),
                _ => escaped.Append(c),
            };
        }

        var text = escaped.ToString();
        var body = new byte[BodyPrefix.Length + Encoding.UTF8.GetByteCount(text) + BodySuffix.Length];
        BodyPrefix.CopyTo(body, 0);
        var written = Encoding.UTF8.GetBytes(text, body.AsSpan(BodyPrefix.Length));
        BodySuffix.CopyTo(body, BodyPrefix.Length + written);
        return body;
    }

    internal async Task<SendReceipt> PutAsync(byte[] body, TimeSpan? visibilityDelay, TimeSpan? timeToLive, CancellationToken cancellationToken)
    {
        using var message = _pipeline.CreateMessage(RequestMethod.Post, _messagesUri);
        if (visibilityDelay is { } delay)
        {
            if (delay < TimeSpan.Zero || delay > MaxVisibility)
            {
                throw new ArgumentOutOfRangeException(nameof(visibilityDelay), delay, "The visibility delay must be between 0 and 7 days.");
            }

            message.Request.Uri.AppendQuery("visibilitytimeout", Seconds(delay));
        }

        if (timeToLive is { } ttl)
        {
            if (ttl == TimeSpan.MaxValue || ttl == TimeSpan.FromSeconds(-1))
            {
                message.Request.Uri.AppendQuery("messagettl", "-1");
            }
            else if (ttl < TimeSpan.FromSeconds(1) || (visibilityDelay is { } d && ttl <= d))
            {
                throw new ArgumentOutOfRangeException(nameof(timeToLive), ttl, "The time to live must be at least 1 second and longer than the visibility delay (or TimeSpan.MaxValue for never).");
            }
            else
            {
                message.Request.Uri.AppendQuery("messagettl", Seconds(ttl));
            }
        }

        message.Request.Headers.SetValue(HttpHeader.Names.ContentType, "application/xml");
        message.Request.Content = RequestContent.Create(body);
        var response = await _pipeline.SendAsync(message, "SendMessage", cancellationToken).ConfigureAwait(false);
        var wire = QueueXml.ReadMessages(response.Content);
        if (wire.Count != 1)
        {
            throw new StorageRequestException(response.Status, "The Put Message answer did not describe exactly one message.", requestId: response.Headers.RequestId);
        }

        var m = wire[0];
        return new SendReceipt(m.MessageId, m.PopReceipt ?? string.Empty, m.InsertionTime, m.ExpirationTime, m.NextVisibleTime);
    }

    private HttpMessage CreateMessageRequest(RequestMethod method, string messageId, string popReceipt)
    {
        ArgumentException.ThrowIfNullOrEmpty(messageId);
        ArgumentException.ThrowIfNullOrEmpty(popReceipt);
        var message = _pipeline.CreateMessage(method, _messagesUri);
        message.Request.Uri.AppendPath("/", escape: false);
        message.Request.Uri.AppendPath(messageId, escape: true);
        message.Request.Uri.AppendQuery("popreceipt", popReceipt, escapeValue: true);
        return message;
    }

    private static void ValidateCount(int maxMessages)
    {
        if (maxMessages is < 1 or > 32)
        {
            throw new ArgumentOutOfRangeException(nameof(maxMessages), maxMessages, "A queue returns 1 to 32 messages per request.");
        }
    }

    private static string Seconds(TimeSpan value) => ((long)value.TotalSeconds).ToString(CultureInfo.InvariantCulture);
}
