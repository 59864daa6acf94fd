using System.Security.Cryptography;
using System.Text;
using AlipayHK.Simulator.Protocol;

namespace AlipayHK.Simulator.Authorization;

/// <summary>Tokens issued by applyToken; the simulator keeps them to answer bill/query.</summary>
/// <param name="AccessToken">The access token.</param>
/// <param name="AccessTokenExpiry">When it stops working.</param>
/// <param name="RefreshToken">The refresh token (single use).</param>
/// <param name="RefreshTokenExpiry">When it stops working.</param>
/// <param name="CustomerId">The AlipayHK user id.</param>
public sealed record IssuedTokens(string AccessToken, DateTimeOffset AccessTokenExpiry, string RefreshToken, DateTimeOffset RefreshTokenExpiry, string CustomerId);

/// <summary>An auth code, as the mini-app's <c>my.getAuthCode</c> would hand it to the merchant.</summary>
/// <param name="AuthCode">The code.</param>
/// <param name="ExpiresAt">When it expires.</param>
public sealed record IssuedAuthCode(string AuthCode, DateTimeOffset ExpiresAt);

/// <summary>
/// Auth codes, access tokens and refresh tokens; thread-safe. Secrets are kept by their SHA-256 only, so they never
/// appear in a listing or a dump of the state.
/// </summary>
public sealed class AuthorizationStore
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, Grant> _authCodes = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Grant> _accessTokens = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Grant> _refreshTokens = new(StringComparer.Ordinal);
    private readonly SimulatorOptions _options;
    private readonly TimeProvider _clock;

    internal AuthorizationStore(SimulatorOptions options, TimeProvider clock)
    {
        _options = options;
        _clock = clock;
    }

    /// <summary>Issues a single-use auth code for a user, valid for <see cref="SimulatorOptions.AuthCodeLifetime"/>.</summary>
    public IssuedAuthCode IssueAuthCode(string userId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(userId);
        var code = NewSecret(24);
        var expiresAt = _clock.GetUtcNow() + _options.AuthCodeLifetime;
        lock (_lock)
        {
            _authCodes[Hash(code)] = new Grant(userId, expiresAt);
        }
        return new IssuedAuthCode(code, expiresAt);
    }

    /// <summary>The user an access token belongs to, or null when it is unknown or expired.</summary>
    public string? ResolveAccessToken(string accessToken)
    {
        lock (_lock)
        {
            return _accessTokens.TryGetValue(Hash(accessToken), out var grant) && grant.ExpiresAt > _clock.GetUtcNow() ? grant.UserId : null;
        }
    }

    internal IssuedTokens ExchangeAuthCode(string authCode)
    {
        lock (_lock)
        {
            var key = Hash(authCode);
            if (!_authCodes.TryGetValue(key, out var grant) || grant.Used)
            {
                throw new SimulatedFailureException(ResultCodes.InvalidAuthCode, "The authCode is unknown or was already used.");
            }
            if (grant.ExpiresAt <= _clock.GetUtcNow())
            {
                throw new SimulatedFailureException(ResultCodes.AuthCodeExpired, "The authCode has expired.");
            }
            grant.Used = true;
            return IssueTokens(grant.UserId);
        }
    }

    internal IssuedTokens Refresh(string refreshToken)
    {
        lock (_lock)
        {
            if (!_refreshTokens.TryGetValue(Hash(refreshToken), out var grant))
            {
                throw new SimulatedFailureException(ResultCodes.InvalidAuthCode, "The refreshToken is unknown.");
            }
            if (grant.Used)
            {
                throw new SimulatedFailureException(ResultCodes.UsedRefreshToken, "The refreshToken was already used.");
            }
            if (grant.ExpiresAt <= _clock.GetUtcNow())
            {
                throw new SimulatedFailureException(ResultCodes.ExpiredCode, "The refreshToken has expired.");
            }
            grant.Used = true;
            return IssueTokens(grant.UserId);
        }
    }

    private IssuedTokens IssueTokens(string userId)
    {
        var now = _clock.GetUtcNow();
        var tokens = new IssuedTokens(NewSecret(32), now + _options.AccessTokenLifetime, NewSecret(32), now + _options.RefreshTokenLifetime, userId);
        _accessTokens[Hash(tokens.AccessToken)] = new Grant(userId, tokens.AccessTokenExpiry);
        _refreshTokens[Hash(tokens.RefreshToken)] = new Grant(userId, tokens.RefreshTokenExpiry);
        return tokens;
    }

    private static string NewSecret(int bytes) => Base64Url(RandomNumberGenerator.GetBytes(bytes));

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static string Hash(string secret) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));

    private sealed class Grant(string userId, DateTimeOffset expiresAt)
    {
        public string UserId { get; } = userId;
        public DateTimeOffset ExpiresAt { get; } = expiresAt;
        public bool Used { get; set; }
    }
}
