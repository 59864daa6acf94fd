using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace AlipayFunctions.Prove.BadInput;

/// <summary>One hostile or broken mini-app request, as the exact bytes sent.</summary>
/// <param name="Name">What is wrong with it.</param>
/// <param name="Request">The whole HTTP/1.1 request.</param>
/// <param name="ExpectedStatus">The status it must get.</param>
/// <param name="ExpectedCode">The <c>code</c> of the app's JSON error; null where the host answers (405) with no body of the app's.</param>
/// <param name="Signatures">Merchant signatures it may cost: 0, except a well-formed authCode AlipayHK has to refuse (1).</param>
public sealed record BadMiniAppRequest(string Name, byte[] Request, int ExpectedStatus, string? ExpectedCode, int Signatures = 0);

/// <summary>
/// The mini-app part of the bad-input corpus: <c>POST /miniapp/authorize</c> and <c>POST /miniapp/bills</c> with
/// bad or missing authCodes, bodies too large (with Content-Length and chunked), malformed JSON, wrong types, wrong
/// methods, missing or non-JSON content types (415, before the rate limit), and missing, garbled, forged, tampered or expired sessions. Every one is refused and
/// queues nothing; none costs a signature except the well-formed made-up authCode, which must reach AlipayHK to be
/// refused (one applyToken). Sessions are made here in the app's documented format
/// (<c>v1.{base64url userId}.{expiry}.{base64url HMAC-SHA256}</c>), with the run's secret where the case needs a
/// genuine one and with another secret to forge.
/// </summary>
public static class MiniAppCorpus
{
    public const string Authorize = "/miniapp/authorize";
    public const string Bills = "/miniapp/bills";

    /// <summary>The app's mini-app body limit (MiniAppService.MaxBodyBytes).</summary>
    public const int MaxBodyBytes = 16 * 1024;

    /// <summary>Builds the cases; <paramref name="sessionSecret"/> is the app's <c>MiniApp:SessionSecret</c>.</summary>
    public static IReadOnlyList<BadMiniAppRequest> Build(byte[] sessionSecret, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(sessionSecret);
        var cases = new List<BadMiniAppRequest>();
        const string json = "application/json";
        const string Unsupported = "UNSUPPORTED_MEDIA_TYPE";
        void Add(string name, int status, string? code, string method, string path, byte[] body, string? contentType = json, string? session = null, bool contentLength = true, int signatures = 0)
        {
            var headers = new List<(string, string)>();
            if (contentType is not null)
            {
                headers.Add(("Content-Type", contentType));
            }
            if (session is not null)
            {
                headers.Add(("Authorization", session));
            }
            cases.Add(new(name, Corpus.Raw(method, path, headers, body, contentLength), status, code, signatures));
        }

        // authorize: the authCode.
        Add("authorize: empty body", 400, "PARAM_ILLEGAL", "POST", Authorize, []);
        Add("authorize: {} (no authCode)", 400, "PARAM_ILLEGAL", "POST", Authorize, Utf8("{}"));
        Add("authorize: authCode empty", 400, "PARAM_ILLEGAL", "POST", Authorize, Utf8("""{"authCode":""}"""));
        Add("authorize: authCode blank", 400, "PARAM_ILLEGAL", "POST", Authorize, Utf8("""{"authCode":"   "}"""));
        Add("authorize: authCode null", 400, "PARAM_ILLEGAL", "POST", Authorize, Utf8("""{"authCode":null}"""));
        Add("authorize: authCode a number", 400, "PARAM_ILLEGAL", "POST", Authorize, Utf8("""{"authCode":12345}"""));
        Add("authorize: authCode an array", 400, "PARAM_ILLEGAL", "POST", Authorize, Utf8("""{"authCode":["a"]}"""));
        Add("authorize: authCode an object", 400, "PARAM_ILLEGAL", "POST", Authorize, Utf8("""{"authCode":{"code":"a"}}"""));
        Add("authorize: authCode over 512 characters", 400, "PARAM_ILLEGAL", "POST", Authorize, Utf8($$"""{"authCode":"{{new string('a', 513)}}"}"""));
        Add("authorize: truncated JSON", 400, "PARAM_ILLEGAL", "POST", Authorize, Utf8("""{"authCode":"abc"""));
        Add("authorize: JSON null", 400, "PARAM_ILLEGAL", "POST", Authorize, Utf8("null"));
        Add("authorize: JSON array", 400, "PARAM_ILLEGAL", "POST", Authorize, Utf8("""[{"authCode":"abc"}]"""));
        Add("authorize: deeply nested JSON (1,000 levels)", 400, "PARAM_ILLEGAL", "POST", Authorize, Utf8($$"""{"authCode":"abc","x":{{new string('[', 1_000)}}{{new string(']', 1_000)}}}"""));
        Add("authorize: invalid UTF-8", 400, "PARAM_ILLEGAL", "POST", Authorize, [.. Utf8("{\"authCode\":\"a"), 0xC3, 0x28, 0xFF, .. Utf8("\"}")]);
        Add("authorize: Content-Type application/json; charset=UTF-8 in capitals, {} (the type is fine: the body is refused)", 400, "PARAM_ILLEGAL", "POST", Authorize, Utf8("{}"), "APPLICATION/JSON; CHARSET=UTF-8");

        // authorize: the Content-Type, checked on the header before the body is read and before the rate limit.
        Add("authorize: form-urlencoded authCode=...", 415, Unsupported, "POST", Authorize, Utf8("authCode=abc"), "application/x-www-form-urlencoded");
        Add("authorize: text/plain body", 415, Unsupported, "POST", Authorize, Utf8("abc"), "text/plain");
        Add("authorize: no Content-Type, not JSON", 415, Unsupported, "POST", Authorize, Utf8("authCode abc"), contentType: null);
        Add("authorize: no Content-Type, a JSON body", 415, Unsupported, "POST", Authorize, Utf8("""{"authCode":"abc"}"""), contentType: null);
        Add("authorize: Content-Type application/jsonp", 415, Unsupported, "POST", Authorize, Utf8("""{"authCode":"abc"}"""), "application/jsonp");
        Add("authorize: Content-Type application/json-seq", 415, Unsupported, "POST", Authorize, Utf8("""{"authCode":"abc"}"""), "application/json-seq");
        Add("authorize: Content-Type text/json", 415, Unsupported, "POST", Authorize, Utf8("""{"authCode":"abc"}"""), "text/json");
        Add("authorize: a made-up authCode (AlipayHK refuses it: one applyToken)", 400, "INVALID_AUTHCODE", "POST", Authorize, Utf8("""{"authCode":"made-up-code-0001"}"""), signatures: 1);

        // authorize: sizes.
        var big = Utf8($$"""{"authCode":"abc","pad":"{{new string('a', MaxBodyBytes)}}"}""");
        var huge = Utf8($$"""{"authCode":"abc","pad":"{{new string('a', 2 * 1024 * 1024)}}"}""");
        Add("authorize: body over 16 KiB, with Content-Length", 413, "BODY_TOO_LARGE", "POST", Authorize, big);
        Add("authorize: body over 16 KiB, chunked (no Content-Length)", 413, "BODY_TOO_LARGE", "POST", Authorize, big, contentLength: false);
        Add("authorize: 2 MiB body, with Content-Length", 413, "BODY_TOO_LARGE", "POST", Authorize, huge);
        Add("authorize: 2 MiB body, chunked", 413, "BODY_TOO_LARGE", "POST", Authorize, huge, contentLength: false);

        // Methods (the host's 405: no function for them).
        foreach (var method in new[] { "GET", "PUT", "DELETE", "PATCH" })
        {
            Add($"authorize: {method}", 405, null, method, Authorize, method is "GET" or "DELETE" ? [] : Utf8("""{"authCode":"abc"}"""));
        }
        Add("bills: GET", 405, null, "GET", Bills, []);

        // bills: the session, checked before the body is read.
        var batch = Utf8("""{"batchNo":"BATCH-1"}""");
        var stranger = "2160" + RandomNumberGenerator.GetInt32(10_000_000, 99_999_999).ToString(CultureInfo.InvariantCulture) + "0000";
        var later = now.AddHours(1);
        var otherSecret = RandomNumberGenerator.GetBytes(32);
        Add("bills: no Authorization", 401, "INVALID_SESSION", "POST", Bills, batch);
        Add("bills: Basic credentials", 401, "INVALID_SESSION", "POST", Bills, batch, session: "Basic dXNlcjpwYXNz");
        Add("bills: Bearer with no token", 401, "INVALID_SESSION", "POST", Bills, batch, session: "Bearer ");
        Add("bills: Bearer garbage", 401, "INVALID_SESSION", "POST", Bills, batch, session: "Bearer not-a-session");
        Add("bills: session forged with another secret", 401, "INVALID_SESSION", "POST", Bills, batch, session: "Bearer " + Session(otherSecret, stranger, later));
        Add("bills: genuine session, expired a minute ago", 401, "INVALID_SESSION", "POST", Bills, batch, session: "Bearer " + Session(sessionSecret, stranger, now.AddMinutes(-1)));
        Add("bills: genuine session, user id swapped (MAC kept)", 401, "INVALID_SESSION", "POST", Bills, batch, session: "Bearer " + SwapUser(Session(sessionSecret, stranger, later), "2160000000000001"));
        Add("bills: genuine session, expiry extended (MAC kept)", 401, "INVALID_SESSION", "POST", Bills, batch, session: "Bearer " + SwapExpiry(Session(sessionSecret, stranger, now.AddMinutes(-1)), later));
        Add("bills: genuine MAC, version v2", 401, "INVALID_SESSION", "POST", Bills, batch, session: "Bearer " + Session(sessionSecret, stranger, later, "v2"));
        Add("bills: session without a MAC", 401, "INVALID_SESSION", "POST", Bills, batch, session: "Bearer " + Session(sessionSecret, stranger, later)[..^44]);
        Add("bills: session over 1 KiB", 401, "INVALID_SESSION", "POST", Bills, batch, session: "Bearer " + Session(sessionSecret, new string('1', 900), later));

        // bills: a genuine session of a user who never authorised, so the body checks are reached.
        var genuine = "Bearer " + Session(sessionSecret, stranger, later);
        Add("bills: genuine session, user never authorised", 401, "NOT_AUTHORIZED", "POST", Bills, batch, session: genuine);
        Add("bills: {} (no batchNo)", 400, "PARAM_ILLEGAL", "POST", Bills, Utf8("{}"), session: genuine);
        Add("bills: batchNo a number", 400, "PARAM_ILLEGAL", "POST", Bills, Utf8("""{"batchNo":42}"""), session: genuine);
        Add("bills: batchNo over 256 characters", 400, "PARAM_ILLEGAL", "POST", Bills, Utf8($$"""{"batchNo":"{{new string('B', 257)}}"}"""), session: genuine);
        Add("bills: malformed JSON", 400, "PARAM_ILLEGAL", "POST", Bills, Utf8("""{"batchNo":"""), session: genuine);
        Add("bills: form-urlencoded batchNo=...", 415, Unsupported, "POST", Bills, Utf8("batchNo=BATCH-1"), "application/x-www-form-urlencoded", session: genuine);
        Add("bills: no Content-Type, a JSON body", 415, Unsupported, "POST", Bills, batch, contentType: null, session: genuine);
        Add("bills: text/plain, no session (the type is checked before the session)", 415, Unsupported, "POST", Bills, batch, "text/plain");
        Add("bills: body over 16 KiB, with Content-Length", 413, "BODY_TOO_LARGE", "POST", Bills, Utf8($$"""{"batchNo":"{{new string('B', MaxBodyBytes)}}"}"""), session: genuine);
        Add("bills: body over 16 KiB, chunked", 413, "BODY_TOO_LARGE", "POST", Bills, Utf8($$"""{"batchNo":"{{new string('B', MaxBodyBytes)}}"}"""), session: genuine, contentLength: false);
        return cases;
    }

    /// <summary>A session token in the app's format, signed with <paramref name="secret"/>.</summary>
    public static string Session(byte[] secret, string userId, DateTimeOffset expires, string version = "v1")
    {
        var payload = string.Create(CultureInfo.InvariantCulture, $"{version}.{Base64Url.EncodeToString(Encoding.UTF8.GetBytes(userId))}.{expires.ToUnixTimeSeconds()}");
        return payload + "." + Base64Url.EncodeToString(HMACSHA256.HashData(secret, Encoding.UTF8.GetBytes(payload)));
    }

    private static string SwapUser(string token, string userId)
    {
        var parts = token.Split('.');
        parts[1] = Base64Url.EncodeToString(Encoding.UTF8.GetBytes(userId));
        return string.Join('.', parts);
    }

    private static string SwapExpiry(string token, DateTimeOffset expires)
    {
        var parts = token.Split('.');
        parts[2] = expires.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        return string.Join('.', parts);
    }

    private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);
}
