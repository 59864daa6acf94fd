using AlipayFunctions.Signing;
using AlipayHK.OpenApi.Webhooks;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace AlipayFunctions.Observability;

/// <summary>
/// HTTP function <c>DiagnosticCounters</c> (<c>GET /diagnostics/counters</c>): the process's signing counters as JSON,
/// for load and cost checks run from outside the process (the meter cannot be read across processes without an OTLP
/// collector). Answers 404 unless <c>Diagnostics:ExposeCounters</c> is <c>true</c>; the figures carry no personal data.
/// </summary>
internal sealed class DiagnosticCounters(IConfiguration configuration, MerchantSigner signer, WebhookAnswerSigner answers)
{
    public const string ConfigurationKey = "Diagnostics:ExposeCounters";

    [Function("DiagnosticCounters")]
    public IActionResult Run([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "diagnostics/counters")] HttpRequest request)
    {
        if (!bool.TryParse(configuration[ConfigurationKey], out var expose) || !expose)
        {
            return new NotFoundResult();
        }
        return new ContentResult
        {
            StatusCode = StatusCodes.Status200OK,
            ContentType = "application/json",
            Content = $$"""{"signaturesMade":{{signer.SignaturesMade}},"miniAppSignaturesMade":{{signer.MiniAppSignaturesMade}},"miniAppSignaturesRefused":{{signer.Budget.Refused}},"signaturesOverBudget":{{signer.Budget.OverBudget}},"webhookAnswerSignaturesMade":{{answers.SignaturesMade}},"webhookAnswerSignaturesReused":{{answers.SignaturesReused}}}""",
        };
    }
}
