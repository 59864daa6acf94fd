using AlipayHK.OpenApi.Authorization;
using AlipayHK.OpenApi.Serialization;
using Azure.Data.Tables;

namespace AlipayFunctions.MiniApp;

/// <summary>
/// The user's AlipayHK tokens from applyToken, kept server-side in the user's partition (row <c>token</c>). They are
/// secrets: never returned to the mini-app, never logged.
/// </summary>
internal sealed class UserTokenStore(TableClient table)
{
    private const string RowKey = "token";

    public Task SaveAsync(string userId, ApplyTokenResponse tokens, CancellationToken ct) =>
        table.UpsertEntityAsync(new TableEntity(userId, RowKey)
        {
            ["AccessToken"] = tokens.AccessToken,
            ["AccessTokenExpiryTime"] = tokens.AccessTokenExpiryTime,
            ["RefreshToken"] = tokens.RefreshToken,
            ["RefreshTokenExpiryTime"] = tokens.RefreshTokenExpiryTime,
        }, TableUpdateMode.Replace, ct);

    public async Task<StoredTokens?> GetAsync(string userId, CancellationToken ct)
    {
        var found = await table.GetEntityIfExistsAsync<TableEntity>(userId, RowKey, cancellationToken: ct).ConfigureAwait(false);
        var entity = found.HasValue ? found.Value : null;
        if (entity?.GetString("AccessToken") is not { Length: > 0 } access)
        {
            return null;
        }
        return new StoredTokens(access, ParseTime(entity.GetString("AccessTokenExpiryTime")), entity.GetString("RefreshToken"));
    }

    private static DateTimeOffset? ParseTime(string? text) =>
        text is { Length: > 0 } && AlipayTimestamp.FromText(text).TryGetTime(out var time) ? time : null;
}

/// <summary>A user's tokens. Secrets: <see cref="ToString"/> shows none of them.</summary>
internal sealed record StoredTokens(string AccessToken, DateTimeOffset? AccessTokenExpiry, string? RefreshToken)
{
    public override string ToString() => $"StoredTokens {{ AccessTokenExpiry = {AccessTokenExpiry} }}";
}
