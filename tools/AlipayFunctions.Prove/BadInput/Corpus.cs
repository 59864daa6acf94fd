using System.Globalization;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using AlipayHK.OpenApi.Signing;

namespace AlipayFunctions.Prove.BadInput;

/// <summary>
/// One hostile or broken webhook, as the exact bytes of an HTTP/1.1 request (so that what no HTTP client would send,
/// such as a lying Content-Length, a broken chunk or a NUL in a header, can be sent).
/// </summary>
/// <param name="Name">What is wrong with it.</param>
/// <param name="Request">The whole request: request line, headers, body.</param>
/// <param name="ExpectedStatus">The 4xx it must get.</param>
public sealed record BadWebhook(string Name, byte[] Request, int ExpectedStatus);

/// <summary>
/// The bad-input corpus: more than 80 webhooks that must each be refused with a 4xx and queue nothing. Signed ones
/// are signed with the platform key exactly as AlipayHK signs (through <see cref="AlipayMessageSigner"/>), so that
/// a body problem is reached past the signature check. Built in code, not stored, because signatures depend on the
/// run's keys; any test can build it from a platform signer and replay it over a socket.
/// </summary>
public static class Corpus
{
    /// <summary>Builds the corpus for a merchant tag, signing as AlipayHK with <paramref name="platform"/>.</summary>
    /// <param name="platform">Signs as AlipayHK (its client id is the merchant's client id).</param>
    /// <param name="merchantTag">The app's <c>Webhooks:MerchantTag</c>.</param>
    /// <param name="maxBodyBytes">The app's <c>Webhooks:MaxBodyBytes</c> (64 KiB by default).</param>
    /// <param name="ct">Stops the signing.</param>
    public static async Task<IReadOnlyList<BadWebhook>> BuildAsync(AlipayMessageSigner platform, string merchantTag, int maxBodyBytes = 64 * 1024, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(platform);
        var bill = $"/{merchantTag}/points/bill/notify";
        var member = $"/{merchantTag}/points/membercard/create";
        var valid = Utf8(Bill());
        var signed = await platform.SignAsync(bill, valid, ct).ConfigureAwait(false);
        var cases = new List<BadWebhook>();

        void Add(string name, int status, string method, string path, byte[] body, IEnumerable<(string, string)> headers, bool contentLength = true) =>
            cases.Add(new BadWebhook(name, Raw(method, path, headers, body, contentLength), status));
        (string, string)[] Headers(SignedMessage s, string contentType = AlipayHeaders.JsonContentType) =>
            [("Content-Type", contentType), (AlipayHeaders.ClientId, s.ClientId), (AlipayHeaders.RequestTime, s.Time), (AlipayHeaders.Signature, s.Signature)];
        async Task AddSigned(string name, int status, byte[] body, string path = "", string contentType = AlipayHeaders.JsonContentType)
        {
            path = path.Length == 0 ? bill : path;
            var s = await platform.SignAsync(path, body, ct).ConfigureAwait(false);
            Add(name, status, "POST", path, body, Headers(s, contentType));
        }
        (string, string)[] Without(string header) => Headers(signed).Where(h => h.Item1 != header).ToArray();
        (string, string)[] Replace(string header, string value) => Headers(signed).Select(h => h.Item1 == header ? (h.Item1, value) : h).ToArray();

        // Signature and identity: 401 unauthenticated, 403 another merchant's client id.
        Add("no Signature header", 401, "POST", bill, valid, Without(AlipayHeaders.Signature));
        Add("empty Signature header", 401, "POST", bill, valid, Replace(AlipayHeaders.Signature, ""));
        Add("Signature without signature=", 401, "POST", bill, valid, Replace(AlipayHeaders.Signature, "algorithm=RSA256, keyVersion=1"));
        Add("signature not base64", 401, "POST", bill, valid, Replace(AlipayHeaders.Signature, "algorithm=RSA256, keyVersion=1, signature=!!!not*base64!!!"));
        Add("signature of the right length, random bytes", 401, "POST", bill, valid, Replace(AlipayHeaders.Signature, SignatureHeader.Format("1", RandomNumberGenerator.GetBytes(256))));
        Add("unknown algorithm label", 401, "POST", bill, valid, Replace(AlipayHeaders.Signature, signed.Signature.Replace("RSA256", "RSA512", StringComparison.Ordinal)));
        Add("altered body, replayed signature (amount raised)", 401, "POST", bill, Utf8(Bill(value: "99999999")), Headers(signed));
        Add("altered body, replayed signature (other user)", 401, "POST", bill, Utf8(Bill(user: "\"2160999999999999\"")), Headers(signed));
        Add("replayed signature, other Request-Time", 401, "POST", bill, valid, Replace(AlipayHeaders.RequestTime, AlipayTime.ToHeaderValue(DateTimeOffset.UtcNow.AddHours(-1))));
        Add("signature made for membercard/create, sent to bill/notify", 401, "POST", bill, valid, Headers(await platform.SignAsync(member, valid, ct).ConfigureAwait(false)));
        using (var strangerKey = RSA.Create(2048))
        using (var stranger = new PemAlipaySigner(strangerKey.ExportPkcs8PrivateKeyPem()))
        {
            var forged = await new AlipayMessageSigner(stranger, platform.ClientId, "1").SignAsync(bill, valid, ct).ConfigureAwait(false);
            Add("signed with another key", 401, "POST", bill, valid, Headers(forged));
        }
        Add("trailing space added after signing", 401, "POST", bill, [.. valid, (byte)' '], Headers(signed));
        Add("UTF-8 BOM added after signing", 401, "POST", bill, [0xEF, 0xBB, 0xBF, .. valid], Headers(signed));
        Add("re-encoded as UTF-16 after signing", 401, "POST", bill, Encoding.Unicode.GetBytes(Bill()), Replace("Content-Type", "application/json; charset=UTF-16"));
        Add("gzip body with Content-Encoding, signature over the plain body", 401, "POST", bill, Gzip(valid), [.. Headers(signed), ("Content-Encoding", "gzip")]);
        Add("no Client-Id", 401, "POST", bill, valid, Without(AlipayHeaders.ClientId));
        Add("wrong Client-Id", 403, "POST", bill, valid, Replace(AlipayHeaders.ClientId, "SOMEONE-ELSE"));
        Add("Client-Id in another case", 403, "POST", bill, valid, Replace(AlipayHeaders.ClientId, platform.ClientId.ToLowerInvariant()));
        Add("Client-Id with a suffix", 403, "POST", bill, valid, Replace(AlipayHeaders.ClientId, platform.ClientId + "X"));
        Add("Client-Id with URL-encoded CRLF injection", 403, "POST", bill, valid, Replace(AlipayHeaders.ClientId, platform.ClientId + "%0d%0aX-Injected:%201"));
        Add("no Request-Time", 401, "POST", bill, valid, Without(AlipayHeaders.RequestTime));
        Add("Request-Time not a time", 401, "POST", bill, valid, Replace(AlipayHeaders.RequestTime, "yesterday"));
        Add("forged Signature first, genuine second (two headers)", 401, "POST", bill, valid,
            [.. Without(AlipayHeaders.Signature), (AlipayHeaders.Signature, "algorithm=RSA256, keyVersion=1, signature=AAAA"), (AlipayHeaders.Signature, signed.Signature)]);

        // Header tricks Kestrel itself refuses (400).
        cases.Add(new("NUL byte in a header value", Patch(Raw("POST", bill, Headers(signed), valid, true), "Client-Id: ", "Client-Id: \0"), 400));
        cases.Add(new("obsolete folded header line", Patch(Raw("POST", bill, Headers(signed), valid, true), "Client-Id: ", "X-Fold: a\r\n b\r\nClient-Id: "), 400));
        cases.Add(new("header name with a space", Patch(Raw("POST", bill, Headers(signed), valid, true), "Client-Id: ", "Client Id: x\r\nClient-Id: "), 400));

        // Methods, content types, paths.
        foreach (var method in new[] { "GET", "PUT", "DELETE", "PATCH", "OPTIONS" })
        {
            Add($"{method} instead of POST", 405, method, bill, method is "GET" or "OPTIONS" or "DELETE" ? [] : valid, Headers(signed));
        }
        Add("Content-Type text/plain", 415, "POST", bill, valid, Replace("Content-Type", "text/plain"));
        Add("no Content-Type", 415, "POST", bill, valid, Without("Content-Type"));
        Add("Content-Type form-urlencoded", 415, "POST", bill, valid, Replace("Content-Type", "application/x-www-form-urlencoded"));
        Add("Content-Type multipart/form-data", 415, "POST", bill, valid, Replace("Content-Type", "multipart/form-data; boundary=x"));
        Add("Content-Type application/jsonp (prefix of application/json)", 415, "POST", bill, valid, Replace("Content-Type", "application/jsonp"));
        Add("unknown merchant tag", 404, "POST", "/someone-else/points/bill/notify", valid, Headers(signed));
        Add("merchant tag in another case", 404, "POST", bill.ToUpperInvariant(), valid, Headers(signed));
        Add("unknown webhook", 404, "POST", $"/{merchantTag}/points/bill/refund", valid, Headers(signed));
        Add("path traversal to /etc/passwd", 404, "POST", "/../../../../etc/passwd", valid, Headers(signed));
        Add("encoded path traversal", 404, "POST", $"/{merchantTag}/points/%2e%2e/%2e%2e/%2e%2e/etc/passwd", valid, Headers(signed));
        Add("encoded slashes", 404, "POST", $"/{merchantTag}%2Fpoints%2Fbill%2Fnotify", valid, Headers(signed));
        Add("traversal from the webhook to the counters", 405, "POST", $"/{merchantTag}/points/bill/notify/../../../../diagnostics/counters", valid, Headers(signed));

        // Bodies, signed as AlipayHK signs them, so the body checks are reached: 400 with a signed F answer.
        await AddSigned("empty body", 400, []).ConfigureAwait(false);
        await AddSigned("JSON null", 400, Utf8("null")).ConfigureAwait(false);
        await AddSigned("JSON array", 400, Utf8("[]")).ConfigureAwait(false);
        await AddSigned("JSON string", 400, Utf8("\"bill\"")).ConfigureAwait(false);
        await AddSigned("truncated JSON", 400, valid[..(valid.Length / 2)]).ConfigureAwait(false);
        await AddSigned("deeply nested JSON (10,000 levels)", 400, Utf8(Bill(extra: new string('[', 10_000) + new string(']', 10_000)))).ConfigureAwait(false);
        await AddSigned("nested JSON just past the depth limit (65 levels)", 400, Utf8(Bill(extra: new string('[', 65) + new string(']', 65)))).ConfigureAwait(false);
        await AddSigned("userId a number", 400, Utf8(Bill(user: "2160000000000001"))).ConfigureAwait(false);
        await AddSigned("userId empty", 400, Utf8(Bill(user: "\"\""))).ConfigureAwait(false);
        await AddSigned("billNo an object", 400, Utf8(Bill(billNo: "{\"no\":1}"))).ConfigureAwait(false);
        await AddSigned("billNo missing", 400, Utf8(Bill(billNo: null))).ConfigureAwait(false);
        await AddSigned("orderAmount a string", 400, Utf8(Bill(amount: "\"100 HKD\""))).ConfigureAwait(false);
        await AddSigned("orderAmount missing", 400, Utf8(Bill(amount: null))).ConfigureAwait(false);
        await AddSigned("value not a number", 400, Utf8(Bill(value: "\"abc\""))).ConfigureAwait(false);
        await AddSigned("value a fraction", 400, Utf8(Bill(value: "1.5"))).ConfigureAwait(false);
        await AddSigned("value negative", 400, Utf8(Bill(value: "-100"))).ConfigureAwait(false);
        await AddSigned("value beyond 64 bits", 400, Utf8(Bill(value: "1e30"))).ConfigureAwait(false);
        await AddSigned("value true", 400, Utf8(Bill(value: "true"))).ConfigureAwait(false);
        await AddSigned("currency missing", 400, Utf8(Bill(amount: "{\"value\":100}"))).ConfigureAwait(false);
        await AddSigned("payTime not a time", 400, Utf8(Bill(payTime: "\"soon\""))).ConfigureAwait(false);
        await AddSigned("pointsProvider unknown", 400, Utf8(Bill(provider: "\"ACME\""))).ConfigureAwait(false);
        await AddSigned("invalid UTF-8 in a string", 400, [.. Utf8("{\"userId\":\"2160"), 0xC3, 0x28, 0xFF, .. Utf8("\"}")]).ConfigureAwait(false);
        await AddSigned("raw NUL byte inside a string", 400, Utf8(Bill(billNo: "\"A\0B\""))).ConfigureAwait(false);
        await AddSigned("NUL bytes instead of a body", 400, new byte[64]).ConfigureAwait(false);
        await AddSigned("UTF-16 body (signed as sent)", 400, Encoding.Unicode.GetBytes(Bill())).ConfigureAwait(false);
        await AddSigned("UTF-16 body with BOM (signed as sent)", 400, [0xFF, 0xFE, .. Encoding.Unicode.GetBytes(Bill())]).ConfigureAwait(false);
        await AddSigned("membercard/create without userId", 400, Utf8("{\"mobileNo\":\"85200000000\"}"), member).ConfigureAwait(false);
        await AddSigned("membercard/create userId an array", 400, Utf8("{\"userId\":[\"2160000000000001\"]}"), member).ConfigureAwait(false);
        Add("membercard/create unsigned", 401, "POST", member, Utf8("{\"userId\":\"2160000000000001\"}"), [("Content-Type", AlipayHeaders.JsonContentType), (AlipayHeaders.ClientId, platform.ClientId)]);

        // Replays, encrypted bodies and values no table can store: genuinely signed, refused all the same, nothing queued.
        var now = platform.Clock.GetUtcNow();
        foreach (var (name, time) in new[] { ("a genuine bill signed two days ago (replay)", now.AddDays(-2)), ("a genuine bill signed an hour ahead", now.AddHours(1)) })
        {
            Add(name, 401, "POST", bill, valid, Headers(await platform.SignAsync(bill, valid, AlipayTime.ToHeaderValue(time), ct).ConfigureAwait(false)));
        }
        Add("Encrypt header on a genuinely signed bill", 400, "POST", bill, valid, [.. Headers(signed), ("Encrypt", "algorithm=RSA_AES, keyVersion=1, symmetricKey=c2VjcmV0")]);
        await AddSigned("userId with a slash (not a table key)", 400, Utf8(Bill(user: "\"2160/000000000001\""))).ConfigureAwait(false);
        await AddSigned("userId with a hash", 400, Utf8(Bill(user: "\"2160#000000000001\""))).ConfigureAwait(false);
        await AddSigned("userId with a control character", 400, Utf8(Bill(user: "\"2160\\u0001000000000001\""))).ConfigureAwait(false);
        await AddSigned("userId over 512 characters", 400, Utf8(Bill(user: "\"" + new string('1', 600) + "\""))).ConfigureAwait(false);
        await AddSigned("membercard/create userId with a question mark", 400, Utf8("{\"userId\":\"2160?00000000001\"}"), member).ConfigureAwait(false);

        // Sizes and framing.
        var big = Utf8(Bill(extra: "\"" + new string('x', maxBodyBytes) + "\""));
        var huge = Utf8(Bill(extra: "\"" + new string('x', 2 * 1024 * 1024) + "\""));
        await AddSigned("body over the limit, with Content-Length", 413, big).ConfigureAwait(false);
        Add("2 MiB body, with Content-Length", 413, "POST", bill, huge, Headers(signed));
        Add("body over the limit, chunked (no Content-Length)", 413, "POST", bill, big, Headers(signed), contentLength: false);
        Add("2 MiB body, chunked (no Content-Length)", 413, "POST", bill, huge, Headers(signed), contentLength: false);
        cases.Add(new("Content-Length shorter than the body", Patch(Raw("POST", bill, Headers(signed), valid, true), $"Content-Length: {valid.Length}", "Content-Length: 10"), 401));
        cases.Add(new("Content-Length not a number", Patch(Raw("POST", bill, Headers(signed), valid, true), $"Content-Length: {valid.Length}", "Content-Length: ten"), 400));
        cases.Add(new("broken chunk size", Patch(Raw("POST", bill, Headers(signed), valid, false), "\r\n\r\n", "\r\n\r\nZZ\r\n"), 400));
        return cases;
    }

    /// <summary>A bill/notify body; each argument replaces one field's raw JSON (null leaves the field out).</summary>
    private static string Bill(string? user = "\"2160000000000001\"", string? billNo = "\"BAD-INPUT-1\"", string? amount = "", string value = "10000",
        string? payTime = "\"2026-05-01T10:00:00+08:00\"", string? provider = "\"ALIPAYHK\"", string? extra = null)
    {
        var fields = new List<string>();
        void Field(string name, string? json)
        {
            if (json is not null)
            {
                fields.Add($"\"{name}\":{json}");
            }
        }
        Field("userId", user);
        Field("billNo", billNo);
        Field("orderAmount", amount == "" ? $"{{\"currency\":\"HKD\",\"value\":{value}}}" : amount);
        Field("payTime", payTime);
        Field("pointsProvider", provider);
        Field("extra", extra);
        return "{" + string.Join(',', fields) + "}";
    }

    private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    private static byte[] Gzip(byte[] data)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest))
        {
            gzip.Write(data);
        }
        return output.ToArray();
    }

    // Replaces the first occurrence of an ASCII text in the request's head.
    private static byte[] Patch(byte[] request, string find, string replace)
    {
        var text = Encoding.Latin1.GetString(request);
        var at = text.IndexOf(find, StringComparison.Ordinal);
        return at < 0 ? request : Encoding.Latin1.GetBytes(string.Concat(text.AsSpan(0, at), replace, text.AsSpan(at + find.Length)));
    }

    /// <summary>An HTTP/1.1 request as bytes; <paramref name="contentLength"/> false sends the body chunked.</summary>
    public static byte[] Raw(string method, string target, IEnumerable<(string Name, string Value)> headers, byte[] body, bool contentLength)
    {
        ArgumentNullException.ThrowIfNull(headers);
        ArgumentNullException.ThrowIfNull(body);
        var head = new StringBuilder();
        head.Append(CultureInfo.InvariantCulture, $"{method} {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n");
        foreach (var (name, value) in headers)
        {
            head.Append(CultureInfo.InvariantCulture, $"{name}: {value}\r\n");
        }
        using var request = new MemoryStream();
        if (contentLength)
        {
            if (body.Length > 0 || method is "POST" or "PUT" or "PATCH")
            {
                head.Append(CultureInfo.InvariantCulture, $"Content-Length: {body.Length}\r\n");
            }
            request.Write(Encoding.Latin1.GetBytes(head.Append("\r\n").ToString()));
            request.Write(body);
        }
        else
        {
            request.Write(Encoding.Latin1.GetBytes(head.Append("Transfer-Encoding: chunked\r\n\r\n").ToString()));
            for (var offset = 0; offset < body.Length; offset += 8192)
            {
                var size = Math.Min(8192, body.Length - offset);
                request.Write(Encoding.ASCII.GetBytes(size.ToString("x", CultureInfo.InvariantCulture) + "\r\n"));
                request.Write(body, offset, size);
                request.Write("\r\n"u8);
            }
            request.Write("0\r\n\r\n"u8);
        }
        return request.ToArray();
    }
}
