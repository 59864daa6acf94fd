using System.CommandLine;
using System.Security.Cryptography;
using AlipayHK.Cli.Settings;
using AlipayHK.OpenApi.Signing;

namespace AlipayHK.Cli.Explain;

/// <summary>
/// <c>explain</c>: prints the exact string-to-sign of a captured request or answer and says why its signature does
/// or does not verify, trying the usual suspects and naming the variant that verifies.
/// </summary>
internal static class ExplainCommand
{
    public static Command Build(CliHost host)
    {
        var capture = new Argument<FileInfo?>("capture")
        {
            Description = "A captured message: 'POST /path HTTP/1.1' (or 'HTTP/1.1 200 OK'), headers, a blank line, the body as sent.",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var path = new Option<string>("--path") { Description = "The path that was called (required for a captured answer, which has none)." };
        var clientId = new Option<string>("--client-id") { Description = "The Client-Id header (overrides the capture)." };
        var time = new Option<string>("--time") { Description = "The Request-Time or Response-Time header (overrides the capture)." };
        var signature = new Option<string>("--signature") { Description = "The Signature header (overrides the capture)." };
        var bodyFile = new Option<FileInfo>("--body-file") { Description = "A file holding the exact body bytes (overrides the capture)." };
        var publicKeys = new Option<string[]>("--public-key")
        {
            Description = "Public key to verify with: PEM, base64 SubjectPublicKeyInfo, or a file (repeatable; the first is the expected one). " +
                "Default: AlipayHK:PlatformPublicKey, then the merchant key of Signing:PrivateKeyPath.",
        };
        var prefixes = new Option<string[]>("--gateway-prefix") { Description = "A path prefix a gateway adds or removes, to try (repeatable; Webhooks:PublicPathPrefix is tried too)." };
        var command = new Command("explain", "Show the exact string-to-sign of a captured request or answer and why its signature does or does not verify (tries path prefixes, re-serialised bodies, Request-/Response-Time, client ids, keys).")
        {
            capture, path, clientId, time, signature, bodyFile, publicKeys, prefixes,
        };
        command.SetAction((parse, ct) => CliApp.Guard(host, () =>
        {
            var settings = CliSettings.From(parse, host);
            var message = Load(parse.GetValue(capture));
            var input = new ExplainInput(
                Path: parse.GetValue(path) ?? message.Path,
                ClientIdHeader: parse.GetValue(clientId) ?? AlipayHeaders.GetClientId(message.Header),
                Time: parse.GetValue(time),
                Signature: parse.GetValue(signature) ?? message.Header(AlipayHeaders.Signature),
                Body: parse.GetValue(bodyFile) is { } file ? ReadFile(file) : message.Body,
                Message: message);
            var keys = LoadKeys(parse.GetValue(publicKeys) ?? [], settings);
            try
            {
                return Task.FromResult(Explain(host, settings, input, keys, parse.GetValue(prefixes) ?? []));
            }
            finally
            {
                foreach (var key in keys)
                {
                    key.Key.Dispose();
                }
            }
        }));
        return command;
    }

    private sealed record ExplainInput(string? Path, string? ClientIdHeader, string? Time, string? Signature, byte[] Body, CapturedMessage Message);

    private static int Explain(CliHost host, CliSettings settings, ExplainInput input, List<NamedKey> keys, string[] prefixes)
    {
        var console = host.Output;
        var message = input.Message;
        if (string.IsNullOrWhiteSpace(input.Path))
        {
            throw new UsageException(message.IsResponse
                ? "A captured answer carries no path: give --path, the path of the request it answers (AlipayHK signs 'POST <that path>')."
                : "No path: give a capture starting with 'POST /path' or --path.");
        }
        if (string.IsNullOrWhiteSpace(input.Signature))
        {
            throw new UsageException("No Signature header in the capture and no --signature.");
        }

        // Which time header: the capture's own kind first (a request signs Request-Time, an answer Response-Time).
        var requestTime = message.Header(AlipayHeaders.RequestTime);
        var responseTime = message.Header(AlipayHeaders.ResponseTime);
        var (timeName, timeValue) = input.Time is not null ? ("--time", input.Time)
            : message.IsResponse ? (responseTime is not null ? (AlipayHeaders.ResponseTime, responseTime) : (AlipayHeaders.RequestTime, requestTime))
            : (requestTime is not null ? (AlipayHeaders.RequestTime, requestTime) : (AlipayHeaders.ResponseTime, responseTime));
        if (string.IsNullOrWhiteSpace(timeValue))
        {
            throw new UsageException("No Request-Time or Response-Time header in the capture and no --time.");
        }

        var configuredClientId = settings.Get("AlipayHK:ClientId");
        var clientIdValue = input.ClientIdHeader ?? configuredClientId
            ?? throw new UsageException("No Client-Id header in the capture, no --client-id and no AlipayHK:ClientId configured.");

        console.WriteLine($"Message:        {(message.IsResponse ? "answer" : "request")}, signed as POST {input.Path}");
        console.WriteLine(input.ClientIdHeader is null
            ? $"Client-Id:      none in the message; using the configured AlipayHK:ClientId {clientIdValue} (as the client does for answers)"
            : $"Client-Id:      {clientIdValue}{(configuredClientId is null ? "" : configuredClientId == clientIdValue ? " (matches AlipayHK:ClientId)" : $" (DIFFERS from the configured AlipayHK:ClientId {configuredClientId}: the app rejects webhooks naming another client id)")}");
        console.WriteLine($"Time:           {timeName} {timeValue}{(AlipayTime.TryParse(timeValue, out var parsedTime) ? $" ({parsedTime.ToUniversalTime():u}; {Describe(host.Clock.GetUtcNow() - parsedTime)})" : " (NOT an ISO-8601 time: the app rejects it)")}");
        DescribeSignatureHeader(console, input.Signature, keys.Count > 0 ? keys[0].Key.KeySize : 2048);
        if (keys.Count == 0)
        {
            throw new UsageException("No public key: give --public-key (PEM, base64 or a file), or configure AlipayHK:PlatformPublicKey.");
        }
        console.WriteLine($"Key:            {keys[0].Label} (RSA-{keys[0].Key.KeySize})");

        var stringToSign = StringToSign.Build("POST", input.Path, clientIdValue, timeValue, input.Body);
        console.WriteLine();
        console.WriteLine($"String-to-sign ({stringToSign.Length} bytes, SHA-256 {Convert.ToHexStringLower(SHA256.HashData(stringToSign))}; \\n marks the line break, \\r a carriage return):");
        console.WriteLine(SignatureDiagnosis.Visible(stringToSign));
        console.WriteLine();

        using var verifier = new AlipaySignatureVerifier(RsaKeys.ExportPublicKeyBase64(keys[0].Key));
        var verdict = verifier.Verify("POST", input.Path, clientIdValue, timeValue, input.Body, input.Signature);
        if (verdict == SignatureRejection.None)
        {
            console.WriteLine($"Result: the signature VERIFIES with {keys[0].Label}.");
            return ExitCodes.Ok;
        }
        console.WriteLine($"Result: the signature does NOT verify as captured ({verdict}).");

        var gatewayPrefixes = prefixes.Append(settings.Get("Webhooks:PublicPathPrefix") ?? "").ToList();
        var clientIds = new List<Candidate<string>> { new(clientIdValue, null) };
        if (message.Header(AlipayHeaders.ClientIdAlternate) is { } alternate && alternate != clientIdValue)
        {
            clientIds.Add(new(alternate, "the clientId header instead of Client-Id"));
        }
        if (configuredClientId is not null && !clientIds.Any(c => c.Value == configuredClientId))
        {
            clientIds.Add(new(configuredClientId, $"the configured client id {configuredClientId} (client id mismatch)"));
        }
        var times = new List<Candidate<string>> { new(timeValue, null) };
        foreach (var (name, value) in new[] { (AlipayHeaders.RequestTime, requestTime), (AlipayHeaders.ResponseTime, responseTime) })
        {
            if (value is not null && value != timeValue)
            {
                times.Add(new(value, $"{name} instead of {timeName} (requests sign Request-Time, answers Response-Time)"));
            }
        }
        var verifying = SignatureDiagnosis.FindVerifying(
            keys,
            SignatureDiagnosis.Paths(input.Path, gatewayPrefixes).DistinctBy(c => c.Value).ToList(),
            clientIds,
            times,
            SignatureDiagnosis.Bodies(input.Body).ToList(),
            SignatureDiagnosis.Signatures(input.Signature).ToList());

        if (verifying.Count == 0)
        {
            console.WriteLine($"No variant verifies with {(keys.Count == 1 ? "this key" : $"any of the {keys.Count} keys")} (tried path prefixes, trailing '/', query, bodies compacted/pretty-printed/without trailing newline, Request-/Response-Time, client ids, signature decodings).");
            console.WriteLine("Likely: the wrong key (AlipayHK's platform key verifies AlipayHK's messages, the merchant key ours; after a rotation the keyVersion names which one), or the body/path was changed in a way not tried.");
            return ExitCodes.Failure;
        }
        console.WriteLine("It verifies with these changes (fewest first):");
        foreach (var (variant, i) in verifying.Take(5).Select((v, i) => (v, i + 1)))
        {
            console.WriteLine($"  {i}. {(variant.Changes.Count == 0 ? "as captured (other key)" : string.Join("; ", variant.Changes))}");
        }
        console.WriteLine();
        console.WriteLine("String-to-sign that verifies:");
        console.WriteLine(SignatureDiagnosis.Visible(verifying[0].StringToSign));
        return ExitCodes.Failure;
    }

    private static void DescribeSignatureHeader(TextWriter console, string header, int keyBits)
    {
        var algorithm = SignatureDiagnosis.RawValue(header, "algorithm");
        var keyVersion = SignatureDiagnosis.RawValue(header, "keyVersion");
        var raw = SignatureDiagnosis.RawValue(header, "signature");
        console.WriteLine($"Signature:      algorithm={algorithm ?? "(none)"}{(algorithm is null ? "" : SignatureHeader.IsSupportedAlgorithm(algorithm) ? " (supported)" : " (NOT RSA256/sha256withrsa: rejected)")}, keyVersion={keyVersion ?? "(none)"}");
        if (raw is null)
        {
            console.WriteLine("                no signature= value: the header cannot be decoded");
            return;
        }
        var notes = new List<string> { $"{raw.Length} characters" };
        if (raw.Contains('%', StringComparison.Ordinal))
        {
            notes.Add(raw.Contains("%25", StringComparison.Ordinal) ? "URL-encoded TWICE (%25)" : "URL-encoded");
        }
        else if (raw.IndexOfAny(['+', '/', '=']) >= 0)
        {
            notes.Add("not URL-encoded (accepted; AlipayHK sends it URL-encoded)");
        }
        if (raw.Contains(' ', StringComparison.Ordinal))
        {
            notes.Add("contains spaces (line wraps are ignored; a '+' turned into ' ' by a form decoder is not)");
        }
        if (SignatureHeader.TryParse(header, out var parsed, out var rejection))
        {
            var length = Convert.FromBase64String(parsed!.SignatureBase64).Length;
            notes.Add($"decodes to {length} bytes{(length == keyBits / 8 ? $" (right for RSA-{keyBits})" : $" (an RSA-{keyBits} signature is {keyBits / 8}: truncated or mangled)")}");
        }
        else
        {
            notes.Add($"does not decode: {rejection}");
        }
        console.WriteLine($"                signature: {string.Join(", ", notes)}");
    }

    private static string Describe(TimeSpan age) =>
        age.Duration() < TimeSpan.FromMinutes(1) ? "now"
        : age > TimeSpan.Zero ? $"{FormatSpan(age)} ago"
        : $"{FormatSpan(age.Negate())} in the future: check the signer's clock";

    private static string FormatSpan(TimeSpan span) =>
        span.TotalDays >= 1 ? $"{(int)span.TotalDays} d {span.Hours} h" : span.TotalHours >= 1 ? $"{(int)span.TotalHours} h {span.Minutes} min" : $"{(int)span.TotalMinutes} min";

    private static CapturedMessage Load(FileInfo? file) => file is null ? new CapturedMessage() : CapturedMessage.Parse(ReadFile(file));

    private static byte[] ReadFile(FileInfo file) =>
        file.Exists ? File.ReadAllBytes(file.FullName) : throw new UsageException($"{file.FullName} does not exist.");

    private static List<NamedKey> LoadKeys(string[] given, CliSettings settings)
    {
        var keys = new List<NamedKey>();
        foreach (var (text, i) in given.Select((t, i) => (t, i + 1)))
        {
            var isFile = File.Exists(text);
            keys.Add(new NamedKey(isFile ? $"--public-key {text}" : $"--public-key #{i}", ImportPublic(isFile ? File.ReadAllText(text) : text, "--public-key")));
        }
        if (settings.Get("AlipayHK:PlatformPublicKey") is { } platform)
        {
            keys.Add(new NamedKey("AlipayHK's platform key (AlipayHK:PlatformPublicKey)", ImportPublic(platform, "AlipayHK:PlatformPublicKey")));
        }
        if (settings.Get("Signing:PrivateKeyPem") is not null || settings.Get("Signing:PrivateKeyPath") is not null)
        {
            using var merchant = RsaKeys.ImportPrivateKey(settings.MerchantPrivateKeyPem());
            keys.Add(new NamedKey("the merchant key (Signing:PrivateKeyPath)", ImportPublic(RsaKeys.ExportPublicKeyBase64(merchant), "Signing:PrivateKeyPath")));
        }
        return keys;
    }

    private static RSA ImportPublic(string text, string source)
    {
        try
        {
            if (text.Contains("PRIVATE KEY", StringComparison.Ordinal))
            {
                using var key = RsaKeys.ImportPrivateKey(text);
                return RsaKeys.ImportPublicKey(RsaKeys.ExportPublicKeyBase64(key));
            }
            return RsaKeys.ImportPublicKey(text);
        }
        catch (FormatException)
        {
            throw new UsageException($"{source} is neither a PEM key, base64 SubjectPublicKeyInfo, nor a file holding one.");
        }
    }
}
