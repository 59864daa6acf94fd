using System.Text.RegularExpressions;
using Azure.Core;
using Azure.Core.Pipeline;

namespace AlipayFunctions.KeyVault;

/// <summary>
/// Bearer tokens for Key Vault. Asks for the cloud's scope up front (a single-tenant app knows it), and when the
/// vault answers 401 with <c>WWW-Authenticate: Bearer authorization="https://login.../&lt;tenant&gt;", resource="..."</c>
/// (or <c>scope="..."</c>) gets a token for the scope and tenant the challenge names, retries once, and keeps using
/// them for later requests. A challenge naming a resource that is not this vault's cloud is refused: honouring it
/// would hand a token to whoever answered.
/// </summary>
internal sealed partial class KeyVaultChallengePolicy : BearerTokenAuthenticationPolicy
{
    private readonly KeyVaultKeyId _key;
    private volatile Challenge? _learned;

    public KeyVaultChallengePolicy(TokenCredential credential, KeyVaultKeyId key) : base(credential, key.Scope) => _key = key;

    protected override ValueTask AuthorizeRequestAsync(HttpMessage message) =>
        _learned is { } learned ? AuthenticateAndAuthorizeRequestAsync(message, learned.Context(message)) : base.AuthorizeRequestAsync(message);

    protected override void AuthorizeRequest(HttpMessage message)
    {
        if (_learned is { } learned)
        {
            AuthenticateAndAuthorizeRequest(message, learned.Context(message));
        }
        else
        {
            base.AuthorizeRequest(message);
        }
    }

    protected override async ValueTask<bool> AuthorizeRequestOnChallengeAsync(HttpMessage message)
    {
        switch (ReadChallenge(message))
        {
            case ChallengeKind.Claims:
                // Continuous access evaluation: Azure.Core's own handling asks for a token with the claims.
                return await base.AuthorizeRequestOnChallengeAsync(message).ConfigureAwait(false);
            case ChallengeKind.Scope:
                await AuthenticateAndAuthorizeRequestAsync(message, _learned!.Context(message)).ConfigureAwait(false);
                return true;
            default:
                return false;
        }
    }

    protected override bool AuthorizeRequestOnChallenge(HttpMessage message)
    {
        switch (ReadChallenge(message))
        {
            case ChallengeKind.Claims:
                return base.AuthorizeRequestOnChallenge(message);
            case ChallengeKind.Scope:
                AuthenticateAndAuthorizeRequest(message, _learned!.Context(message));
                return true;
            default:
                return false;
        }
    }

    private ChallengeKind ReadChallenge(HttpMessage message)
    {
        if (!message.Response.Headers.TryGetValue("WWW-Authenticate", out var header)
            || !header.TrimStart().StartsWith("Bearer", StringComparison.OrdinalIgnoreCase))
        {
            return ChallengeKind.None;
        }

        string? authorization = null, resource = null, scope = null, claims = null;
        foreach (Match parameter in ChallengeParameter().Matches(header))
        {
            var value = parameter.Groups["value"].Value;
            switch (parameter.Groups["name"].Value.ToUpperInvariant())
            {
                case "AUTHORIZATION" or "AUTHORIZATION_URI": authorization = value; break;
                case "RESOURCE": resource = value; break;
                case "SCOPE": scope = value; break;
                case "CLAIMS": claims = value; break;
            }
        }
        if (claims is not null)
        {
            return ChallengeKind.Claims;
        }

        scope ??= resource is null ? null : resource.TrimEnd('/') + "/.default";
        if (scope is null
            || !Uri.TryCreate(scope, UriKind.Absolute, out var scopeUri)
            || !_key.IsResourceForThisVault(scopeUri))
        {
            return ChallengeKind.None;
        }

        string? tenantId = null;
        if (authorization is not null && Uri.TryCreate(authorization, UriKind.Absolute, out var authority))
        {
            var firstSegment = authority.AbsolutePath.Trim('/').Split('/')[0];
            tenantId = firstSegment.Length > 0 ? firstSegment : null;
        }
        _learned = new Challenge([scope], tenantId);
        return ChallengeKind.Scope;
    }

    // name="value" pairs of a WWW-Authenticate header (Key Vault quotes every value).
    [GeneratedRegex("""(?<name>[A-Za-z_]+)\s*=\s*"(?<value>[^"]*)"?""")]
    private static partial Regex ChallengeParameter();

    private enum ChallengeKind
    {
        None,
        Scope,
        Claims,
    }

    private sealed record Challenge(string[] Scopes, string? TenantId)
    {
        public TokenRequestContext Context(HttpMessage message) =>
            new(Scopes, parentRequestId: message.Request.ClientRequestId, tenantId: TenantId);
    }
}
