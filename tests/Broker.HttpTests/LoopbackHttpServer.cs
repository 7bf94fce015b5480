using System.Net;

namespace Broker.HttpTests;

/// <summary>An HTTP server on a free loopback port that answers every request with <c>handle</c>; for the documents the broker fetches (remote @contexts, JWKS).</summary>
public sealed class LoopbackHttpServer : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Func<HttpListenerContext, Task> _handle;
    private readonly Task _loop;
    private int _disposed;

    public LoopbackHttpServer(Func<HttpListenerContext, Task> handle)
    {
        _handle = handle;
        BaseUrl = $"http://127.0.0.1:{BrokerProcess.FreePort()}";
        _listener.Prefixes.Add(BaseUrl + "/");
        _listener.Start();
        _loop = Task.Run(ServeAsync);
    }

    public string BaseUrl { get; }

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }
            await _handle(context);
            context.Response.Close();
        }
    }

    public void Dispose()
    {
        // Its owner may be disposed twice (a factory's Dispose and DisposeAsync).
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
            return;
        _listener.Stop();
        _listener.Close();
        _loop.Wait(TimeSpan.FromSeconds(5));
    }
}
