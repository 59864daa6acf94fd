using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using AlipayHK.OpenApi.Client;
using AlipayHK.OpenApi.Signing;

namespace AlipayHK.Cli.Explain;

/// <summary>One candidate value for a part of the string-to-sign, with what it would mean if it verified.</summary>
internal sealed record Candidate<T>(T Value, string? Change)
{
    public bool IsAsCaptured => Change is null;
}

/// <summary>A public key to try, with where it came from.</summary>
internal sealed record NamedKey(string Label, RSA Key);

/// <summary>A combination that verifies.</summary>
internal sealed record VerifyingVariant(NamedKey Key, string Path, string ClientId, string Time, byte[] Body, IReadOnlyList<string> Changes)
{
    public byte[] StringToSign => AlipayHK.OpenApi.Signing.StringToSign.Build("POST", Path, ClientId, Time, Body);
}

/// <summary>
/// Finds why a signature does not verify: tries the usual suspects (path with or without a gateway prefix, a body
/// re-serialised or pretty-printed, Request-Time versus Response-Time, the other client id, another key, a
/// mangled signature value) and reports every combination that verifies, fewest changes first.
/// </summary>
internal static class SignatureDiagnosis
{
    public static IEnumerable<Candidate<string>> Paths(string path, IEnumerable<string> prefixes)
    {
        yield return new(path, null);
        var bare = path;
        if (Uri.TryCreate(path, UriKind.Absolute, out var absolute) && absolute.Scheme.StartsWith("http", StringComparison.Ordinal))
        {
            bare = absolute.AbsolutePath;
            yield return new(bare, "path only (without scheme, host and query)");
        }
        else if (path.IndexOf('?', StringComparison.Ordinal) is var q and >= 0)
        {
            bare = path[..q];
            yield return new(bare, "path without the query string");
        }
        if (bare.Contains('%', StringComparison.Ordinal) && Uri.UnescapeDataString(bare) is var unescaped && unescaped != bare)
        {
            yield return new(unescaped, "path URL-decoded");
        }
        yield return bare.EndsWith('/') ? new(bare.TrimEnd('/'), "path without the trailing '/'") : new(bare + "/", "path with a trailing '/'");
        // A gateway or route prefix in front of the app: the sender may have signed a shorter path.
        var segments = bare.Split('/', StringSplitOptions.RemoveEmptyEntries);
        for (var i = 1; i < segments.Length; i++)
        {
            var prefix = "/" + string.Join('/', segments[..i]);
            yield return new("/" + string.Join('/', segments[i..]), $"path without the prefix '{prefix}' (a gateway or route prefix the signer did not see)");
        }
        foreach (var prefix in prefixes.Where(p => !string.IsNullOrWhiteSpace(p)).Select(p => "/" + p.Trim('/')))
        {
            if (!bare.StartsWith(prefix + "/", StringComparison.Ordinal))
            {
                yield return new(prefix + bare, $"path with the gateway prefix '{prefix}' (the public path registered with AlipayHK)");
            }
        }
        // A bare API name (".../createPass") for one of the documented API paths.
        foreach (var api in KnownApiPaths())
        {
            if (api != bare && (api.EndsWith(bare, StringComparison.Ordinal) || bare.EndsWith(api, StringComparison.Ordinal)))
            {
                yield return new(api, $"the documented API path {api}");
            }
        }
    }

    public static IEnumerable<Candidate<byte[]>> Bodies(byte[] body)
    {
        yield return new(body, null);
        var trimmed = body.AsSpan().TrimEnd("\r\n"u8).ToArray();
        if (trimmed.Length != body.Length)
        {
            yield return new(trimmed, "body without the trailing newline (added by the capture or an editor)");
        }
        if (body.AsSpan().IndexOf("\r\n"u8) >= 0)
        {
            yield return new(Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(body).Replace("\r\n", "\n", StringComparison.Ordinal)), "body with CRLF line ends turned into LF");
        }
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(trimmed);
        }
        catch (JsonException)
        {
            yield break;
        }
        using (document)
        {
            var seen = new HashSet<string> { Convert.ToBase64String(body), Convert.ToBase64String(trimmed) };
            foreach (var (indented, encoder, change) in new (bool, JavaScriptEncoder, string)[]
            {
                (false, JavaScriptEncoder.UnsafeRelaxedJsonEscaping, "body compacted (it was re-serialised or pretty-printed after signing)"),
                (false, JavaScriptEncoder.Default, "body compacted with non-ASCII escaped as \\uXXXX (re-serialised by a JSON library)"),
                (true, JavaScriptEncoder.UnsafeRelaxedJsonEscaping, "body pretty-printed (the signer signed an indented body)"),
            })
            {
                using var buffer = new MemoryStream();
                using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = indented, Encoder = encoder }))
                {
                    document.WriteTo(writer);
                }
                var bytes = buffer.ToArray();
                if (seen.Add(Convert.ToBase64String(bytes)))
                {
                    yield return new(bytes, change);
                }
            }
        }
    }

    /// <summary>Signature bytes from the header: as the app decodes it, then the usual manglings.</summary>
    public static IEnumerable<Candidate<byte[]>> Signatures(string header)
    {
        if (SignatureHeader.TryParse(header, out var parsed, out _))
        {
            yield return new(Convert.FromBase64String(parsed!.SignatureBase64), null);
        }
        var raw = RawValue(header, "signature");
        if (raw is null)
        {
            yield break;
        }
        if (raw.Contains(' ', StringComparison.Ordinal) && TryDecode(Uri.UnescapeDataString(raw.Replace(' ', '+')), out var plus))
        {
            yield return new(plus, "signature with spaces read as '+' (a form decoder turned '+' into ' ')");
        }
        if (raw.Contains("%25", StringComparison.Ordinal) && TryDecode(Uri.UnescapeDataString(Uri.UnescapeDataString(raw)), out var twice))
        {
            yield return new(twice, "signature URL-decoded twice (it was URL-encoded twice)");
        }
    }

    public static string? RawValue(string header, string name)
    {
        foreach (var part in header.Split(','))
        {
            var equals = part.IndexOf('=', StringComparison.Ordinal);
            if (equals > 0 && part[..equals].Trim().Equals(name, StringComparison.OrdinalIgnoreCase))
            {
                return part[(equals + 1)..].Trim();
            }
        }
        return null;
    }

    public static List<VerifyingVariant> FindVerifying(
        IReadOnlyList<NamedKey> keys,
        IReadOnlyList<Candidate<string>> paths,
        IReadOnlyList<Candidate<string>> clientIds,
        IReadOnlyList<Candidate<string>> times,
        IReadOnlyList<Candidate<byte[]>> bodies,
        IReadOnlyList<Candidate<byte[]>> signatures)
    {
        var found = new List<VerifyingVariant>();
        for (var k = 0; k < keys.Count; k++)
        {
            foreach (var path in paths)
            {
                foreach (var clientId in clientIds)
                {
                    foreach (var time in times)
                    {
                        foreach (var body in bodies)
                        {
                            var data = StringToSign.Build("POST", path.Value, clientId.Value, time.Value, body.Value);
                            foreach (var signature in signatures)
                            {
                                if (keys[k].Key.VerifyData(data, signature.Value, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1))
                                {
                                    var changes = new[] { path.Change, clientId.Change, time.Change, body.Change, signature.Change }.OfType<string>().ToList();
                                    if (k > 0)
                                    {
                                        changes.Insert(0, $"a different key: {keys[k].Label}");
                                    }
                                    found.Add(new VerifyingVariant(keys[k], path.Value, clientId.Value, time.Value, body.Value, changes));
                                }
                            }
                        }
                    }
                }
            }
        }
        return found.OrderBy(v => v.Changes.Count).ToList();
    }

    /// <summary>The string-to-sign with its line break and any carriage return or tab made visible.</summary>
    public static string Visible(byte[] stringToSign) =>
        Encoding.UTF8.GetString(stringToSign)
            .Replace("\r", "\\r", StringComparison.Ordinal)
            .Replace("\t", "\\t", StringComparison.Ordinal)
            .Replace("\n", "\\n\n", StringComparison.Ordinal);

    private static bool TryDecode(string base64, out byte[] bytes)
    {
        bytes = new byte[base64.Length];
        if (Convert.TryFromBase64String(base64.Trim(), bytes, out var written))
        {
            bytes = bytes[..written];
            return true;
        }
        return false;
    }

    private static IEnumerable<string> KnownApiPaths()
    {
        var paths = new AlipayHKPaths();
        return [paths.CreatePass, paths.UpdatePass, paths.TemplateDetail, paths.ApplyToken, paths.BillQuery, paths.CircleStoreSave, paths.CircleStoreQueryPage];
    }
}
