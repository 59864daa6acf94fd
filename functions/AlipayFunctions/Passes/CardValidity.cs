using AlipayFunctions.Settings;
using AlipayHK.OpenApi.Passes;

namespace AlipayFunctions.Passes;

/// <summary>
/// A new card's validity (createPass <c>startDate</c>/<c>endDate</c>, both mandatory): from now, or the template's
/// start if later, to the template's end, cut to <see cref="LoyaltySettings.CardValidity"/> when configured. The
/// card must lie within the template's validity, so a template whose validity has ended blocks creation.
/// </summary>
internal readonly record struct CardValidity(DateTimeOffset Start, DateTimeOffset End, string? BlockedReason)
{
    public bool IsBlocked => BlockedReason is not null;

    public static CardValidity For(TemplateDetailResponse template, LoyaltySettings settings, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(template);
        ArgumentNullException.ThrowIfNull(settings);
        // Whole milliseconds: the wire form, so start >= template start holds after rounding.
        now = DateTimeOffset.FromUnixTimeMilliseconds(now.ToUnixTimeMilliseconds());
        DateTimeOffset? templateStart = template.StartDate is { } s && s.TryGetTime(out var st) ? st : null;
        DateTimeOffset? templateEnd = template.EndDate is { } e && e.TryGetTime(out var et) ? et : null;
        var start = templateStart is { } ts && ts > now ? ts : now;
        if (templateEnd is { } end && end <= now)
        {
            return Blocked($"Template {settings.TemplateCode}'s validity ended at {end:O}: card creation waits for an operator.");
        }
        if (settings.CardValidity is { } validity)
        {
            var wanted = start + validity;
            return new(start, templateEnd is { } cap && cap < wanted ? cap : wanted, null);
        }
        return templateEnd is { } until
            ? new(start, until, null)
            : Blocked($"Template {settings.TemplateCode} names no endDate and Loyalty:CardValidity is not set: the card's endDate is unknown.");
    }

    private static CardValidity Blocked(string reason) => new(default, default, reason);
}
