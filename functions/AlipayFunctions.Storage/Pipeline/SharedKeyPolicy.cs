using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Azure.Core;
using Azure.Core.Pipeline;

namespace AlipayFunctions.Storage.Pipeline;

/// <summary>
/// Signs each attempt with the account key (learn.microsoft.com "Authorize with Shared Key"): <c>SharedKey</c>
/// for queues, <c>SharedKeyLite</c> for tables. Runs per retry so every attempt carries a fresh <c>x-ms-date</c>.
/// </summary>
internal sealed class SharedKeyPolicy : HttpPipelineSynchronousPolicy
{
    private readonly string _accountName;
    private readonly byte[] _accountKey;
    private readonly TimeProvider _timeProvider;
    private readonly bool _tableLite;

    public SharedKeyPolicy(string accountName, byte[] accountKey, TimeProvider timeProvider, bool tableLite)
    {
        _accountName = accountName;
        _accountKey = accountKey;
        _timeProvider = timeProvider;
        _tableLite = tableLite;
    }

    public override void OnSendingRequest(HttpMessage message)
    {
        var request = message.Request;
        var date = _timeProvider.GetUtcNow().ToString("r", CultureInfo.InvariantCulture);
        request.Headers.SetValue("x-ms-date", date);
        var stringToSign = _tableLite ? TableStringToSign(request, date) : QueueStringToSign(request);
        request.Headers.SetValue(
            HttpHeader.Names.Authorization,
            string.Concat(_tableLite ? "SharedKeyLite " : "SharedKey ", _accountName, ":", Sign(stringToSign)));
    }

    /// <summary>HMAC-SHA256 of the UTF-8 string to sign, base64.</summary>
    internal string Sign(string stringToSign)
    {
        var length = Encoding.UTF8.GetMaxByteCount(stringToSign.Length);
        var buffer = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            var written = Encoding.UTF8.GetBytes(stringToSign, buffer);
            Span<byte> hash = stackalloc byte[HMACSHA256.HashSizeInBytes];
            HMACSHA256.HashData(_accountKey, buffer.AsSpan(0, written), hash);
            return Convert.ToBase64String(hash);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private string QueueStringToSign(Request request)
    {
        var builder = new StringBuilder(256);
        builder.Append(request.Method.Method).Append('\n');
        builder.Append('\n'); // Content-Encoding: never sent
        builder.Append('\n'); // Content-Language: never sent
        if (request.Content is not null && request.Content.TryComputeLength(out var length) && length > 0)
        {
            builder.Append(length.ToString(CultureInfo.InvariantCulture));
        }

        builder.Append('\n');
        AppendHeader(builder, request, "Content-MD5");
        AppendHeader(builder, request, "Content-Type");
        builder.Append('\n'); // Date: empty, x-ms-date is signed below
        AppendHeader(builder, request, "If-Modified-Since");
        AppendHeader(builder, request, "If-Match");
        AppendHeader(builder, request, "If-None-Match");
        AppendHeader(builder, request, "If-Unmodified-Since");
        AppendHeader(builder, request, "Range");

        var msHeaders = new List<(string Name, string Value)>(4);
        foreach (var header in request.Headers)
        {
            if (header.Name.StartsWith("x-ms-", StringComparison.OrdinalIgnoreCase))
            {
                msHeaders.Add((header.Name.ToLowerInvariant(), header.Value.Trim()));
            }
        }

        msHeaders.Sort(static (a, b) => string.CompareOrdinal(a.Name, b.Name));
        foreach (var (name, value) in msHeaders)
        {
            builder.Append(name).Append(':').Append(value).Append('\n');
        }

        var uri = request.Uri.ToUri();
        builder.Append('/').Append(_accountName).Append(uri.AbsolutePath);
        if (uri.Query.Length > 1)
        {
            var parameters = new SortedDictionary<string, List<string>>(StringComparer.Ordinal);
            foreach (var pair in uri.Query.AsSpan(1).ToString().Split('&', StringSplitOptions.RemoveEmptyEntries))
            {
                var equals = pair.IndexOf('=', StringComparison.Ordinal);
                var name = Uri.UnescapeDataString(equals < 0 ? pair : pair[..equals]).ToLowerInvariant();
                var value = equals < 0 ? string.Empty : Uri.UnescapeDataString(pair[(equals + 1)..]);
                if (!parameters.TryGetValue(name, out var values))
                {
                    parameters[name] = values = new List<string>(1);
                }

                values.Add(value);
            }

            foreach (var (name, values) in parameters)
            {
                values.Sort(StringComparer.Ordinal);
                builder.Append('\n').Append(name).Append(':').AppendJoin(',', values);
            }
        }

        return builder.ToString();
    }

    private string TableStringToSign(Request request, string date)
    {
        var uri = request.Uri.ToUri();
        var resource = string.Concat(date, "\n/", _accountName, uri.AbsolutePath);
        var query = uri.Query;
        var comp = query.IndexOf("comp=", StringComparison.Ordinal);
        if (comp > 0 && (query[comp - 1] == '?' || query[comp - 1] == '&'))
        {
            var end = query.IndexOf('&', comp);
            resource = string.Concat(resource, "?comp=", Uri.UnescapeDataString(end < 0 ? query[(comp + 5)..] : query[(comp + 5)..end]));
        }

        return resource;
    }

    private static void AppendHeader(StringBuilder builder, Request request, string name)
    {
        if (request.Headers.TryGetValue(name, out var value))
        {
            builder.Append(value);
        }

        builder.Append('\n');
    }
}
