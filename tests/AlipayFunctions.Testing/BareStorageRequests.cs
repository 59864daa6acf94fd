using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;

namespace AlipayFunctions.Testing;

/// <summary>
/// Storage requests made with a bare <see cref="HttpClient"/> and hand-built Shared Key headers, independent of the
/// production clients: for tests that must put what the clients would not (raw message text) and for the
/// benchmarks' baseline.
/// </summary>
public sealed class BareStorageRequests
{
    private readonly Uri _queueEndpoint;
    private readonly Uri _tableEndpoint;
    private readonly byte[] _key = Convert.FromBase64String(AzuriteProcess.AccountKey);

    /// <summary>Creates requests for <paramref name="azurite"/>'s account.</summary>
    public BareStorageRequests(AzuriteProcess azurite)
        : this((azurite ?? throw new ArgumentNullException(nameof(azurite))).QueueEndpoint, azurite.TableEndpoint)
    {
    }

    /// <summary>Creates requests for the development account at these endpoints (each ending with <c>/</c>).</summary>
    public BareStorageRequests(Uri queueEndpoint, Uri tableEndpoint)
    {
        _queueEndpoint = queueEndpoint ?? throw new ArgumentNullException(nameof(queueEndpoint));
        _tableEndpoint = tableEndpoint ?? throw new ArgumentNullException(nameof(tableEndpoint));
    }

    /// <summary>A Shared Key signed Queue service request; <paramref name="relative"/> is relative to the queue endpoint (e.g. <c>q/messages?x=1</c>).</summary>
    public HttpRequestMessage Queue(HttpMethod method, string relative, string? xmlBody = null)
    {
        ArgumentNullException.ThrowIfNull(method);
        var uri = new Uri(_queueEndpoint, relative);
        var request = new HttpRequestMessage(method, uri);
        var date = DateTimeOffset.UtcNow.ToString("r", CultureInfo.InvariantCulture);
        request.Headers.Add("x-ms-date", date);
        request.Headers.Add("x-ms-version", "2025-05-05");
        long length = 0;
        var contentType = string.Empty;
        if (xmlBody is not null)
        {
            var bytes = Encoding.UTF8.GetBytes(xmlBody);
            length = bytes.Length;
            contentType = "application/xml";
            request.Content = new ByteArrayContent(bytes);
            request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        }

        var resource = new StringBuilder().Append('/').Append(AzuriteProcess.AccountName).Append(uri.AbsolutePath);
        foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries)
                     .Select(p => p.Split('=', 2))
                     .OrderBy(p => p[0], StringComparer.Ordinal))
        {
            resource.Append('\n').Append(Uri.UnescapeDataString(pair[0]).ToLowerInvariant()).Append(':')
                .Append(pair.Length > 1 ? Uri.UnescapeDataString(pair[1]) : string.Empty);
        }

        var stringToSign =
            $"{method.Method}\n\n\n{(length > 0 ? length.ToString(CultureInfo.InvariantCulture) : string.Empty)}\n\n{contentType}\n\n\n\n\n\n\n" +
            $"x-ms-date:{date}\nx-ms-version:2025-05-05\n{resource}";
        request.Headers.TryAddWithoutValidation("Authorization", $"SharedKey {AzuriteProcess.AccountName}:{Sign(stringToSign)}");
        return request;
    }

    /// <summary>A SharedKeyLite signed Table service JSON request; <paramref name="relative"/> is relative to the table endpoint.</summary>
    public HttpRequestMessage Table(HttpMethod method, string relative, string? jsonBody = null, string? ifMatch = null)
    {
        ArgumentNullException.ThrowIfNull(method);
        var uri = new Uri(_tableEndpoint, relative);
        var request = new HttpRequestMessage(method, uri);
        var date = DateTimeOffset.UtcNow.ToString("r", CultureInfo.InvariantCulture);
        request.Headers.Add("x-ms-date", date);
        request.Headers.Add("x-ms-version", "2020-12-06");
        request.Headers.Add("DataServiceVersion", "3.0");
        request.Headers.TryAddWithoutValidation("Accept", "application/json;odata=nometadata");
        request.Headers.Add("Prefer", "return-no-content");
        if (ifMatch is not null)
        {
            request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        }

        if (jsonBody is not null)
        {
            request.Content = new StringContent(jsonBody, Encoding.UTF8);
            request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse("application/json");
        }

        var stringToSign = $"{date}\n/{AzuriteProcess.AccountName}{uri.AbsolutePath}";
        request.Headers.TryAddWithoutValidation("Authorization", $"SharedKeyLite {AzuriteProcess.AccountName}:{Sign(stringToSign)}");
        return request;
    }

    /// <summary>The Put Message body for <paramref name="wireText"/> exactly as given (XML-escaped only).</summary>
    public static string PutMessageBody(string wireText) =>
        $"<QueueMessage><MessageText>{System.Security.SecurityElement.Escape(wireText)}</MessageText></QueueMessage>";

    private string Sign(string stringToSign) => Convert.ToBase64String(HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes(stringToSign)));
}
