using Azure.Core;

namespace AlipayFunctions.KeyVault;

/// <summary>
/// Marks a failure to get a token, so that the pipeline does not retry it as a network failure and the signer can
/// report it as such.
/// </summary>
internal sealed class CredentialFailedException(string message, Exception innerException) : Exception(message, innerException);

/// <summary>Wraps the app's credential so that its failures are told apart from the vault's.</summary>
internal sealed class CredentialGuard(TokenCredential inner) : TokenCredential
{
    public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken)
    {
        try
        {
            return inner.GetToken(requestContext, cancellationToken);
        }
        catch (Exception e) when (IsCredentialFailure(e, cancellationToken))
        {
            throw Wrap(e, requestContext);
        }
    }

    public override async ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken)
    {
        try
        {
            return await inner.GetTokenAsync(requestContext, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (IsCredentialFailure(e, cancellationToken))
        {
            throw Wrap(e, requestContext);
        }
    }

    private static bool IsCredentialFailure(Exception e, CancellationToken cancellationToken) =>
        !(e is OperationCanceledException && cancellationToken.IsCancellationRequested);

    private CredentialFailedException Wrap(Exception e, TokenRequestContext context) =>
        new CredentialFailedException(
            $"{inner.GetType().Name} could not get a token for {string.Join(' ', context.Scopes)}"
            + (context.TenantId is null ? "" : $" in tenant {context.TenantId}") + $": {e.Message}",
            e);
}
