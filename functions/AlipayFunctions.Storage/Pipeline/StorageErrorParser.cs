using System.Text.Json;
using System.Xml;
using Azure;
using Azure.Core;

namespace AlipayFunctions.Storage.Pipeline;

/// <summary>
/// Reads a storage error: the code from <c>x-ms-error-code</c>, else from the body (queue XML
/// <c>&lt;Error&gt;&lt;Code/&gt;&lt;Message/&gt;</c> or table JSON <c>{"odata.error":{"code","message":{"value"}}}</c>).
/// </summary>
internal sealed class StorageErrorParser : RequestFailedDetailsParser
{
    public static readonly StorageErrorParser Instance = new();

    public override bool TryParse(Response response, out ResponseError? error, out IDictionary<string, string>? data)
    {
        data = null;
        response.Headers.TryGetValue("x-ms-error-code", out var headerCode);
        var (bodyCode, message) = ParseBody(response.Content);
        var code = headerCode ?? bodyCode;
        error = code is null && message is null ? null : new ResponseError(code, message);
        return error is not null;
    }

    /// <summary>Parses an XML or JSON error body; (null, null) when it is neither.</summary>
    public static (string? Code, string? Message) ParseBody(BinaryData? body)
    {
        if (body is null)
        {
            return (null, null);
        }

        var span = body.ToMemory().Span.TrimStart(" \t\r\n\uFEFF"u8);
        try
        {
            if (span.Length > 0 && span[0] == (byte)'{')
            {
                return ParseJson(span);
            }

            if (span.Length > 0 && span[0] == (byte)'<')
            {
                return ParseXml(body);
            }
        }
        catch (Exception ex) when (ex is JsonException or XmlException)
        {
            // Not a storage error body (e.g. a proxy's page): the status code still tells what happened.
        }

        return (null, null);
    }

    private static (string?, string?) ParseJson(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json);
        using var document = JsonDocument.ParseValue(ref reader);
        var root = document.RootElement;
        if (!root.TryGetProperty("odata.error", out var odataError) && !root.TryGetProperty("error", out odataError))
        {
            return (null, null);
        }

        var code = odataError.TryGetProperty("code", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString() : null;
        string? message = null;
        if (odataError.TryGetProperty("message", out var m))
        {
            message = m.ValueKind switch
            {
                JsonValueKind.String => m.GetString(),
                JsonValueKind.Object when m.TryGetProperty("value", out var v) && v.ValueKind == JsonValueKind.String => v.GetString(),
                _ => null,
            };
        }

        return (code, message);
    }

    private static (string?, string?) ParseXml(BinaryData body)
    {
        string? code = null, message = null;
        using var reader = XmlReader.Create(body.ToStream(), XmlSettings.Reader);
        reader.MoveToContent();
        while (!reader.EOF)
        {
            if (reader.NodeType == XmlNodeType.Element && reader.LocalName == "Code")
            {
                code = reader.ReadElementContentAsString();
            }
            else if (reader.NodeType == XmlNodeType.Element && reader.LocalName == "Message")
            {
                message = reader.ReadElementContentAsString();
            }
            else
            {
                reader.Read();
            }
        }

        return (code, message);
    }
}

internal static class XmlSettings
{
    /// <summary>Safe, lean reader settings: no DTDs, no external resolution.</summary>
    public static readonly XmlReaderSettings Reader = new()
    {
        DtdProcessing = DtdProcessing.Prohibit,
        XmlResolver = null,
        IgnoreComments = true,
        IgnoreProcessingInstructions = true,
        IgnoreWhitespace = true,
        CloseInput = true,
    };
}
