using Azure;
using AlipayFunctions.Storage.Pipeline;

namespace AlipayFunctions.Storage;

/// <summary>
/// The one exception the storage clients throw for a failed service request. <see cref="RequestFailedException.ErrorCode"/>
/// carries the service's code (from <c>x-ms-error-code</c> or the error body), <see cref="RequestFailedException.Status"/>
/// the HTTP status (for a failed transaction, the status of the operation that failed).
/// </summary>
public class StorageRequestException : RequestFailedException
{
    /// <summary>Creates an exception for a failure that did not come from a single HTTP response (e.g. in a fake client).</summary>
    public StorageRequestException(int status, string message, string? errorCode = null, int? failedOperationIndex = null, string? requestId = null, Exception? innerException = null)
        : base(status, message, errorCode, innerException)
    {
        FailedOperationIndex = failedOperationIndex;
        RequestId = requestId;
    }

    internal StorageRequestException(Response response)
        : base(response, null, StorageErrorParser.Instance)
    {
        RequestId = response.Headers.RequestId;
    }

    /// <summary>The service's <c>x-ms-request-id</c>, for support requests.</summary>
    public string? RequestId { get; }

    /// <summary>For a failed entity-group transaction: the index of the action that failed, when the service named it.</summary>
    public int? FailedOperationIndex { get; }

    /// <summary>409: the entity or resource already exists (e.g. <c>EntityAlreadyExists</c>).</summary>
    public bool IsConflict => Status == 409;

    /// <summary>412: an <c>If-Match</c> ETag was stale (<c>UpdateConditionNotSatisfied</c>).</summary>
    public bool IsPreconditionFailed => Status == 412;

    /// <summary>404: the entity, message, queue or table does not exist.</summary>
    public bool IsNotFound => Status == 404;
}
