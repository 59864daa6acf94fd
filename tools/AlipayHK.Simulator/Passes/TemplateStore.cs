using System.Collections.Concurrent;

namespace AlipayHK.Simulator.Passes;

/// <summary>The card templates the merchant may issue passes from; thread-safe.</summary>
public sealed class TemplateStore
{
    private readonly ConcurrentDictionary<string, TemplateOptions> _templates = new(StringComparer.Ordinal);

    internal TemplateStore(IEnumerable<TemplateOptions> seed)
    {
        foreach (var template in seed)
        {
            Upsert(template);
        }
        if (_templates.IsEmpty)
        {
            Upsert(TemplateOptions.DefaultMemberCard());
        }
    }

    /// <summary>Adds or replaces a template (e.g. to freeze it mid-test).</summary>
    /// <exception cref="ArgumentException">The template has no code.</exception>
    public void Upsert(TemplateOptions template)
    {
        ArgumentNullException.ThrowIfNull(template);
        if (string.IsNullOrWhiteSpace(template.TemplateCode))
        {
            throw new ArgumentException("A template needs a TemplateCode.", nameof(template));
        }
        _templates[template.TemplateCode] = template;
    }

    /// <summary>The template with this code, or null.</summary>
    public TemplateOptions? Find(string templateCode) => _templates.GetValueOrDefault(templateCode);

    /// <summary>Every template.</summary>
    public IReadOnlyList<TemplateOptions> List() => _templates.Values.OrderBy(t => t.TemplateCode, StringComparer.Ordinal).ToList();
}
