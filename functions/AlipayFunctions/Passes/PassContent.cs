using System.Globalization;
using AlipayFunctions.Loyalty;
using AlipayFunctions.Settings;

namespace AlipayFunctions.Passes;

/// <summary>What the card shows: the balance in the points variable, in every locale the template has.</summary>
internal static class PassContent
{
    public static Dictionary<string, Dictionary<string, string>> DataInfo(Member member, LoyaltySettings settings, IReadOnlyList<string> locales) =>
        locales.ToDictionary(
            locale => locale,
            _ => new Dictionary<string, string> { [settings.PointsVariable] = member.Points.ToString(CultureInfo.InvariantCulture) });
}
