using System.Text;

namespace AlipayHK.OpenApi.Signing;

/// <summary>
/// The exact bytes that are signed (protocol §2.1):
/// <c>POST &lt;path&gt;\n&lt;Client-Id&gt;.&lt;Request-Time or Response-Time&gt;.&lt;raw body&gt;</c>.
/// The same string serves requests, responses and webhooks; only the time header differs.
/// </summary>
public static class StringToSign
{
    /// <summary>How many bytes <see cref="Write"/> needs.</summary>
    public static int GetByteCount(string method, string path, string clientId, string time, int bodyLength) =>
        Encoding.UTF8.GetByteCount(method) + 1 + Encoding.UTF8.GetByteCount(path) + 1
        + Encoding.UTF8.GetByteCount(clientId) + 1 + Encoding.UTF8.GetByteCount(time) + 1 + bodyLength;

    /// <summary>Writes the string-to-sign into <paramref name="destination"/> and returns the number of bytes written.</summary>
    public static int Write(Span<byte> destination, string method, string path, string clientId, string time, ReadOnlySpan<byte> body)
    {
        var n = Encoding.UTF8.GetBytes(method, destination);
        destination[n++] = (byte)' ';
        n += Encoding.UTF8.GetBytes(path, destination[n..]);
        destination[n++] = (byte)'\n';
        n += Encoding.UTF8.GetBytes(clientId, destination[n..]);
        destination[n++] = (byte)'.';
        n += Encoding.UTF8.GetBytes(time, destination[n..]);
        destination[n++] = (byte)'.';
        body.CopyTo(destination[n..]);
        return n + body.Length;
    }

    /// <summary>The string-to-sign as a new array (for signing, where the array is sent to the signer anyway).</summary>
    public static byte[] Build(string method, string path, string clientId, string time, ReadOnlySpan<byte> body)
    {
        var bytes = new byte[GetByteCount(method, path, clientId, time, body.Length)];
        Write(bytes, method, path, clientId, time, body);
        return bytes;
    }
}
