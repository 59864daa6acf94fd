namespace AlipayFunctions.Storage.Tables;

/// <summary>Builds OData <c>$filter</c> expressions with literals escaped, so values never change the query.</summary>
public static class TableFilter
{
    /// <summary><c>PartitionKey eq '…'</c>.</summary>
    public static string PartitionKeyEquals(string partitionKey) => "PartitionKey eq " + Quote(partitionKey);

    /// <summary><c>PartitionKey eq '…' and RowKey ge '…' and RowKey lt '…'</c>: the rows of one partition whose key starts with <paramref name="rowKeyPrefix"/>.</summary>
    public static string RowKeyStartsWith(string partitionKey, string rowKeyPrefix)
    {
        ArgumentException.ThrowIfNullOrEmpty(rowKeyPrefix);
        var last = rowKeyPrefix[^1];
        if (last == char.MaxValue)
        {
            throw new ArgumentException("The prefix may not end with U+FFFF.", nameof(rowKeyPrefix));
        }

        var upper = string.Concat(rowKeyPrefix.AsSpan(0, rowKeyPrefix.Length - 1), ((char)(last + 1)).ToString());
        return $"{PartitionKeyEquals(partitionKey)} and RowKey ge {Quote(rowKeyPrefix)} and RowKey lt {Quote(upper)}";
    }

    /// <summary>An OData string literal: in single quotes, with single quotes doubled.</summary>
    public static string Quote(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return string.Concat("'", value.Replace("'", "''", StringComparison.Ordinal), "'");
    }
}
