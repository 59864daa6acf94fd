using System.CommandLine;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using AlipayHK.Cli.Settings;
using AlipayHK.OpenApi.Results;
using AlipayHK.OpenApi.Serialization;
using AlipayHK.OpenApi.Signing;

namespace AlipayHK.Cli.Send;

/// <summary>
/// <c>send membercard-create|bill-notify</c>: sends a webhook signed with a platform private key, as AlipayHK
/// would, and checks the answer as AlipayHK does (HTTP 200, result S, signed by the merchant key).
/// </summary>
internal static class SendCommand
{
    public static Command Build(CliHost host)
    {
        var send = new Command("send", "Send a signed test webhook (as AlipayHK would) to any URL; show the answer and whether its signature verifies with the merchant public key.");

        var memberUser = UserId();
        var mobile = new Option<string>("--mobile-no") { Description = "mobileNo to send (test data only)." };
        var email = new Option<string>("--email") { Description = "userEmail to send (test data only)." };
        var channel = new Option<string>("--channel") { Description = "createCardChannel.", DefaultValueFactory = _ => "ALIPAYHK" };
        var memberCard = new Command("membercard-create", "POST a membercard/create webhook.") { memberUser, mobile, email, channel };
        AddCommon(memberCard);
        memberCard.SetAction((parse, ct) => CliApp.Guard(host, () => SendAsync(host, parse, Json(w =>
        {
            w.WriteString("userId", parse.GetRequiredValue(memberUser));
            WriteIfSet(w, "mobileNo", parse.GetValue(mobile));
            WriteIfSet(w, "userEmail", parse.GetValue(email));
            WriteIfSet(w, "createCardChannel", parse.GetValue(channel));
        }), ct)));

        var billUser = UserId();
        var billNo = new Option<string>("--bill-no") { Description = "billNo (the idempotency key); a new one per run by default." };
        var amount = new Option<long>("--amount") { Description = "orderAmount.value in minor units (10000 = HKD 100.00).", DefaultValueFactory = _ => 10000 };
        var currency = new Option<string>("--currency") { Description = "orderAmount.currency.", DefaultValueFactory = _ => "HKD" };
        var provider = new Option<string>("--points-provider") { Description = "ALIPAYHK or ALIPAYCN.", DefaultValueFactory = _ => "ALIPAYHK" };
        var merchantName = new Option<string>("--merchant-name") { Description = "merchantName." };
        var bill = new Command("bill-notify", "POST a bill/notify webhook.") { billUser, billNo, amount, currency, provider, merchantName };
        AddCommon(bill);
        bill.SetAction((parse, ct) => CliApp.Guard(host, () =>
        {
            var settings = CliSettings.From(parse, host);
            var now = host.Clock.GetUtcNow();
            return SendAsync(host, parse, Json(w =>
            {
                w.WriteString("userId", parse.GetRequiredValue(billUser));
                w.WriteString("billNo", parse.GetValue(billNo) ?? $"TEST{now.ToUnixTimeMilliseconds()}");
                WriteIfSet(w, "merchantId", settings.Get("AlipayHK:MerchantId"));
                WriteIfSet(w, "merchantName", parse.GetValue(merchantName));
                w.WriteStartObject("orderAmount");
                w.WriteString("currency", parse.GetValue(currency));
                w.WriteString("value", parse.GetValue(amount).ToString(System.Globalization.CultureInfo.InvariantCulture));
                w.WriteEndObject();
                w.WriteString("payTime", AlipayTime.ToHeaderValue(now));
                w.WriteString("pointsProvider", parse.GetValue(provider));
            }), ct);
        }));

        send.Add(memberCard);
        send.Add(bill);
        return send;
    }

    private static Option<string> UserId() => new("--user-id") { Description = "The AlipayHK userId (2160...).", Required = true };

    private static readonly Option<string> Url = new("--url") { Description = "The webhook URL, e.g. https://<app>/<merchantTag>/points/bill/notify.", Required = true };
    private static readonly Option<string> PlatformKey = new("--platform-key") { Description = "PEM file of the platform private key to sign with (the simulator's, or a test key whose public half the app trusts).", Required = true };
    private static readonly Option<string> SignPath = new("--sign-path") { Description = "The path to sign, if not the URL's (a gateway in front of the app)." };
    private static readonly Option<string> PlatformKeyVersion = new("--platform-key-version") { Description = "keyVersion in the Signature header.", DefaultValueFactory = _ => "1" };
    private static readonly Option<string> MerchantPublicKey = new("--merchant-public-key") { Description = "Verifies the answer: PEM/base64 or a file. Default: the merchant key of Signing:PrivateKeyPath, or the Key Vault key." };

    private static void AddCommon(Command command)
    {
        command.Add(Url);
        command.Add(PlatformKey);
        command.Add(SignPath);
        command.Add(PlatformKeyVersion);
        command.Add(MerchantPublicKey);
        ConfigOptions.AddAlipay(command, "--base-url", "--merchant-id", "--platform-public-key", "--key-version");
    }

    private static async Task<int> SendAsync(CliHost host, ParseResult parse, byte[] body, CancellationToken ct)
    {
        var settings = CliSettings.From(parse, host);
        if (!Uri.TryCreate(parse.GetRequiredValue(Url), UriKind.Absolute, out var url) || !url.Scheme.StartsWith("http", StringComparison.Ordinal))
        {
            throw new UsageException("--url must be an absolute http(s) URL.");
        }
        var keyFile = parse.GetRequiredValue(PlatformKey);
        if (!File.Exists(keyFile))
        {
            throw new UsageException($"--platform-key: {keyFile} does not exist.");
        }
        PemAlipaySigner platform;
        try
        {
            platform = PemAlipaySigner.FromFile(keyFile);
        }
        catch (FormatException)
        {
            throw new UsageException($"--platform-key: {keyFile} holds no unencrypted RSA private key.");
        }
        var clientId = settings.ClientId();
        var path = parse.GetValue(SignPath) ?? url.AbsolutePath;
        var merchantKey = await MerchantPublicKeyAsync(host, settings, parse.GetValue(MerchantPublicKey), ct).ConfigureAwait(false);

        SignedMessage signed;
        using (platform)
        {
            signed = await new AlipayMessageSigner(platform, clientId, parse.GetValue(PlatformKeyVersion)!, host.Clock).SignAsync(path, body, ct).ConfigureAwait(false);
        }
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(AlipayHeaders.JsonContentType);
        request.Headers.TryAddWithoutValidation(AlipayHeaders.ClientId, signed.ClientId);
        request.Headers.TryAddWithoutValidation(AlipayHeaders.RequestTime, signed.Time);
        request.Headers.TryAddWithoutValidation(AlipayHeaders.Signature, signed.Signature);

        var console = host.Output;
        console.WriteLine($"POST {url} (signed as POST {path}, Client-Id {clientId}, Request-Time {signed.Time})");
        console.WriteLine(Encoding.UTF8.GetString(body));
        using var http = host.HttpClient();
        using var response = await http.SendAsync(request, ct).ConfigureAwait(false);
        var answer = await response.Content.ReadAsByteArrayAsync(ct).ConfigureAwait(false);
        string? Header(string name) => response.Headers.TryGetValues(name, out var values) ? string.Join(",", values) : null;

        console.WriteLine();
        console.WriteLine($"HTTP {(int)response.StatusCode} {response.ReasonPhrase}");
        foreach (var name in new[] { AlipayHeaders.ClientId, AlipayHeaders.ResponseTime, AlipayHeaders.Signature })
        {
            console.WriteLine($"{name}: {Header(name) ?? "(none)"}");
        }
        console.WriteLine(Encoding.UTF8.GetString(answer));
        console.WriteLine();

        var problems = new List<string>();
        if (!response.IsSuccessStatusCode)
        {
            problems.Add($"HTTP {(int)response.StatusCode} (AlipayHK sends again)");
        }
        var result = ReadResult(answer);
        if (result is null)
        {
            problems.Add("the answer has no result object");
        }
        else if (result.ResultStatus != ResultStatus.Success)
        {
            problems.Add($"result {result.ResultCode} ({ResultStatusConverter.ToCode(result.ResultStatus)}): {result.Message}");
        }
        var signature = Header(AlipayHeaders.Signature);
        var responseTime = Header(AlipayHeaders.ResponseTime);
        var answerClientId = Header(AlipayHeaders.ClientId) ?? clientId;
        if (merchantKey is null)
        {
            console.WriteLine("Answer signature: not checked (no merchant public key: give --merchant-public-key).");
        }
        else if (signature is null || responseTime is null)
        {
            problems.Add("the answer is not signed (Signature and Response-Time are mandatory)");
        }
        else
        {
            using var verifier = new AlipaySignatureVerifier(merchantKey);
            var verdict = verifier.Verify("POST", path, answerClientId, responseTime, answer, signature);
            if (verdict == SignatureRejection.None)
            {
                console.WriteLine($"Answer signature: verifies (POST {path}, Client-Id {answerClientId}, Response-Time {responseTime}).");
            }
            else
            {
                problems.Add($"the answer's signature does not verify ({verdict}); 'alipayhk explain' on the captured answer says why");
            }
        }
        if (problems.Count > 0)
        {
            throw new OperationFailedException("AlipayHK would not accept this answer: " + string.Join("; ", problems) + ".");
        }
        console.WriteLine("AlipayHK would accept this answer.");
        return ExitCodes.Ok;
    }

    private static async Task<string?> MerchantPublicKeyAsync(CliHost host, CliSettings settings, string? given, CancellationToken ct)
    {
        if (given is not null)
        {
            var text = File.Exists(given) ? await File.ReadAllTextAsync(given, ct).ConfigureAwait(false) : given;
            try
            {
                using var rsa = RsaKeys.ImportPublicKey(text);
                return text;
            }
            catch (FormatException)
            {
                throw new UsageException("--merchant-public-key is neither a PEM public key, base64 SubjectPublicKeyInfo, nor a file holding one.");
            }
        }
        if (settings.Get("Signing:PrivateKeyPem") is not null || settings.Get("Signing:PrivateKeyPath") is not null)
        {
            using var signer = new PemAlipaySigner(settings.MerchantPrivateKeyPem());
            return signer.PublicKeyBase64;
        }
        if (settings.Get("Signing:KeyVaultKeyId") is not null)
        {
            return await settings.KeyVaultSigner().GetPublicKeyBase64Async(ct).ConfigureAwait(false);
        }
        return null;
    }

    private static AlipayResult? ReadResult(byte[] answer)
    {
        try
        {
            return JsonSerializer.Deserialize(answer, AlipayJsonContext.Default.AlipayResultResponse)?.EffectiveResult;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static byte[] Json(Action<Utf8JsonWriter> write)
    {
        using var buffer = new MemoryStream();
        // Relaxed escaping: times keep their plain '+' ("+08:00"), as AlipayHK sends them, not "\u002B".
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            writer.WriteStartObject();
            write(writer);
            writer.WriteEndObject();
        }
        return buffer.ToArray();
    }

    private static void WriteIfSet(Utf8JsonWriter writer, string name, string? value)
    {
        if (!string.IsNullOrEmpty(value))
        {
            writer.WriteString(name, value);
        }
    }
}
