using System.Globalization;
using Azure;

namespace AlipayFunctions.Storage.Tables;

/// <summary>How an update treats properties the entity does not carry.</summary>
public enum TableUpdateMode
{
    /// <summary>Keep the stored properties the entity does not set (MERGE).</summary>
    Merge,

    /// <summary>Replace the stored entity with exactly this one (PUT).</summary>
    Replace,
}

/// <summary>
/// A table entity: keys, ETag, timestamp and typed properties. Property values are <see cref="string"/>,
/// <see cref="long"/>, <see cref="int"/>, <see cref="bool"/>, <see cref="double"/>, <see cref="DateTimeOffset"/>,
/// <c>byte[]</c> or <see cref="Guid"/>; setting <c>null</c> removes the property (tables store no nulls).
/// Not thread-safe.
/// </summary>
public sealed class TableEntity
{
    private readonly Dictionary<string, object?> _properties = new(StringComparer.Ordinal);

    /// <summary>Creates an entity with its keys.</summary>
    /// <exception cref="ArgumentException">A key holds / \ # ? or a control character, or is over 1 KiB.</exception>
    public TableEntity(string partitionKey, string rowKey)
    {
        TableKeys.Validate(partitionKey, nameof(partitionKey));
        TableKeys.Validate(rowKey, nameof(rowKey));
        PartitionKey = partitionKey;
        RowKey = rowKey;
    }

    /// <summary>The partition key.</summary>
    public string PartitionKey { get; }

    /// <summary>The row key.</summary>
    public string RowKey { get; }

    /// <summary>The ETag the service gave this entity when it was read or written (pass it back as <c>If-Match</c>).</summary>
    public ETag ETag { get; set; }

    /// <summary>The service's last-modified time, when read from the service.</summary>
    public DateTimeOffset? Timestamp { get; set; }

    /// <summary>The properties other than the keys and timestamp.</summary>
    public IReadOnlyDictionary<string, object?> Properties => _properties;

    /// <summary>Gets a property (<c>null</c> when absent) or sets one (<c>null</c> removes it).</summary>
    /// <exception cref="ArgumentException">The name is reserved or the value's type is not a table type.</exception>
    public object? this[string name]
    {
        get => _properties.GetValueOrDefault(name);
        set
        {
            ValidateName(name);
            if (value is null)
            {
                _properties.Remove(name);
                return;
            }

            _properties[name] = value switch
            {
                string or long or int or bool or double or DateTimeOffset or byte[] or Guid => value,
                DateTime { Kind: DateTimeKind.Utc } utc => new DateTimeOffset(utc),
                DateTime => throw new ArgumentException($"Property '{name}': use a DateTimeOffset or a UTC DateTime.", nameof(value)),
                _ => throw new ArgumentException(
                    $"Property '{name}': {value.GetType().Name} is not a table type (string, long, int, bool, double, DateTimeOffset, byte[], Guid).",
                    nameof(value)),
            };
        }
    }

    /// <summary>A string property, or <c>null</c>.</summary>
    public string? GetString(string name) => Get<string>(name);

    /// <summary>An Int64 property (an Int32 widens), or <c>null</c>.</summary>
    public long? GetInt64(string name) => this[name] switch
    {
        null => null,
        long l => l,
        int i => i,
        var other => throw WrongType(name, other, "Int64"),
    };

    /// <summary>An Int32 property (an Int64 in range narrows), or <c>null</c>.</summary>
    public int? GetInt32(string name) => this[name] switch
    {
        null => null,
        int i => i,
        long l when l is >= int.MinValue and <= int.MaxValue => (int)l,
        var other => throw WrongType(name, other, "Int32"),
    };

    /// <summary>A boolean property, or <c>null</c>.</summary>
    public bool? GetBoolean(string name) => GetValue<bool>(name);

    /// <summary>A double property (an integer widens), or <c>null</c>.</summary>
    public double? GetDouble(string name) => this[name] switch
    {
        null => null,
        double d => d,
        int i => i,
        long l => l,
        var other => throw WrongType(name, other, "Double"),
    };

    /// <summary>A date-time property, or <c>null</c>.</summary>
    public DateTimeOffset? GetDateTimeOffset(string name) => GetValue<DateTimeOffset>(name);

    /// <summary>A binary property, or <c>null</c>.</summary>
    public byte[]? GetBinary(string name) => Get<byte[]>(name);

    /// <summary>A GUID property, or <c>null</c>.</summary>
    public Guid? GetGuid(string name) => GetValue<Guid>(name);

    /// <inheritdoc />
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"TableEntity({PartitionKey}, {RowKey}, {_properties.Count} properties)");

    internal void SetRead(string name, object value) => _properties[name] = value;

    private T? Get<T>(string name)
        where T : class => this[name] switch
        {
            null => null,
            T value => value,
            var other => throw WrongType(name, other, typeof(T).Name),
        };

    private T? GetValue<T>(string name)
        where T : struct => this[name] switch
        {
            null => null,
            T value => value,
            var other => throw WrongType(name, other, typeof(T).Name),
        };

    private static InvalidOperationException WrongType(string name, object value, string wanted) =>
        new($"Property '{name}' is {value.GetType().Name}, not {wanted}.");

    private static void ValidateName(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (name is "PartitionKey" or "RowKey" or "Timestamp" or "ETag"
            || name.StartsWith("odata.", StringComparison.Ordinal)
            || name.Contains('@', StringComparison.Ordinal)
            || name.Length > 255)
        {
            throw new ArgumentException($"'{name}' cannot be a property name: it is reserved, has '@' or is over 255 characters.", nameof(name));
        }
    }
}

/// <summary>Row and partition key rules, and their form inside an entity URI.</summary>
internal static class TableKeys
{
    public const int MaxLength = 1024;

    public static void Validate(string key, string parameterName)
    {
        ArgumentNullException.ThrowIfNull(key, parameterName);
        if (key.Length > MaxLength)
        {
            throw new ArgumentException($"A table key is at most {MaxLength} characters; this one has {key.Length}.", parameterName);
        }

        foreach (var c in key)
        {
            if (c is '/' or '\\' or '#' or '?' || char.IsControl(c))
            {
                throw new ArgumentException(
                    $"A table key may not contain / \\ # ? or control characters (found U+{(int)c:X4}).", parameterName);
            }
        }
    }

    /// <summary><c>(PartitionKey='p',RowKey='r')</c>: single quotes doubled, then URL-encoded.</summary>
    public static string EntityPath(string table, string partitionKey, string rowKey)
    {
        Validate(partitionKey, nameof(partitionKey));
        Validate(rowKey, nameof(rowKey));
        return string.Concat(
            table,
            "(PartitionKey='", Uri.EscapeDataString(partitionKey.Replace("'", "''", StringComparison.Ordinal)),
            "',RowKey='", Uri.EscapeDataString(rowKey.Replace("'", "''", StringComparison.Ordinal)), "')");
    }
}
