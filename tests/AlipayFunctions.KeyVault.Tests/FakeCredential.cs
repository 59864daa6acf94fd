using System.Collections.Concurrent;
using Azure.Core;

namespace AlipayFunctions.KeyVault.Tests;

/// <summary>
/// Stands in for the app's identity (it is the credential, not the service under test): hands out tokens that name
/// the scope and tenant they were asked for, so the test vault can insist on a particular one.
/// </summary>
internal sealed class FakeCredential : TokenCredential
{
    public ConcurrentQueue<TokenRequestContext> Requests { get; } = new();

    /// <summary>When set, every token request fails with this exception.</summary>
    public Exception? Failure { get; set; }

    public static string TokenFor(string scope, string? tenantId) => $"fake|{scope}|{tenantId}";

    public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken)
    {
        Requests.Enqueue(requestContext);
        if (Failure is not null)
        {
            throw Failure;
        }
        return new AccessToken(
            TokenFor(string.Join(' ', requestContext.Scopes), requestContext.TenantId),
            TimeProvider.System.GetUtcNow().AddHours(1));
    }

    public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
        ValueTask.FromResult(GetToken(requestContext, cancellationToken));
}
