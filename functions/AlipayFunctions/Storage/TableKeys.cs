using System.Globalization;

namespace AlipayFunctions.Storage;

/// <summary>
/// What Table storage accepts as a PartitionKey or RowKey: no <c>/</c>, <c>\</c>, <c>#</c>, <c>?</c> or control
/// characters, and at most 1 KiB. Checked where outside data becomes a key (a webhook's <c>userId</c>), so such data
/// is refused with a clear answer instead of being accepted and then poisoning the queue that tries to store it.
/// </summary>
public static class TableKeys
{
    /// <summary>The longest key in characters: 1 KiB of UTF-16.</summary>
    public const int MaxLength = 512;

    /// <summary>Why <paramref name="value"/> cannot be a table key, or null when it can.</summary>
    public static string? Problem(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return "is empty";
        }
        if (value.Length > MaxLength)
        {
            return string.Create(CultureInfo.InvariantCulture, $"is longer than {MaxLength} characters");
        }
        foreach (var c in value)
        {
            if (c is '/' or '\\' or '#' or '?')
            {
                return $"contains '{c}', which a storage key cannot hold";
            }
            if (char.IsControl(c))
            {
                return "contains a control character, which a storage key cannot hold";
            }
        }
        return null;
    }
}
