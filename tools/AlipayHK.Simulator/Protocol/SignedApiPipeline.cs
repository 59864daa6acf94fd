using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using AlipayHK.OpenApi.Signing;
using AlipayHK.Simulator.Faults;
using AlipayHK.Simulator.Inspection;

namespace AlipayHK.Simulator.Protocol;

/// <summary>
/// What every API call goes through, in AlipayHK's order: gateway faults, client id, signature, JSON, the API's
/// handler, then a signed answer. Failures are HTTP 200 with an F (or U) result, as AlipayHK answers them; only the
/// simulated gateway faults use other HTTP statuses.
/// </summary>
internal sealed class SignedApiPipeline(
    SimulatorOptions options,
    SimulatorKeys keys,
    FaultRules faults,
    CallLog calls,
    TimeProvider clock,
    ILogger<SignedApiPipeline> logger)
{
    /// <summary>(assumed) Larger bodies are refused; no API here needs more.</summary>
    public const int MaxBodyBytes = 1 << 20;

    private readonly byte[] _clientId = Encoding.UTF8.GetBytes(options.ClientId);

    public async Task HandleAsync(HttpContext context, ApiEndpoint api)
    {
        var arrivedAt = clock.GetUtcNow();
        var sequence = calls.NextSequence();
        var tracerId = Guid.NewGuid().ToString("N");
        // The path on the wire, a PathBase prefix included: what the merchant signed (protocol §2.1).
        var path = (context.Request.PathBase + context.Request.Path).Value ?? api.Path;
        context.Response.Headers[AlipayHeaders.TracerId] = tracerId;
        byte[]? body;
        try
        {
            body = await ReadBodyAsync(context.Request, context.RequestAborted).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException)
        {
            calls.Add(new CallRecord(sequence, arrivedAt, api.Name, path, "not checked: the client went away while sending", false, 0, null, null, null, tracerId, null));
            return;
        }
        var fault = faults.Fire(api.Name, api.Path);

        void Record(Outcome outcome, int httpStatus, ApiAnswer? answer)
        {
            calls.Add(new CallRecord(sequence, arrivedAt, api.Name, path, outcome.Verification, outcome.Processed, httpStatus,
                answer?.ResultCode, answer?.ResultStatus, fault?.Kind.ToString(), tracerId, outcome.User));
            logger.LogInformation("{Api} call {Sequence}: {Verification}, {ResultCode}/{ResultStatus}, HTTP {HttpStatus}, fault {Fault}, tracer {TracerId}",
                api.Name, sequence, outcome.Verification, answer?.ResultCode, answer?.ResultStatus, httpStatus, fault?.Kind, tracerId);
        }

        switch (fault?.Kind)
        {
            case FaultKind.Http500 or FaultKind.Http503:
                var status = fault.Kind == FaultKind.Http500 ? StatusCodes.Status500InternalServerError : StatusCodes.Status503ServiceUnavailable;
                context.Response.StatusCode = status;
                context.Response.ContentType = "text/plain; charset=utf-8";
                await context.Response.WriteAsync(status == 500 ? "Internal Server Error" : "Service Unavailable", context.RequestAborted).ConfigureAwait(false);
                Record(Outcome.NotChecked, status, null);
                return;
            case FaultKind.Http429:
                var limited = ApiAnswer.Failure(ResultCodes.TrafficExceedLimit, "The request traffic exceeds the limit.", "U");
                context.Response.StatusCode = StatusCodes.Status429TooManyRequests;
                context.Response.Headers.RetryAfter = ((int)Math.Ceiling(fault.RetryAfter.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
                context.Response.ContentType = AlipayHeaders.JsonContentType;
                await context.Response.Body.WriteAsync(JsonSerializer.SerializeToUtf8Bytes(limited.Body, JsonFields.Wire), context.RequestAborted).ConfigureAwait(false);
                Record(Outcome.NotChecked, StatusCodes.Status429TooManyRequests, limited);
                return;
            case FaultKind.Delay:
                try
                {
                    await Task.Delay(fault.Delay, clock, context.RequestAborted).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    Record(Outcome.ClientGone, 0, null);
                    return;
                }
                break;
        }

        Outcome outcome;
        ApiAnswer answer;
        if (fault?.Kind is FaultKind.UnknownException or FaultKind.SystemError)
        {
            outcome = fault.ProcessFirst ? Process(context, api, path, body) : Outcome.NotChecked;
            answer = fault.Kind == FaultKind.UnknownException
                ? ApiAnswer.Failure(ResultCodes.UnknownException, "An unknown exception occurred.", "U")
                : ApiAnswer.Failure(ResultCodes.SystemError, "A system error occurred.", fault.ResultStatus);
        }
        else
        {
            outcome = Process(context, api, path, body);
            answer = outcome.Answer!;
        }

        if (fault?.Kind == FaultKind.DropAnswerAfterProcessing)
        {
            context.Abort();
            Record(outcome, 0, answer);
            return;
        }
        await WriteAnswerAsync(context, path, answer, fault?.Kind, context.RequestAborted).ConfigureAwait(false);
        Record(outcome, StatusCodes.Status200OK, answer);
    }

    private Outcome Process(HttpContext context, ApiEndpoint api, string path, byte[]? body)
    {
        if (body is null)
        {
            return Outcome.Rejected("body too large", ApiAnswer.Failure(ResultCodes.ParamIllegal, $"The body is larger than {MaxBodyBytes} bytes."));
        }
        var headers = context.Request.Headers;
        var clientId = AlipayHeaders.GetClientId(name => headers[name].FirstOrDefault())?.Trim();
        if (string.IsNullOrEmpty(clientId) || !CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(clientId), _clientId))
        {
            return Outcome.Rejected(ResultCodes.InvalidClient,
                ApiAnswer.Failure(ResultCodes.InvalidClient, clientId is null ? "The Client-Id header is missing." : "The Client-Id is not known."));
        }
        var time = headers[AlipayHeaders.RequestTime].FirstOrDefault()?.Trim();
        if (string.IsNullOrEmpty(time) || !AlipayTime.TryParse(time, out _))
        {
            return Outcome.Rejected("bad Request-Time",
                ApiAnswer.Failure(ResultCodes.ParamIllegal, "Request-Time header is missing or not an ISO-8601 time."));
        }
        var signature = headers[AlipayHeaders.Signature].FirstOrDefault();
        var rejection = string.IsNullOrWhiteSpace(signature)
            ? SignatureRejection.MissingSignature
            : keys.MerchantVerifier.Verify("POST", path, clientId, time, body, signature);
        if (rejection != SignatureRejection.None)
        {
            return Outcome.Rejected($"{ResultCodes.InvalidSignature}: {rejection}",
                ApiAnswer.Failure(ResultCodes.InvalidSignature, $"The signature was not accepted ({rejection})."));
        }

        JsonObject request;
        try
        {
            if (JsonNode.Parse(body) is not JsonObject parsed)
            {
                return Outcome.Verified(null, ApiAnswer.Failure(ResultCodes.ParamIllegal, "The body is not a JSON object."), processed: false);
            }
            request = parsed;
        }
        catch (JsonException)
        {
            return Outcome.Verified(null, ApiAnswer.Failure(ResultCodes.ParamIllegal, "The body is not valid JSON."), processed: false);
        }

        var user = Mask.UserId(request["userId"] is JsonValue v && v.TryGetValue<string>(out var u) ? u : null);
        try
        {
            var answer = api.Handler(request);
            return Outcome.Verified(user, answer, processed: answer.ResultStatus == "S");
        }
        catch (SimulatedFailureException e)
        {
            return Outcome.Verified(user, ApiAnswer.Failure(e.Code, e.Message, e.Status), processed: false);
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException or FormatException or JsonException)
        {
            // A request shape the handlers did not foresee: answer like AlipayHK does to the unexpected, and say so in the log.
            logger.LogError(e, "{Api} handler failed", api.Name);
            return Outcome.Verified(user, ApiAnswer.Failure(ResultCodes.UnknownException, "An unknown exception occurred.", "U"), processed: false);
        }
    }

    private async Task WriteAnswerAsync(HttpContext context, string path, ApiAnswer answer, FaultKind? fault, CancellationToken cancellationToken)
    {
        var bytes = JsonSerializer.SerializeToUtf8Bytes(answer.Body, JsonFields.Wire);
        var signed = await keys.PlatformSigner.SignAsync(path, bytes, cancellationToken).ConfigureAwait(false);
        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = AlipayHeaders.JsonContentType;
        response.Headers[AlipayHeaders.ClientId] = signed.ClientId;
        response.Headers[AlipayHeaders.ResponseTime] = signed.Time;
        switch (fault)
        {
            case FaultKind.UnsignedAnswer:
                break;
            case FaultKind.BrokenSignature:
                // A well-formed signature by the right key over the wrong message: only verification can catch it.
                var wrong = await keys.PlatformSigner.SignAsync(path + "/tampered", bytes, signed.Time, cancellationToken).ConfigureAwait(false);
                response.Headers[AlipayHeaders.Signature] = wrong.Signature;
                break;
            default:
                response.Headers[AlipayHeaders.Signature] = signed.Signature;
                break;
        }
        await response.Body.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<byte[]?> ReadBodyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (request.ContentLength > MaxBodyBytes)
        {
            return null;
        }
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > MaxBodyBytes)
            {
                return null;
            }
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }

    private sealed record Outcome(string Verification, bool Processed, string? User, ApiAnswer? Answer)
    {
        public static readonly Outcome NotChecked = new("not checked (fault)", false, null, null);
        public static readonly Outcome ClientGone = new("not checked: the client went away during the delay", false, null, null);

        public static Outcome Rejected(string why, ApiAnswer answer) => new(why, false, null, answer);

        public static Outcome Verified(string? user, ApiAnswer answer, bool processed) => new("verified", processed, user, answer);
    }
}
