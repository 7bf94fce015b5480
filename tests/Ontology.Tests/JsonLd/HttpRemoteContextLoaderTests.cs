using System.Net;
using System.Net.Sockets;
using System.Text;
using Ontology.JsonLd;
using Xunit;

namespace Ontology.Tests.JsonLd;

/// <summary>The HTTP loader against a minimal HTTP/1.1 server on a loopback <see cref="TcpListener"/>.</summary>
public sealed class HttpRemoteContextLoaderTests : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _server;
    private readonly HttpClient _client = new();

    public HttpRemoteContextLoaderTests()
    {
        _listener.Start();
        _server = Task.Run(ServeAsync);
    }

    private string Url(string path) => $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}{path}";

    private async Task ServeAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient connection;
            try
            {
                connection = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            _ = Task.Run(async () =>
            {
                using var _ = connection;
                var stream = connection.GetStream();
                var buffer = new byte[4096];
                var head = new StringBuilder();
                while (!head.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
                {
                    var read = await stream.ReadAsync(buffer);
                    if (read == 0)
                        return;
                    head.Append(Encoding.ASCII.GetString(buffer, 0, read));
                }
                var path = head.ToString().Split(' ')[1];
                var (status, body) = path switch
                {
                    "/ok" => ("200 OK", """{ "@context": { "a": "https://example.org/a" } }"""),
                    "/big" => ("200 OK", "{ \"@context\": { \"a\": \"" + new string('x', 4000) + "\" } }"),
                    "/notjson" => ("200 OK", "<html>hello</html>"),
                    "/slow" => ("200 OK", ""),
                    _ => ("404 Not Found", "{}"),
                };
                if (path == "/slow")
                {
                    try
                    {
                        await Task.Delay(TimeSpan.FromSeconds(10), _stop.Token);
                    }
                    catch (OperationCanceledException)
                    {
                    }
                    return;
                }
                var bytes = Encoding.UTF8.GetBytes(body);
                var response = $"HTTP/1.1 {status}\r\nContent-Type: application/ld+json\r\nContent-Length: {bytes.Length}\r\nConnection: close\r\n\r\n";
                await stream.WriteAsync(Encoding.ASCII.GetBytes(response));
                await stream.WriteAsync(bytes);
            });
        }
    }

    private HttpRemoteContextLoader Loader(TimeSpan? timeout = null) =>
        new(_client, new RemoteContextOptions { Timeout = timeout ?? TimeSpan.FromSeconds(5), MaxDocumentBytes = 1000 });

    [Fact]
    public async Task Loads_a_json_document()
    {
        using var document = await Loader().LoadAsync(new Uri(Url("/ok")), CancellationToken.None);
        Assert.True(document.RootElement.TryGetProperty("@context", out _));
    }

    [Theory]
    [InlineData("/missing")]
    [InlineData("/big")]
    [InlineData("/notjson")]
    public async Task Failures_are_not_available(string path)
    {
        var error = await Assert.ThrowsAsync<JsonLdContextException>(() => Loader().LoadAsync(new Uri(Url(path)), CancellationToken.None).AsTask());
        Assert.Equal(JsonLdContextError.ContextNotAvailable, error.Kind);
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Times_out()
    {
        var error = await Assert.ThrowsAsync<JsonLdContextException>(
            () => Loader(TimeSpan.FromMilliseconds(200)).LoadAsync(new Uri(Url("/slow")), CancellationToken.None).AsTask());
        Assert.Equal(JsonLdContextError.ContextNotAvailable, error.Kind);
    }

    [Fact]
    public async Task Only_http_and_https_are_fetched()
    {
        var error = await Assert.ThrowsAsync<JsonLdContextException>(() => Loader().LoadAsync(new Uri("file:///etc/passwd"), CancellationToken.None).AsTask());
        Assert.Equal(JsonLdContextError.ContextNotAvailable, error.Kind);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _server;
        _client.Dispose();
        _stop.Dispose();
    }
}
