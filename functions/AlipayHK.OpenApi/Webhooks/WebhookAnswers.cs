using System.Buffers;
using System.Text.Json;
using AlipayHK.OpenApi.Results;
using AlipayHK.OpenApi.Serialization;

namespace AlipayHK.OpenApi.Webhooks;

/// <summary>
/// The exact answer bodies AlipayHK expects from a webhook (protocol §2.3), compact UTF-8 JSON:
/// <c>{"result":{"resultCode":"SUCCESS","resultStatus":"S","resultMessage":"success"}}</c> plus API fields.
/// Sign them with <see cref="WebhookAnswerSigner"/>. Identical inputs give identical bytes, so answers can share a
/// signature.
/// </summary>
public static class WebhookAnswers
{
    /// <summary>The default name of the member id field in membercard/create's answer (assumed; configurable).</summary>
    public const string DefaultMemberIdField = "memberId";

    private static readonly byte[] SuccessBody = Build(AlipayResult.Success(), []);

    /// <summary>The SUCCESS answer with no extra field (bill/notify); the same array every time, do not modify it.</summary>
    public static ReadOnlyMemory<byte> Success() => SuccessBody;

    /// <summary>The SUCCESS answer to membercard/create with the merchant's member id.</summary>
    /// <param name="memberId">The merchant's member id.</param>
    /// <param name="memberIdField">The field name agreed with AlipayHK; <see cref="DefaultMemberIdField"/> unless configured.</param>
    public static byte[] MemberCardCreated(string memberId, string memberIdField = DefaultMemberIdField)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(memberId);
        ArgumentException.ThrowIfNullOrWhiteSpace(memberIdField);
        return Build(AlipayResult.Success(), [new(memberIdField, memberId)]);
    }

    /// <summary>A SUCCESS answer with extra string fields, in the order given.</summary>
    public static byte[] Success(IEnumerable<KeyValuePair<string, string>> fields) => Build(AlipayResult.Success(), fields);

    /// <summary>
    /// A failure answer (AlipayHK will send again): <c>F</c> with a code such as <c>PARAM_ILLEGAL</c> or
    /// <c>INVALID_SIGNATURE</c>, or <c>U</c> with <c>SYSTEM_ERROR</c> when the merchant could not store the work.
    /// </summary>
    public static byte[] Failure(string resultCode, string resultMessage, ResultStatus status = ResultStatus.Failed)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(resultCode);
        ArgumentNullException.ThrowIfNull(resultMessage);
        return Build(AlipayResult.Failure(resultCode, resultMessage, status), []);
    }

    private static byte[] Build(AlipayResult result, IEnumerable<KeyValuePair<string, string>> fields)
    {
        var buffer = new ArrayBufferWriter<byte>(128);
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = AlipayJsonContext.WireEncoder }))
        {
            writer.WriteStartObject();
            writer.WriteStartObject("result");
            writer.WriteString("resultCode", result.ResultCode);
            writer.WriteString("resultStatus", ResultStatusConverter.ToCode(result.ResultStatus));
            writer.WriteString("resultMessage", result.ResultMessage);
            writer.WriteEndObject();
            foreach (var (name, value) in fields)
            {
                writer.WriteString(name, value);
            }
            writer.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }
}
