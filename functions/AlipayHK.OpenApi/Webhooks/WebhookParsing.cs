using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace AlipayHK.OpenApi.Webhooks;

/// <summary>A field of a webhook body that is missing, of the wrong JSON type or out of range.</summary>
/// <param name="Field">The field's path, e.g. <c>orderAmount.value</c>.</param>
/// <param name="Problem">What is wrong, without the field's value (it may be personal data).</param>
public sealed record WebhookFieldError(string Field, string Problem)
{
    /// <inheritdoc />
    public override string ToString() => $"{Field}: {Problem}";
}

/// <summary>The outcome of reading a webhook body: the model, or the named problems to answer with a 4xx.</summary>
/// <typeparam name="T">The webhook model.</typeparam>
public sealed class WebhookParseResult<T> where T : class
{
    internal WebhookParseResult(T? value, IReadOnlyList<WebhookFieldError> errors)
    {
        Value = value;
        Errors = errors;
    }

    /// <summary>The model; null when the body could not be read at all.</summary>
    public T? Value { get; }

    /// <summary>Every problem found; empty when the body is valid.</summary>
    public IReadOnlyList<WebhookFieldError> Errors { get; }

    /// <summary>Whether the body is complete and well typed.</summary>
    public bool IsValid => Value is not null && Errors.Count == 0;

    /// <summary>One sentence naming every problem, fit for an F answer's <c>resultMessage</c> and the log.</summary>
    public string Describe() => IsValid ? "valid" : "Invalid request body: " + string.Join("; ", Errors) + ".";
}

/// <summary>Reads webhook bodies: a type mismatch becomes a named field error, not an exception.</summary>
internal static class WebhookParsing
{
    public static WebhookParseResult<T> Parse<T>(ReadOnlySpan<byte> body, JsonTypeInfo<T> typeInfo, Func<T, List<WebhookFieldError>> validate)
        where T : class
    {
        T? value;
        try
        {
            value = JsonSerializer.Deserialize(body, typeInfo);
        }
        catch (JsonException e)
        {
            // The path names the field; the message of a converter says what was expected. Neither carries the value.
            // A body that is not JSON at all (truncated, garbage) is told apart from a well-formed one with a bad field.
            if (e.Path is null || !IsWellFormedJson(body))
            {
                return new WebhookParseResult<T>(null, [new WebhookFieldError("(body)", "is not valid JSON")]);
            }
            var field = e.Path == "$" ? "(body)" : e.Path.TrimStart('$', '.');
            return new WebhookParseResult<T>(null, [new WebhookFieldError(field, "has the wrong JSON type or format")]);
        }
        if (value is null)
        {
            return new WebhookParseResult<T>(null, [new WebhookFieldError("(body)", "must be a JSON object")]);
        }
        return new WebhookParseResult<T>(value, validate(value));
    }

    private static bool IsWellFormedJson(ReadOnlySpan<byte> body)
    {
        var reader = new Utf8JsonReader(body);
        try
        {
            while (reader.Read())
            {
            }
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    public static void Require(List<WebhookFieldError> errors, string? value, string field)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            errors.Add(new WebhookFieldError(field, "is required"));
        }
    }
}
