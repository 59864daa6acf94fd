using System.Text.Json;
using System.Text.Json.Serialization;
using AlipayHK.OpenApi.Serialization;

namespace AlipayHK.OpenApi.Webhooks;

/// <summary>
/// membercard/create (AlipayHK → merchant, <c>/{merchantTag}/points/membercard/create</c>): create a membership
/// for a user. Idempotent on <see cref="UserId"/>. <see cref="MobileNo"/> and <see cref="UserEmail"/> are personal
/// data: <see cref="ToString"/> never prints them; more user fields configured per merchant land in
/// <see cref="ExtensionData"/> (treat them as personal data too). Answer with
/// <see cref="WebhookAnswers.MemberCardCreated"/>.
/// </summary>
public sealed class MemberCardCreateRequest
{
    /// <summary>The AlipayHK user (required).</summary>
    public string? UserId { get; set; }

    /// <summary>The user's mobile number (personal data).</summary>
    public string? MobileNo { get; set; }

    /// <summary>The user's e-mail address (personal data).</summary>
    public string? UserEmail { get; set; }

    /// <summary>Where the user asked for the card.</summary>
    public string? CreateCardChannel { get; set; }

    /// <summary>Fields this library does not model (may hold personal data).</summary>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? ExtensionData { get; set; }

    /// <summary>Reads a body: a malformed or mistyped body and missing fields come back as named errors.</summary>
    public static WebhookParseResult<MemberCardCreateRequest> Parse(ReadOnlySpan<byte> body) =>
        WebhookParsing.Parse(body, AlipayJsonContext.Default.MemberCardCreateRequest, static value => value.Validate());

    /// <summary>Every missing or ill-formed field, by name; empty when a member can be created.</summary>
    public List<WebhookFieldError> Validate()
    {
        var errors = new List<WebhookFieldError>();
        WebhookParsing.Require(errors, UserId, "userId");
        return errors;
    }

    /// <summary>Describes the request without personal data.</summary>
    public override string ToString() =>
        $"MemberCardCreateRequest {{ UserId = {UserId}, CreateCardChannel = {CreateCardChannel}, MobileNo = {Redaction.Mask(MobileNo)}, UserEmail = {Redaction.Mask(UserEmail)} }}";
}
