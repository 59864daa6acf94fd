using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Azure;
using Azure.Core;
using AlipayFunctions.Storage.Pipeline;

namespace AlipayFunctions.Storage.Tables;

/// <summary>
/// One storage table over the Table service REST API (JSON): Insert, Update, Merge, Delete and Query Entities and
/// entity-group transactions. Thread-safe; get it from <see cref="TableServiceClient.GetTableClient"/> and share it.
/// </summary>
public sealed class TableClient : ITableClient
{
    /// <summary>The most actions one entity-group transaction may hold.</summary>
    public const int MaxTransactionActions = 100;

    private const string MinimalMetadata = "application/json;odata=minimalmetadata";
    private const string NoMetadata = "application/json;odata=nometadata";
    private static readonly RequestMethod Merge = new("MERGE");
    private static readonly StatusCodeClassifier CreateClassifier = new(stackalloc ushort[] { 201, 204, 409 });
    private static readonly StatusCodeClassifier GetClassifier = new(stackalloc ushort[] { 200, 404 });

    private readonly StoragePipeline _pipeline;
    private readonly Uri _endpoint;
    private readonly Uri _tableUri;

    internal TableClient(StoragePipeline pipeline, Uri endpoint, string name)
    {
        _pipeline = pipeline;
        _endpoint = endpoint;
        Name = name;
        _tableUri = new Uri(endpoint, name);
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    public async Task CreateIfNotExistsAsync(CancellationToken cancellationToken = default)
    {
        using var message = _pipeline.CreateMessage(RequestMethod.Post, new Uri(_endpoint, "Tables"), CreateClassifier);
        SetJsonHeaders(message.Request, NoMetadata);
        SetJsonContent(message.Request, JsonSerializer.SerializeToUtf8Bytes(new TableNameBody(Name), TableNameBodyContext.Default.TableNameBody));
        var response = await _pipeline.SendAsync(message, "Create", cancellationToken).ConfigureAwait(false);
        if (response.Status == 409 && ErrorCode(response) != "TableAlreadyExists")
        {
            throw new StorageRequestException(response);
        }
    }

    /// <inheritdoc />
    public async Task<TableEntity?> GetEntityAsync(string partitionKey, string rowKey, CancellationToken cancellationToken = default)
    {
        using var message = _pipeline.CreateMessage(RequestMethod.Get, EntityUri(partitionKey, rowKey), GetClassifier);
        SetJsonHeaders(message.Request, MinimalMetadata);
        var response = await _pipeline.SendAsync(message, "GetEntity", cancellationToken).ConfigureAwait(false);
        if (response.Status == 404)
        {
            // A missing entity is an answer; a missing table is a fault.
            return ErrorCode(response) == "TableNotFound" ? throw new StorageRequestException(response) : null;
        }

        using var document = JsonDocument.Parse(response.Content.ToMemory());
        var entity = TableJson.Read(document.RootElement);
        if (response.Headers.ETag is { } etag)
        {
            entity.ETag = etag;
        }

        return entity;
    }

    /// <inheritdoc />
    public async Task<ETag> AddEntityAsync(TableEntity entity, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entity);
        using var message = _pipeline.CreateMessage(RequestMethod.Post, _tableUri);
        SetJsonHeaders(message.Request, NoMetadata);
        message.Request.Headers.SetValue("Prefer", "return-no-content");
        SetJsonContent(message.Request, TableJson.Write(entity));
        return StoreETag(entity, await _pipeline.SendAsync(message, "AddEntity", cancellationToken).ConfigureAwait(false));
    }

    /// <inheritdoc />
    public async Task<ETag> UpdateEntityAsync(TableEntity entity, ETag ifMatch, TableUpdateMode mode, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entity);
        var condition = ResolveIfMatch(entity, ifMatch);
        using var message = WriteMessage(entity, mode, condition);
        return StoreETag(entity, await _pipeline.SendAsync(message, "UpdateEntity", cancellationToken).ConfigureAwait(false));
    }

    /// <inheritdoc />
    public async Task<ETag> UpsertEntityAsync(TableEntity entity, TableUpdateMode mode, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entity);
        using var message = WriteMessage(entity, mode, ifMatch: null);
        return StoreETag(entity, await _pipeline.SendAsync(message, "UpsertEntity", cancellationToken).ConfigureAwait(false));
    }

    /// <inheritdoc />
    public async Task DeleteEntityAsync(string partitionKey, string rowKey, ETag ifMatch, CancellationToken cancellationToken = default)
    {
        if (ifMatch == default)
        {
            throw new ArgumentException("Pass the entity's ETag, or ETag.All to delete unconditionally.", nameof(ifMatch));
        }

        using var message = _pipeline.CreateMessage(RequestMethod.Delete, EntityUri(partitionKey, rowKey));
        SetJsonHeaders(message.Request, NoMetadata);
        message.Request.Headers.SetValue(HttpHeader.Names.IfMatch, ifMatch.ToString());
        await _pipeline.SendAsync(message, "DeleteEntity", cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<TableEntity> QueryAsync(string? filter = null, int? pageSize = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        if (pageSize is < 1 or > 1000)
        {
            throw new ArgumentOutOfRangeException(nameof(pageSize), pageSize, "A page holds 1 to 1000 entities.");
        }

        var queryUri = new Uri(_endpoint, Name + "()");
        string? nextPartition = null, nextRow = null;
        do
        {
            List<TableEntity> page;
            using (var message = _pipeline.CreateMessage(RequestMethod.Get, queryUri))
            {
                SetJsonHeaders(message.Request, MinimalMetadata);
                if (!string.IsNullOrEmpty(filter))
                {
                    message.Request.Uri.AppendQuery("$filter", filter, escapeValue: true);
                }

                if (pageSize is { } top)
                {
                    message.Request.Uri.AppendQuery("$top", top.ToString(CultureInfo.InvariantCulture));
                }

                if (nextPartition is not null)
                {
                    message.Request.Uri.AppendQuery("NextPartitionKey", nextPartition, escapeValue: true);
                }

                if (nextRow is not null)
                {
                    message.Request.Uri.AppendQuery("NextRowKey", nextRow, escapeValue: true);
                }

                var response = await _pipeline.SendAsync(message, "Query", cancellationToken).ConfigureAwait(false);
                response.Headers.TryGetValue("x-ms-continuation-NextPartitionKey", out nextPartition);
                response.Headers.TryGetValue("x-ms-continuation-NextRowKey", out nextRow);
                using var document = JsonDocument.Parse(response.Content.ToMemory());
                var values = document.RootElement.GetProperty("value");
                page = new List<TableEntity>(values.GetArrayLength());
                foreach (var item in values.EnumerateArray())
                {
                    page.Add(TableJson.Read(item));
                }
            }

            foreach (var entity in page)
            {
                yield return entity;
            }
        }
        while (nextPartition is not null || nextRow is not null);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<TableTransactionResult>> SubmitTransactionAsync(IEnumerable<TableTransactionAction> actions, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(actions);
        var list = actions.ToList();
        TableBatch.Validate(list);
        var batch = TableBatch.Build(_endpoint, Name, list, ResolveIfMatch);

        using var message = _pipeline.CreateMessage(RequestMethod.Post, new Uri(_endpoint, "$batch"));
        message.Request.Headers.SetValue(HttpHeader.Names.Accept, "application/json");
        message.Request.Headers.SetValue("DataServiceVersion", "3.0");
        message.Request.Headers.SetValue("MaxDataServiceVersion", "3.0;NetFx");
        message.Request.Headers.SetValue(HttpHeader.Names.ContentType, batch.ContentType);
        message.Request.Content = RequestContent.Create(batch.Body);
        var response = await _pipeline.SendAsync(message, "SubmitTransaction", cancellationToken).ConfigureAwait(false);
        return TableBatch.ReadResults(response, list.Count);
    }

    /// <summary>Table names: 3-63 letters and digits, starting with a letter.</summary>
    internal static void ValidateName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name.Length is < 3 or > 63 || !char.IsAsciiLetter(name[0]) || !name.All(char.IsAsciiLetterOrDigit)
            || name.Equals("tables", StringComparison.OrdinalIgnoreCase))
        {
            throw new ArgumentException($"'{name}' is not a valid table name: 3-63 letters and digits, starting with a letter.", nameof(name));
        }
    }

    /// <summary>An explicit If-Match, else the entity's own ETag; an update never silently becomes unconditional.</summary>
    private static ETag ResolveIfMatch(TableEntity entity, ETag ifMatch)
    {
        var resolved = ifMatch == default ? entity.ETag : ifMatch;
        return resolved == default
            ? throw new ArgumentException($"Updating '{entity.PartitionKey}'/'{entity.RowKey}' needs an ETag: read the entity first, or pass ETag.All to update unconditionally.", nameof(ifMatch))
            : resolved;
    }

    private HttpMessage WriteMessage(TableEntity entity, TableUpdateMode mode, ETag? ifMatch)
    {
        var message = _pipeline.CreateMessage(mode == TableUpdateMode.Merge ? Merge : RequestMethod.Put, EntityUri(entity.PartitionKey, entity.RowKey));
        SetJsonHeaders(message.Request, NoMetadata);
        if (ifMatch is { } condition)
        {
            message.Request.Headers.SetValue(HttpHeader.Names.IfMatch, condition.ToString());
        }

        SetJsonContent(message.Request, TableJson.Write(entity));
        return message;
    }

    private Uri EntityUri(string partitionKey, string rowKey) => new(_endpoint, TableKeys.EntityPath(Name, partitionKey, rowKey));

    private static void SetJsonHeaders(Request request, string accept)
    {
        request.Headers.SetValue(HttpHeader.Names.Accept, accept);
        request.Headers.SetValue("DataServiceVersion", "3.0");
        request.Headers.SetValue("MaxDataServiceVersion", "3.0;NetFx");
    }

    private static void SetJsonContent(Request request, byte[] json)
    {
        request.Headers.SetValue(HttpHeader.Names.ContentType, "application/json");
        request.Content = RequestContent.Create(json);
    }

    private static ETag StoreETag(TableEntity entity, Response response)
    {
        var etag = response.Headers.ETag ?? throw new StorageRequestException(response.Status, "The Table service answer has no ETag.", requestId: response.Headers.RequestId);
        entity.ETag = etag;
        return etag;
    }

    private static string? ErrorCode(Response response) =>
        response.Headers.TryGetValue("x-ms-error-code", out var code) ? code : StorageErrorParser.ParseBody(response.Content).Code;
}

internal sealed record TableNameBody(string TableName);

[System.Text.Json.Serialization.JsonSerializable(typeof(TableNameBody))]
internal sealed partial class TableNameBodyContext : System.Text.Json.Serialization.JsonSerializerContext;
