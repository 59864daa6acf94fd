using AlipayHK.OpenApi.Results;

namespace AlipayHK.OpenApi.Client;

/// <summary>
/// The one exception <see cref="AlipayHKClient"/> throws for anything but a verified S answer: F and U results,
/// timeouts, HTTP and connection errors, unreadable or badly signed answers. <see cref="IsRetryable"/> says
/// whether to send the same request again (same idempotency key); the message never holds tokens or keys.
/// </summary>
public sealed class AlipayHKException : Exception
{
    /// <summary>Creates the exception.</summary>
    public AlipayHKException(string message, string resultCode, ResultStatus resultStatus, bool isRetryable,
        int? httpStatus = null, string? tracerId = null, TimeSpan? retryAfter = null, AlipayResult? result = null, Exception? innerException = null)
        : base(message, innerException)
    {
        ResultCode = resultCode;
        ResultStatus = resultStatus;
        IsRetryable = isRetryable;
        HttpStatus = httpStatus;
        TracerId = tracerId;
        RetryAfter = retryAfter;
        Result = result;
    }

    /// <summary>Creates the exception (for serializers and tests).</summary>
    public AlipayHKException() : this("AlipayHK call failed.", ResultCodes.UnknownException, ResultStatus.Unknown, isRetryable: true)
    {
    }

    /// <summary>Creates the exception (for serializers and tests).</summary>
    public AlipayHKException(string message) : this(message, ResultCodes.UnknownException, ResultStatus.Unknown, isRetryable: true)
    {
    }

    /// <summary>Creates the exception (for serializers and tests).</summary>
    public AlipayHKException(string message, Exception innerException)
        : this(message, ResultCodes.UnknownException, ResultStatus.Unknown, isRetryable: true, innerException: innerException)
    {
    }

    /// <summary>AlipayHK's result code, or one of the library codes in <see cref="ResultCodes"/> (<c>TIMEOUT</c>, <c>HTTP_ERROR</c> ...).</summary>
    public string ResultCode { get; }

    /// <summary>The result status (U when no result arrived).</summary>
    public ResultStatus ResultStatus { get; }

    /// <summary>Whether to send the same request again later.</summary>
    public bool IsRetryable { get; }

    /// <summary>The HTTP status, when an answer arrived.</summary>
    public int? HttpStatus { get; }

    /// <summary>AlipayHK's <c>Tracer-Id</c>: quote it to AlipayHK support.</summary>
    public string? TracerId { get; }

    /// <summary>How long AlipayHK asked us to wait (429's <c>Retry-After</c>).</summary>
    public TimeSpan? RetryAfter { get; }

    /// <summary>The result object, when the answer had one.</summary>
    public AlipayResult? Result { get; }
}
