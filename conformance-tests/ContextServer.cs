using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Conformance;

/// <summary>Serves one JSON-LD @context document on a loopback port, for brokers that run on this machine.</summary>
public sealed class ContextServer : IDisposable
{
    public const string Document = """
        {"@context":{"Parking":"https://smartdatamodels.org/dataModel.Parking/OffStreetParking","spots":"https://example.org/spots"}}
        """;

    private readonly HttpListener _listener = new();
    private readonly Task _loop;

    public ContextServer()
    {
        var port = FreePort();
        Url = $"http://127.0.0.1:{port}/parking-context.jsonld";
        _listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        _listener.Start();
        _loop = Task.Run(ServeAsync);
    }

    public string Url { get; }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    private async Task ServeAsync()
    {
        var bytes = Encoding.UTF8.GetBytes(Document);
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (HttpListenerException)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            context.Response.ContentType = "application/ld+json";
            context.Response.ContentLength64 = bytes.Length;
            await context.Response.OutputStream.WriteAsync(bytes);
            context.Response.Close();
        }
    }

    public void Dispose()
    {
        _listener.Stop();
        _listener.Close();
        try
        {
            _loop.Wait(TimeSpan.FromSeconds(2));
        }
        catch (AggregateException)
        {
        }
    }
}
