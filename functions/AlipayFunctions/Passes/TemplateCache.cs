using AlipayFunctions.Settings;
using AlipayHK.OpenApi.Client;
using AlipayHK.OpenApi.Passes;

namespace AlipayFunctions.Passes;

/// <summary>
/// The member card template, read with the template detail API and kept for a few minutes: every createPass needs
/// its status and locales, and the template changes rarely. Concurrent readers share one call.
/// </summary>
internal sealed class TemplateCache(AlipayHKClient client, AppSettings settings, TimeProvider clock)
{
    private static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(5);
    private readonly Lock _gate = new();
    private Task<TemplateDetailResponse>? _pending;
    private DateTimeOffset _expires;

    public Task<TemplateDetailResponse> GetAsync(CancellationToken ct)
    {
        lock (_gate)
        {
            var now = clock.GetUtcNow();
            if (_pending is null || now >= _expires || _pending.IsFaulted || _pending.IsCanceled)
            {
                _pending = client.GetTemplateDetailAsync(
                    new TemplateDetailRequest { TemplateCode = settings.Loyalty.TemplateCode, MerchantId = settings.AlipayHK.MerchantId },
                    CancellationToken.None); // shared by every caller: one caller's cancellation must not fail the others
                _expires = now + Lifetime;
            }
            return _pending.WaitAsync(ct);
        }
    }

    /// <summary>The locales the card shows: the template's, else the configured ones.</summary>
    public IReadOnlyList<string> Locales(TemplateDetailResponse template) =>
        template.LocaleInfo is { Count: > 0 } locales ? [.. locales.Keys] : settings.Loyalty.Locales;
}
