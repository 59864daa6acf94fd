using Azure;

namespace AlipayFunctions.KeyVault;

/// <summary>
/// The one exception <see cref="KeyVaultSigner"/> throws for a failed operation: Key Vault's HTTP status
/// (<see cref="RequestFailedException.Status"/>, 0 when no answer came), its error code
/// (<see cref="RequestFailedException.ErrorCode"/>, from <c>{"error":{"code":...}}</c>) and the request id
/// (<see cref="RequestId"/>, from <c>x-ms-request-id</c>) to quote to Azure support.
/// Cancellation by the caller surfaces as <see cref="OperationCanceledException"/> instead.
/// </summary>
public class KeyVaultException : RequestFailedException
{
    /// <summary>Creates an exception for a failure without an answer from Key Vault.</summary>
    public KeyVaultException(string message) : base(message)
    {
    }

    /// <summary>Creates an exception for a failure without an answer from Key Vault, with its cause.</summary>
    public KeyVaultException(string message, Exception? innerException) : base(message, innerException)
    {
    }

    /// <summary>Creates an exception from Key Vault's error answer (status, error code and message parsed from it).</summary>
    public KeyVaultException(Response response) : base(response)
    {
        RequestId = response.Headers.RequestId;
    }

    /// <summary>Creates an exception for an answer Key Vault gave that this client cannot use.</summary>
    public KeyVaultException(Response response, string message) : base(CheckNotNull(response).Status, message, null, null)
    {
        RequestId = response.Headers.RequestId;
    }

    /// <summary>Key Vault's <c>x-ms-request-id</c> for the failed request, when it answered.</summary>
    public string? RequestId { get; }

    private static Response CheckNotNull(Response response)
    {
        ArgumentNullException.ThrowIfNull(response);
        return response;
    }
}
