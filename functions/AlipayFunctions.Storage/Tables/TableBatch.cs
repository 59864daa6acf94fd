using System.Globalization;
using System.Text;
using Azure;
using AlipayFunctions.Storage.Pipeline;

namespace AlipayFunctions.Storage.Tables;

/// <summary>
/// Entity-group transactions (learn.microsoft.com "Performing entity group transactions"): a <c>multipart/mixed</c>
/// batch holding one changeset of <c>application/http</c> operations, and the matching multipart answer.
/// </summary>
internal static class TableBatch
{
    private const int MaxBodyBytes = 4 * 1024 * 1024;

    /// <summary>Azure's rules, checked here because Azurite accepts batches that span partitions.</summary>
    public static void Validate(List<TableTransactionAction> actions)
    {
        if (actions.Count is 0 or > TableClient.MaxTransactionActions)
        {
            throw new ArgumentException($"A transaction holds 1 to {TableClient.MaxTransactionActions} actions; this one has {actions.Count}.", nameof(actions));
        }

        var partition = actions[0]?.Entity?.PartitionKey;
        var rows = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < actions.Count; i++)
        {
            var action = actions[i] ?? throw new ArgumentException($"Action {i} is null.", nameof(actions));
            ArgumentNullException.ThrowIfNull(action.Entity, nameof(actions));
            if (!string.Equals(action.Entity.PartitionKey, partition, StringComparison.Ordinal))
            {
                throw new ArgumentException($"A transaction stays in one partition: action {i} is in another partition than action 0.", nameof(actions));
            }

            if (!rows.Add(action.Entity.RowKey))
            {
                throw new ArgumentException($"Action {i} touches a row an earlier action of the transaction already touches.", nameof(actions));
            }
        }
    }

    public static (string ContentType, byte[] Body) Build(Uri endpoint, string table, List<TableTransactionAction> actions, Func<TableEntity, ETag, ETag> resolveIfMatch)
    {
        var batch = "batch_" + Guid.NewGuid().ToString("N");
        var changeset = "changeset_" + Guid.NewGuid().ToString("N");
        var tableUrl = new Uri(endpoint, table).AbsoluteUri;
        using var body = new MemoryStream(512 * actions.Count);
        Ascii(body, $"--{batch}\r\nContent-Type: multipart/mixed; boundary={changeset}\r\n\r\n");
        for (var i = 0; i < actions.Count; i++)
        {
            var action = actions[i];
            var entity = action.Entity;
            var entityUrl = new Uri(endpoint, TableKeys.EntityPath(table, entity.PartitionKey, entity.RowKey)).AbsoluteUri;
            var (method, url, ifMatch, hasBody) = action.ActionType switch
            {
                TableTransactionActionType.Add => ("POST", tableUrl, (ETag?)null, true),
                TableTransactionActionType.UpdateMerge => ("MERGE", entityUrl, resolveIfMatch(entity, action.IfMatch), true),
                TableTransactionActionType.UpdateReplace => ("PUT", entityUrl, resolveIfMatch(entity, action.IfMatch), true),
                TableTransactionActionType.UpsertMerge => ("MERGE", entityUrl, null, true),
                TableTransactionActionType.UpsertReplace => ("PUT", entityUrl, null, true),
                TableTransactionActionType.Delete => ("DELETE", entityUrl, resolveIfMatch(entity, action.IfMatch), false),
                _ => throw new ArgumentException($"Action {i} has an unknown type {action.ActionType}.", nameof(actions)),
            };

            var part = new StringBuilder(256)
                .Append("--").Append(changeset).Append("\r\n")
                .Append("Content-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n\r\n")
                .Append(method).Append(' ').Append(url).Append(" HTTP/1.1\r\n")
                .Append("Content-ID: ").Append(i.ToString(CultureInfo.InvariantCulture)).Append("\r\n")
                .Append("Accept: application/json;odata=nometadata\r\nDataServiceVersion: 3.0\r\n");
            if (ifMatch is { } etag)
            {
                part.Append("If-Match: ").Append(etag.ToString()).Append("\r\n");
            }

            if (hasBody)
            {
                part.Append("Prefer: return-no-content\r\nContent-Type: application/json\r\n\r\n");
                Ascii(body, part.ToString());
                body.Write(TableJson.Write(entity));
                Ascii(body, "\r\n");
            }
            else
            {
                Ascii(body, part.Append("\r\n").ToString());
            }
        }

        Ascii(body, $"--{changeset}--\r\n--{batch}--\r\n");
        if (body.Length > MaxBodyBytes)
        {
            throw new ArgumentException($"The transaction is {body.Length} bytes; the service accepts at most 4 MiB.", nameof(actions));
        }

        return ($"multipart/mixed; boundary={batch}", body.ToArray());
    }

    /// <summary>Each operation's status and ETag; the first failed operation becomes a <see cref="StorageRequestException"/>.</summary>
    public static IReadOnlyList<TableTransactionResult> ReadResults(Response response, int count)
    {
        var parts = ParseParts(response.Content.ToString());
        for (var i = 0; i < parts.Count; i++)
        {
            var part = parts[i];
            if (part.Status < 400)
            {
                continue;
            }

            var (code, message) = StorageErrorParser.ParseBody(BinaryData.FromString(part.Body));
            var index = IndexFromMessage(message) ?? part.ContentId ?? (parts.Count == count ? i : null);
            throw new StorageRequestException(
                part.Status,
                $"The transaction failed at action {(index is null ? "?" : index.Value.ToString(CultureInfo.InvariantCulture))}: {part.Status} {code}. {message}",
                code,
                index,
                response.Headers.RequestId);
        }

        if (parts.Count != count)
        {
            throw new StorageRequestException(response.Status, $"The transaction answer holds {parts.Count} results for {count} actions.", requestId: response.Headers.RequestId);
        }

        var results = new TableTransactionResult[count];
        for (var i = 0; i < count; i++)
        {
            results[parts[i].ContentId is { } id && id >= 0 && id < count ? id : i] = new TableTransactionResult(parts[i].Status, parts[i].ETag is { } etag ? new ETag(etag) : default);
        }

        return results;
    }

    private sealed record Part(int Status, string? ETag, int? ContentId, string Body);

    private static List<Part> ParseParts(string content)
    {
        var parts = new List<Part>();
        var lines = content.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].TrimEnd('\r');
            if (!line.StartsWith("HTTP/1.1 ", StringComparison.Ordinal) || line.Length < 12)
            {
                continue;
            }

            var status = int.Parse(line.AsSpan(9, 3), NumberStyles.None, CultureInfo.InvariantCulture);
            string? etag = null;
            int? contentId = null;
            for (i++; i < lines.Length && lines[i].TrimEnd('\r').Length > 0; i++)
            {
                var header = lines[i].TrimEnd('\r');
                var colon = header.IndexOf(':', StringComparison.Ordinal);
                if (colon <= 0)
                {
                    continue;
                }

                var name = header.AsSpan(0, colon).Trim();
                var value = header[(colon + 1)..].Trim();
                if (name.Equals("ETag", StringComparison.OrdinalIgnoreCase))
                {
                    etag = value;
                }
                else if (name.Equals("Content-ID", StringComparison.OrdinalIgnoreCase) && int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var id))
                {
                    contentId = id;
                }
            }

            var body = new StringBuilder();
            for (i++; i < lines.Length && !lines[i].StartsWith("--", StringComparison.Ordinal); i++)
            {
                body.Append(lines[i].TrimEnd('\r'));
            }

            i--;
            parts.Add(new Part(status, etag, contentId, body.ToString()));
        }

        return parts;
    }

    /// <summary>Azure prefixes the failed operation's error message with its index: "1:The specified entity already exists.".</summary>
    private static int? IndexFromMessage(string? message)
    {
        if (message is null)
        {
            return null;
        }

        var colon = message.IndexOf(':', StringComparison.Ordinal);
        return colon > 0 && int.TryParse(message.AsSpan(0, colon), NumberStyles.None, CultureInfo.InvariantCulture, out var index) ? index : null;
    }

    private static void Ascii(Stream stream, string text) => stream.Write(Encoding.UTF8.GetBytes(text));
}
