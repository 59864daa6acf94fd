using System.Net;
using System.Net.Sockets;

namespace AlipayFunctions.Testing;

/// <summary>
/// HTTP clients that connect from a chosen loopback address, so a test has real distinct client addresses without a
/// header to fake them: on Linux all of 127.0.0.0/8 is the loopback interface, so a socket bound to 127.0.0.2 reaches
/// a server listening on 127.0.0.1, which sees 127.0.0.2 as the peer.
/// </summary>
public static class SourceAddressClient
{
    /// <summary>127.0.0.<paramref name="last"/> (2-254): one address per simulated client.</summary>
    public static IPAddress Loopback(int last) =>
        last is >= 2 and <= 254 ? new IPAddress([127, 0, 0, (byte)last]) : throw new ArgumentOutOfRangeException(nameof(last), last, "2..254");

    /// <summary>A client whose every connection comes from <paramref name="source"/>.</summary>
    public static HttpClient Create(IPAddress source, Uri baseAddress, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            ConnectCallback = async (context, cancellationToken) =>
            {
                var socket = new Socket(source.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    socket.Bind(new IPEndPoint(source, 0));
                    await socket.ConnectAsync(context.DnsEndPoint, cancellationToken).ConfigureAwait(false);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        return new HttpClient(handler) { BaseAddress = baseAddress, Timeout = timeout ?? TimeSpan.FromSeconds(120) };
    }
}
