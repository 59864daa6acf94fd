namespace AlipayHK.Simulator.Faults;

/// <summary>The active fault rules; thread-safe. The first rule that fires on a call wins.</summary>
public sealed class FaultRules
{
    private readonly Lock _lock = new();
    private readonly List<(FaultRule Rule, Random? Random)> _rules = [];
    private int _nextId;

    /// <summary>Adds a rule and returns it with its id.</summary>
    /// <exception cref="ArgumentException">The rule is inconsistent (count, probability, delay).</exception>
    public FaultRule Add(FaultRule rule)
    {
        ArgumentNullException.ThrowIfNull(rule);
        Validate(rule);
        var copy = rule.Clone();
        copy.Hits = 0;
        var random = copy.Mode == FaultMode.Probability ? (copy.Seed is { } seed ? new Random(seed) : new Random()) : null;
        lock (_lock)
        {
            copy.Id = $"fault-{++_nextId}";
            _rules.Add((copy, random));
            return copy.Clone();
        }
    }

    /// <summary>Removes one rule; false when no rule has that id.</summary>
    public bool Remove(string id)
    {
        lock (_lock)
        {
            return _rules.RemoveAll(r => r.Rule.Id == id) > 0;
        }
    }

    /// <summary>Removes every rule.</summary>
    public void Clear()
    {
        lock (_lock)
        {
            _rules.Clear();
        }
    }

    /// <summary>A copy of the rules, with their hit counts.</summary>
    public IReadOnlyList<FaultRule> List()
    {
        lock (_lock)
        {
            return _rules.Select(r => r.Rule.Clone()).ToList();
        }
    }

    /// <summary>Decides whether a call to an API (short name and path) is faulted, and counts the hit.</summary>
    internal FaultRule? Fire(string api, string path)
    {
        lock (_lock)
        {
            foreach (var (rule, random) in _rules)
            {
                if (!Matches(rule.Path, api, path))
                {
                    continue;
                }
                var fires = rule.Mode switch
                {
                    FaultMode.Always => true,
                    FaultMode.NextN => rule.Hits < rule.Count,
                    FaultMode.Probability => random!.NextDouble() < rule.Probability,
                    _ => false,
                };
                if (fires)
                {
                    rule.Hits++;
                    return rule.Clone();
                }
            }
            return null;
        }
    }

    private static bool Matches(string pattern, string api, string path) =>
        pattern == "*"
        || string.Equals(pattern, api, StringComparison.OrdinalIgnoreCase)
        || string.Equals(pattern, path, StringComparison.OrdinalIgnoreCase)
        || (!pattern.Contains('/', StringComparison.Ordinal) && path.EndsWith("/" + pattern, StringComparison.OrdinalIgnoreCase));

    private static void Validate(FaultRule rule)
    {
        if (string.IsNullOrWhiteSpace(rule.Path))
        {
            throw new ArgumentException("A fault rule needs a Path (an API path, its last segment, or *).", nameof(rule));
        }
        if (!Enum.IsDefined(rule.Kind) || !Enum.IsDefined(rule.Mode))
        {
            throw new ArgumentException("Unknown fault Kind or Mode.", nameof(rule));
        }
        if (rule.Mode == FaultMode.NextN && rule.Count < 1)
        {
            throw new ArgumentException("A NextN fault rule needs Count >= 1.", nameof(rule));
        }
        if (rule.Mode == FaultMode.Probability && rule.Probability is < 0 or > 1)
        {
            throw new ArgumentException("A Probability fault rule needs Probability between 0 and 1.", nameof(rule));
        }
        if (rule.Delay < TimeSpan.Zero || rule.RetryAfter < TimeSpan.Zero)
        {
            throw new ArgumentException("Delay and RetryAfter cannot be negative.", nameof(rule));
        }
        if (rule.ResultStatus is not ("F" or "U"))
        {
            throw new ArgumentException("ResultStatus is F or U.", nameof(rule));
        }
    }
}
