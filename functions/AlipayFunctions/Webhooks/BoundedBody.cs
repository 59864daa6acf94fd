namespace AlipayFunctions.Webhooks;

/// <summary>Reads a request body up to a limit, enforced on the stream itself: a chunked body has no length to check first.</summary>
internal static class BoundedBody
{
    /// <summary>The body, or null when it is longer than <paramref name="limit"/> bytes (reading stops there).</summary>
    public static async Task<byte[]?> ReadAsync(Stream body, int limit, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(body);
        var buffer = new byte[Math.Min(limit + 1, 16 * 1024)];
        var length = 0;
        while (true)
        {
            if (length == buffer.Length)
            {
                if (buffer.Length > limit)
                {
                    return null;
                }
                Array.Resize(ref buffer, Math.Min(buffer.Length * 2, limit + 1));
            }
            var read = await body.ReadAsync(buffer.AsMemory(length), ct).ConfigureAwait(false);
            if (read == 0)
            {
                return buffer.AsSpan(0, length).ToArray();
            }
            length += read;
            if (length > limit)
            {
                return null;
            }
        }
    }
}
