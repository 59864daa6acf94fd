using System.Globalization;

namespace AlipayFunctions.Loyalty;

/// <summary>
/// How many points a payment earns, per currency: <c>points = floor(value / MinorUnitsPerStep) × PointsPerStep</c>.
/// Written in configuration as <c>HKD:100:1;MOP:100:1</c> (currency, minor units per step, points per step).
/// A currency without a rule earns 0 points, recorded with the reason.
/// </summary>
public sealed class EarnRules
{
    private readonly Dictionary<string, (long MinorUnitsPerStep, long PointsPerStep)> _rules;

    private EarnRules(Dictionary<string, (long, long)> rules) => _rules = rules;

    /// <summary>1 point per whole HKD 1.00; every other currency earns nothing.</summary>
    public static EarnRules Default { get; } = Parse("HKD:100:1");

    /// <summary>Parses <c>CUR:minorUnitsPerStep:pointsPerStep</c> entries separated by <c>;</c>.</summary>
    /// <exception cref="FormatException">An entry is malformed; the message says which.</exception>
    public static EarnRules Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var rules = new Dictionary<string, (long, long)>(StringComparer.OrdinalIgnoreCase);
        foreach (var entry in text.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var parts = entry.Split(':', StringSplitOptions.TrimEntries);
            if (parts.Length != 3 || parts[0].Length != 3 || !parts[0].All(char.IsAsciiLetter)
                || !long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var step) || step <= 0
                || !long.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var points))
            {
                throw new FormatException($"has a malformed earn rule '{entry}': expected CUR:minorUnitsPerStep:pointsPerStep, e.g. HKD:100:1");
            }
            if (!rules.TryAdd(parts[0], (step, points)))
            {
                throw new FormatException($"names currency {parts[0]} twice");
            }
        }
        return new EarnRules(rules);
    }

    /// <summary>The points a payment earns, and why it earns none when it earns none.</summary>
    public Earning Earn(string currency, long valueInMinorUnits)
    {
        if (valueInMinorUnits <= 0)
        {
            return new Earning(0, "the amount is not positive");
        }
        if (!_rules.TryGetValue(currency, out var rule))
        {
            return new Earning(0, $"no earn rule for currency {currency}");
        }
        var points = checked(valueInMinorUnits / rule.MinorUnitsPerStep * rule.PointsPerStep);
        return new Earning(points, points == 0 ? "the amount is below one earning step" : null);
    }

    /// <inheritdoc />
    public override string ToString() =>
        string.Join(';', _rules.Select(r => string.Create(CultureInfo.InvariantCulture, $"{r.Key}:{r.Value.MinorUnitsPerStep}:{r.Value.PointsPerStep}")));
}

/// <summary>The points a payment earns.</summary>
/// <param name="Points">0 or more.</param>
/// <param name="ZeroReason">Why no points were earned, when none were.</param>
public readonly record struct Earning(long Points, string? ZeroReason);
