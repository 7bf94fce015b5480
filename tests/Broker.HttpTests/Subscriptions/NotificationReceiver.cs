using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Xunit;

namespace Broker.HttpTests.Subscriptions;

/// <summary>How the receiver answers the requests to one path.</summary>
public sealed record Reply
{
    /// <summary>The status of every answer after the first <see cref="FailFirst"/> requests.</summary>
    public int Status { get; init; } = 200;

    /// <summary>How many requests are answered <see cref="FailStatus"/> before the path answers <see cref="Status"/>.</summary>
    public int FailFirst { get; init; }

    public int FailStatus { get; init; } = 500;

    /// <summary>How long each answer waits.</summary>
    public TimeSpan Delay { get; init; }

    /// <summary>Never answers: the request stays open until the client gives up (or the receiver stops).</summary>
    public bool Hang { get; init; }

    public static Reply Ok { get; } = new();

    public static Reply WithStatus(int status) => new() { Status = status };

    public static Reply FailingFirst(int count, int status = 500) => new() { FailFirst = count, FailStatus = status };

    public static Reply After(TimeSpan delay) => new() { Delay = delay };

    public static Reply Hanging { get; } = new() { Hang = true };
}

/// <summary>One request the receiver got: its head as sent (header names exactly as written), its body, and what became of it.</summary>
public sealed class ReceivedRequest(string method, string target, IReadOnlyList<KeyValuePair<string, string>> headers, byte[] body, DateTimeOffset receivedAt)
{
    private long _answeredAt;
    private long _abortedAt;
    private int _status;

    public string Method { get; } = method;

    /// <summary>The request target as sent, with its query.</summary>
    public string Target { get; } = target;

    public string Path => Target.Split('?', 2)[0];

    /// <summary>Every header line in order, with the name as the client wrote it.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Headers { get; } = headers;

    public byte[] Body { get; } = body;

    public DateTimeOffset ReceivedAt { get; } = receivedAt;

    /// <summary>When the answer was written; null while the request waits, or when it was never answered.</summary>
    public DateTimeOffset? AnsweredAt => Read(ref _answeredAt);

    /// <summary>The status the receiver answered with; 0 while unanswered.</summary>
    public int Status => Volatile.Read(ref _status);

    /// <summary>When the client closed the connection without waiting for the answer (a timeout on its side).</summary>
    public DateTimeOffset? AbortedAt => Read(ref _abortedAt);

    public string BodyText => Encoding.UTF8.GetString(Body);

    public JsonObject Json => JsonNode.Parse(Body) as JsonObject ?? throw new Xunit.Sdk.XunitException($"The body is not a JSON object: {BodyText}");

    /// <summary>The values of the headers whose name is exactly <paramref name="name"/> (ordinal comparison).</summary>
    public IReadOnlyList<string> HeaderValues(string name) => [.. Headers.Where(h => h.Key == name).Select(h => h.Value)];

    /// <summary>The one header named exactly <paramref name="name"/>, or null; fails when there are several.</summary>
    public string? Header(string name) => HeaderValues(name) switch
    {
        [] => null,
        [var single] => single,
        var several => throw new Xunit.Sdk.XunitException($"{several.Count} '{name}' headers: {string.Join(" | ", several)}"),
    };

    /// <summary>True when some header has this name in any letter case.</summary>
    public bool HasHeaderIgnoringCase(string name) => Headers.Any(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase));

    internal void Answered(int status)
    {
        Volatile.Write(ref _status, status);
        Interlocked.Exchange(ref _answeredAt, DateTimeOffset.UtcNow.UtcTicks);
    }

    internal void Aborted() => Interlocked.Exchange(ref _abortedAt, DateTimeOffset.UtcNow.UtcTicks);

    private static DateTimeOffset? Read(ref long ticks)
    {
        var value = Interlocked.Read(ref ticks);
        return value == 0 ? null : new DateTimeOffset(value, TimeSpan.Zero);
    }

    public override string ToString() => $"{Method} {Target} at {ReceivedAt:HH:mm:ss.fff}: {BodyText}";
}

/// <summary>
/// A notification endpoint on 127.0.0.1: a small HTTP/1.1 server on a socket of its own, so that it sees every request
/// exactly as the broker wrote it (header names included), and can answer slowly or not at all. It records every request
/// by path; each path answers as <see cref="Answer"/> said (200 by default). Tests take a path of their own with
/// <see cref="NewPath"/> and wait for requests with <see cref="WaitForAsync"/> and <see cref="WaitUntilAsync"/>.
/// </summary>
public sealed class NotificationReceiver : IAsyncLifetime, IAsyncDisposable
{
    private static readonly byte[] HeadEnd = "\r\n\r\n"u8.ToArray();

    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stopped = new();
    private readonly ConcurrentDictionary<string, Reply> _replies = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _answered = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<Task, bool> _connections = new();
    private readonly Lock _lock = new();
    private readonly Dictionary<string, List<ReceivedRequest>> _requests = new(StringComparer.Ordinal);
    private readonly Task _accepting;
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>A receiver on a free port.</summary>
    public NotificationReceiver() : this(0)
    {
    }

    private NotificationReceiver(int port)
    {
        _listener = new TcpListener(IPAddress.Loopback, port);
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _accepting = Task.Run(AcceptAsync);
    }

    /// <summary>A receiver on <paramref name="port"/>, e.g. one an endpoint named while nothing listened there.</summary>
    public static NotificationReceiver OnPort(int port) => new(port);

    public int Port { get; }

    /// <summary>The endpoint URI of a path of this receiver.</summary>
    public string UrlOf(string path) => $"http://127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}{path}";

    /// <summary>A path no other test uses.</summary>
    public static string NewPath(string name = "notify") => $"/{name}/{Guid.NewGuid():N}";

    /// <summary>How requests to <paramref name="path"/> are answered from now on.</summary>
    public void Answer(string path, Reply reply) => _replies[path] = reply;

    /// <summary>The requests to <paramref name="path"/> so far, in the order they arrived.</summary>
    public IReadOnlyList<ReceivedRequest> RequestsTo(string path)
    {
        lock (_lock)
            return _requests.TryGetValue(path, out var list) ? [.. list] : [];
    }

    /// <summary>Waits until <paramref name="path"/> got at least <paramref name="count"/> requests; fails after <paramref name="timeout"/>.</summary>
    public Task<IReadOnlyList<ReceivedRequest>> WaitForAsync(string path, int count, TimeSpan timeout) =>
        WaitUntilAsync(path, requests => requests.Count >= count, timeout, $"{count} requests");

    /// <summary>Waits up to <paramref name="timeout"/> for <paramref name="count"/> requests to <paramref name="path"/>; false when they did not come.</summary>
    public async Task<bool> TryWaitForAsync(string path, int count, TimeSpan timeout)
    {
        var deadline = DateTimeOffset.UtcNow + timeout;
        while (true)
        {
            var changed = Volatile.Read(ref _changed).Task;
            if (RequestsTo(path).Count >= count)
                return true;
            var left = deadline - DateTimeOffset.UtcNow;
            if (left <= TimeSpan.Zero)
                return false;
            await Task.WhenAny(changed, Task.Delay(left));
        }
    }

    /// <summary>Waits until the requests to <paramref name="path"/> meet <paramref name="condition"/>; fails after <paramref name="timeout"/>, listing them.</summary>
    public async Task<IReadOnlyList<ReceivedRequest>> WaitUntilAsync(string path, Func<IReadOnlyList<ReceivedRequest>, bool> condition, TimeSpan timeout,
        string what = "the condition")
    {
        var deadline = DateTimeOffset.UtcNow + timeout;
        while (true)
        {
            var changed = Volatile.Read(ref _changed).Task;
            var requests = RequestsTo(path);
            if (condition(requests))
                return requests;
            var left = deadline - DateTimeOffset.UtcNow;
            if (left <= TimeSpan.Zero)
                throw new Xunit.Sdk.XunitException($"{path} did not get {what} within {timeout}; it got {requests.Count}:\n{string.Join('\n', requests)}");
            await Task.WhenAny(changed, Task.Delay(left));
        }
    }

    /// <summary>Waits <paramref name="during"/> and asserts that <paramref name="path"/> still has exactly <paramref name="count"/> requests.</summary>
    public async Task AssertStaysAtAsync(string path, int count, TimeSpan during)
    {
        var deadline = DateTimeOffset.UtcNow + during;
        while (true)
        {
            var changed = Volatile.Read(ref _changed).Task;
            var requests = RequestsTo(path);
            if (requests.Count > count)
                throw new Xunit.Sdk.XunitException($"{path} was to get {count} requests, but got {requests.Count}:\n{string.Join('\n', requests)}");
            var left = deadline - DateTimeOffset.UtcNow;
            if (left <= TimeSpan.Zero)
            {
                Assert.Equal(count, requests.Count);
                return;
            }
            await Task.WhenAny(changed, Task.Delay(left));
        }
    }

    private void Changed() => Interlocked.Exchange(ref _changed, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();

    private async Task AcceptAsync()
    {
        while (!_stopped.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptSocketAsync(_stopped.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }
            var connection = Task.Run(() => ServeAsync(socket));
            _connections[connection] = true;
            _ = connection.ContinueWith(done => _connections.TryRemove(done, out _), TaskScheduler.Default);
        }
    }

    /// <summary>Serves the requests of one connection (kept alive) until the client closes it or the receiver stops.</summary>
    private async Task ServeAsync(Socket socket)
    {
        socket.NoDelay = true;
        await using var stream = new NetworkStream(socket, ownsSocket: true);
        var buffer = new List<byte>(8192);
        var chunk = new byte[8192];
        var token = _stopped.Token;
        try
        {
            while (!token.IsCancellationRequested)
            {
                int headEnd;
                while ((headEnd = IndexOf(buffer, HeadEnd)) < 0)
                {
                    var read = await stream.ReadAsync(chunk, token);
                    if (read == 0)
                        return;
                    buffer.AddRange(chunk.AsSpan(0, read));
                }
                var head = Encoding.ASCII.GetString([.. buffer.GetRange(0, headEnd)]);
                buffer.RemoveRange(0, headEnd + HeadEnd.Length);
                var lines = head.Split("\r\n");
                var requestLine = lines[0].Split(' ');
                var headers = new List<KeyValuePair<string, string>>();
                foreach (var line in lines.Skip(1))
                {
                    var colon = line.IndexOf(':', StringComparison.Ordinal);
                    headers.Add(new(line[..colon], line[(colon + 1)..].Trim()));
                }
                var body = await ReadBodyAsync(stream, buffer, chunk, headers, token);
                var request = new ReceivedRequest(requestLine[0], requestLine[1], headers, body, DateTimeOffset.UtcNow);
                lock (_lock)
                {
                    if (!_requests.TryGetValue(request.Path, out var list))
                        _requests[request.Path] = list = [];
                    list.Add(request);
                }
                Changed();
                if (!await AnswerAsync(stream, request, token))
                    return;
            }
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
        }
    }

    private static async Task<byte[]> ReadBodyAsync(NetworkStream stream, List<byte> buffer, byte[] chunk, List<KeyValuePair<string, string>> headers, CancellationToken token)
    {
        var lengthHeader = headers.Find(h => h.Key.Equals("Content-Length", StringComparison.OrdinalIgnoreCase)).Value;
        if (lengthHeader is not null)
        {
            var length = int.Parse(lengthHeader, CultureInfo.InvariantCulture);
            await FillAsync(stream, buffer, chunk, length, token);
            var body = buffer.GetRange(0, length).ToArray();
            buffer.RemoveRange(0, length);
            return body;
        }
        if (headers.Exists(h => h.Key.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase) && h.Value.Contains("chunked", StringComparison.OrdinalIgnoreCase)))
        {
            var content = new List<byte>();
            while (true)
            {
                int lineEnd;
                while ((lineEnd = IndexOf(buffer, "\r\n"u8.ToArray())) < 0)
                    await FillAsync(stream, buffer, chunk, buffer.Count + 1, token);
                var size = int.Parse(Encoding.ASCII.GetString([.. buffer.GetRange(0, lineEnd)]).Split(';')[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                buffer.RemoveRange(0, lineEnd + 2);
                await FillAsync(stream, buffer, chunk, size + 2, token);
                content.AddRange(buffer.GetRange(0, size));
                buffer.RemoveRange(0, size + 2);
                if (size == 0)
                    return [.. content];
            }
        }
        return [];
    }

    private static async Task FillAsync(NetworkStream stream, List<byte> buffer, byte[] chunk, int count, CancellationToken token)
    {
        while (buffer.Count < count)
        {
            var read = await stream.ReadAsync(chunk, token);
            if (read == 0)
                throw new IOException("The client closed the connection in the middle of a request.");
            buffer.AddRange(chunk.AsSpan(0, read));
        }
    }

    /// <summary>Answers as the path says; false when the connection is to be closed (the client gave up on a hanging request).</summary>
    private async Task<bool> AnswerAsync(NetworkStream stream, ReceivedRequest request, CancellationToken token)
    {
        var reply = _replies.GetValueOrDefault(request.Path) ?? Reply.Ok;
        var index = _answered.AddOrUpdate(request.Path, 1, (_, n) => n + 1);
        if (reply.Hang)
        {
            // The client's next move can only be to close the connection: a read ends when it does.
            var probe = new byte[1];
            try
            {
                _ = await stream.ReadAsync(probe, token);
            }
            finally
            {
                if (!token.IsCancellationRequested)
                {
                    request.Aborted();
                    Changed();
                }
            }
            return false;
        }
        if (reply.Delay > TimeSpan.Zero)
        {
            var closed = stream.ReadAsync(new byte[1], token).AsTask();
            if (await Task.WhenAny(closed, Task.Delay(reply.Delay, token)) == closed)
            {
                request.Aborted();
                Changed();
                return false;
            }
            _ = closed.ContinueWith(t => _ = t.Exception, TaskScheduler.Default);
        }
        // After a delayed answer the connection closes: the read that watched it is still pending.
        var keepAlive = reply.Delay == TimeSpan.Zero;
        var status = index <= reply.FailFirst ? reply.FailStatus : reply.Status;
        var answer = $"HTTP/1.1 {status.ToString(CultureInfo.InvariantCulture)} {ReasonOf(status)}\r\nContent-Length: 0\r\n{(keepAlive ? "" : "Connection: close\r\n")}\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(answer), token);
        request.Answered(status);
        Changed();
        return keepAlive;
    }

    private static string ReasonOf(int status) => status switch
    {
        200 => "OK",
        204 => "No Content",
        400 => "Bad Request",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Status",
    };

    private static int IndexOf(List<byte> buffer, byte[] pattern)
    {
        for (var i = 0; i + pattern.Length <= buffer.Count; i++)
        {
            var match = true;
            for (var j = 0; j < pattern.Length && match; j++)
                match = buffer[i + j] == pattern[j];
            if (match)
                return i;
        }
        return -1;
    }

    public Task InitializeAsync() => Task.CompletedTask;

    Task IAsyncLifetime.DisposeAsync() => DisposeAsync().AsTask();

    /// <summary>Stops listening and closes every connection, hanging requests included.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_stopped.IsCancellationRequested)
            return;
        await _stopped.CancelAsync();
        _listener.Stop();
        await _accepting;
        await Task.WhenAll(_connections.Keys);
        _stopped.Dispose();
    }
}
