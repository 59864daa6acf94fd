namespace AlipayHK.OpenApi.Signing;

/// <summary>
/// Signs outgoing messages, requests to AlipayHK and answers to its webhooks alike: stamps the time, builds the
/// string-to-sign over the exact body bytes and formats the <c>Signature</c> header. Thread-safe.
/// </summary>
public sealed class AlipayMessageSigner
{
    private readonly IAlipaySigner _signer;
    private readonly TimeProvider _clock;

    /// <summary>Creates a message signer.</summary>
    /// <param name="signer">The merchant key (PEM locally, Key Vault in production).</param>
    /// <param name="clientId">The client id AlipayHK assigned.</param>
    /// <param name="keyVersion">The key version registered with AlipayHK.</param>
    /// <param name="clock">The clock for <c>Request-Time</c>/<c>Response-Time</c>; <see cref="TimeProvider.System"/> when null.</param>
    public AlipayMessageSigner(IAlipaySigner signer, string clientId, string keyVersion, TimeProvider? clock = null)
    {
        ArgumentNullException.ThrowIfNull(signer);
        ArgumentException.ThrowIfNullOrWhiteSpace(clientId);
        ArgumentException.ThrowIfNullOrWhiteSpace(keyVersion);
        _signer = signer;
        ClientId = clientId;
        KeyVersion = keyVersion;
        _clock = clock ?? TimeProvider.System;
    }

    /// <summary>The client id written into every signed message.</summary>
    public string ClientId { get; }

    /// <summary>The key version written into every <c>Signature</c> header.</summary>
    public string KeyVersion { get; }

    /// <summary>The clock that stamps messages.</summary>
    public TimeProvider Clock => _clock;

    /// <summary>Signs <paramref name="body"/> for <c>POST <paramref name="path"/></c> at the current time.</summary>
    public ValueTask<SignedMessage> SignAsync(string path, ReadOnlyMemory<byte> body, CancellationToken cancellationToken = default) =>
        SignAsync(path, body, AlipayTime.ToHeaderValue(_clock.GetUtcNow()), cancellationToken);

    /// <summary>Signs <paramref name="body"/> for <c>POST <paramref name="path"/></c> with a given time header value.</summary>
    public async ValueTask<SignedMessage> SignAsync(string path, ReadOnlyMemory<byte> body, string time, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var data = StringToSign.Build("POST", path, ClientId, time, body.Span);
        var signature = await _signer.SignAsync(data, cancellationToken).ConfigureAwait(false);
        return new SignedMessage(body, ClientId, time, SignatureHeader.Format(KeyVersion, signature));
    }
}

/// <summary>A message ready to send: the exact body bytes and the headers that sign them.</summary>
/// <param name="Body">The bytes to put on the wire, unchanged.</param>
/// <param name="ClientId">The <c>Client-Id</c> header.</param>
/// <param name="Time">The <c>Request-Time</c> (requests) or <c>Response-Time</c> (answers) header.</param>
/// <param name="Signature">The <c>Signature</c> header.</param>
public sealed record SignedMessage(ReadOnlyMemory<byte> Body, string ClientId, string Time, string Signature);
