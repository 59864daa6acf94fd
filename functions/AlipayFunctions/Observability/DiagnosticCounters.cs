using AlipayFunctions.Signing;
using AlipayHK.OpenApi.Webhooks;

namespace AlipayFunctions.Observability;

/// <summary>
/// <c>GET /diagnostics/counters</c>: the process's signing counters as JSON, for load and cost checks run from
/// outside the process (the meter cannot be read across processes without an OTLP collector). Mapped only when
/// <c>Diagnostics:ExposeCounters</c> is <c>true</c>; off by default, and the figures carry no personal data.
/// </summary>
internal static class DiagnosticCounters
{
    public const string ConfigurationKey = "Diagnostics:ExposeCounters";

    public static void MapDiagnosticCounters(this IEndpointRouteBuilder endpoints) =>
        endpoints.MapGet("/diagnostics/counters", (MerchantSigner signer, WebhookAnswerSigner answers) =>
            Results.Text(
                $$"""{"signaturesMade":{{signer.SignaturesMade}},"webhookAnswerSignaturesMade":{{answers.SignaturesMade}},"webhookAnswerSignaturesReused":{{answers.SignaturesReused}}}""",
                "application/json"));
}
