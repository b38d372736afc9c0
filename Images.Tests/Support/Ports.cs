using System.Net;
using System.Net.Sockets;

namespace Images.Tests.Support;

public static class Ports
{
    /// <summary>A loopback TCP port that was free a moment ago (the OS picks it).</summary>
    public static int Free()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
