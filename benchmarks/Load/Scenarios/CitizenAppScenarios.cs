using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Benchmarks.Load.Scenarios;

/// <summary>
/// S15: how long a parking update takes to reach the citizen app's page. The scenario starts the MeinLübeck sample
/// (<c>samples/MeinLuebeck</c>) subscribed to the target broker, creates parking houses, and reads the app's event stream
/// (<c>/events</c>, what the page in the browser reads). One operation is a PATCH of one house's availableSpotNumber on the
/// broker followed by the wait until the stream carries the new value, so the tool's latency is the whole path: the
/// write, the notification, the app and its server-sent event. One client: a latency figure.
/// </summary>
public sealed class CitizenAppUpdate(string appPath) : BrokerScenario
{
    public const string ScenarioId = "S15";
    private const int Houses = 20;
    private static readonly TimeSpan ArrivalTimeout = TimeSpan.FromSeconds(10);
    private readonly ConcurrentDictionary<(string Id, int Free), TaskCompletionSource> _awaited = new();
    private CancellationTokenSource? _stop;
    private TargetProcess? _app;
    private string? _appLog;
    private Task? _reader;
    private string[] _houses = [];
    private int _next;

    public override string Id => ScenarioId;

    public override string Name => "parking update to the MeinLübeck app's event stream, one client";

    public override IReadOnlyList<string> TargetArguments => ["--Outbound:AllowLoopback", "true"];

    public override int? Clients => 1;

    public override string? CeilingFor(string store) => null;

    public override async Task SetupAsync(ScenarioContext context, CancellationToken ct)
    {
        // The tool runs a scenario once per store and disposes it after each run.
        _stop = new CancellationTokenSource();
        _next = 0;
        _appLog = context.DataPath + "-meinluebeck.log";
        var broker = context.BaseAddress.ToString().TrimEnd('/');
        _app = await TargetProcess.StartAsync(appPath, self => context.Tenant is null
                ? ["--Broker:Url", broker, "--App:PublicUrl", self.ToString().TrimEnd('/')]
                : ["--Broker:Url", broker, "--App:PublicUrl", self.ToString().TrimEnd('/'), "--Broker:Tenant", context.Tenant],
            "/ready", _appLog, ct).ConfigureAwait(false);

        _houses = [.. Enumerable.Range(0, Houses).Select(n => $"urn:ngsi-ld:OffStreetParking:{context.RunId}-{n}")];
        var stream = await context.Http.GetAsync(new Uri(_app.BaseAddress, "/events"), HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
        stream.EnsureSuccessStatusCode();
        _reader = Task.Run(() => ReadEventsAsync(stream, _stop.Token), CancellationToken.None);
        for (var n = 0; n < Houses; n++)
        {
            var longitude = (Payloads.CenterLongitude + n * 0.001).ToString(CultureInfo.InvariantCulture);
            var latitude = Payloads.CenterLatitude.ToString(CultureInfo.InvariantCulture);
            var body = "{\"id\":\"" + _houses[n] + "\",\"type\":\"OffStreetParking\","
                + "\"name\":{\"type\":\"Property\",\"value\":\"Parkhaus " + n + "\"},"
                + "\"availableSpotNumber\":{\"type\":\"Property\",\"value\":0},\"totalSpotNumber\":{\"type\":\"Property\",\"value\":1000000000},"
                + "\"location\":{\"type\":\"GeoProperty\",\"value\":{\"type\":\"Point\",\"coordinates\":[" + longitude + "," + latitude + "]}}}";
            await context.SendAsync(context.Request(HttpMethod.Post, EntitiesPath, Payloads.Content(Encoding.UTF8.GetBytes(body))), 201, ct).ConfigureAwait(false);
        }
        // The app must show a change of the broker, or S15 would time out on every operation.
        await UpdateAndWaitAsync(context, _houses[0], 1, ct).ConfigureAwait(false);
    }

    public override async ValueTask<int> ExecuteAsync(ScenarioContext context, Client client, CancellationToken ct)
    {
        var free = Interlocked.Increment(ref _next) + 1;
        await UpdateAndWaitAsync(context, _houses[free % Houses], free, ct).ConfigureAwait(false);
        return 1;
    }

    private async Task UpdateAndWaitAsync(ScenarioContext context, string house, int free, CancellationToken ct)
    {
        var arrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _awaited[(house, free)] = arrived;
        try
        {
            var patch = $$$"""{"availableSpotNumber":{"type":"Property","value":{{{free}}}}}""";
            await context.SendAsync(context.Request(HttpMethod.Patch, $"{EntitiesPath}/{house}/attrs", Payloads.Content(Encoding.UTF8.GetBytes(patch))), 204, ct)
                .ConfigureAwait(false);
            try
            {
                await arrived.Task.WaitAsync(ArrivalTimeout, ct).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                throw new TimeoutException($"{Id}: the app's event stream did not show {house} with {free} free within {ArrivalTimeout.TotalSeconds} s (app log: {_appLog}).");
            }
        }
        finally
        {
            _awaited.TryRemove((house, free), out _);
        }
    }

    /// <summary>Server-sent events: an "event:" line, a "data:" line with the place as JSON, an empty line.</summary>
    private async Task ReadEventsAsync(HttpResponseMessage response, CancellationToken ct)
    {
        using (response)
        {
            try
            {
                using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false));
                var kind = "";
                while (await reader.ReadLineAsync(ct).ConfigureAwait(false) is { } line)
                {
                    if (line.StartsWith("event:", StringComparison.Ordinal))
                        kind = line[6..].Trim();
                    else if (line.StartsWith("data:", StringComparison.Ordinal) && kind == "place")
                        Arrived(line[5..]);
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
            }
        }
    }

    private void Arrived(string data)
    {
        using var place = JsonDocument.Parse(data);
        if (place.RootElement.TryGetProperty("id", out var id) && place.RootElement.TryGetProperty("free", out var free) && free.ValueKind == JsonValueKind.Number
            && _awaited.TryGetValue((id.GetString()!, free.GetInt32()), out var arrived))
            arrived.TrySetResult();
    }

    public override async ValueTask DisposeAsync()
    {
        if (_stop is not null)
            await _stop.CancelAsync().ConfigureAwait(false);
        if (_reader is not null)
            await _reader.ConfigureAwait(false);
        if (_app is not null)
            await _app.DisposeAsync().ConfigureAwait(false);
        _stop?.Dispose();
        (_stop, _reader, _app) = (null, null, null);
        _awaited.Clear();
        await base.DisposeAsync().ConfigureAwait(false);
    }
}
