using System.Net.Http.Headers;
using Npgsql;

namespace Benchmarks.Load;

/// <summary>What a scenario runs against: the tool starts that process (or, for PostgreSQL, uses the connection string).</summary>
public enum Target
{
    Broker,
    HttpCeiling,
    Postgres,

    /// <summary>No process: the scenario writes an SQLite database of its own in <see cref="ScenarioContext.DataPath"/>.</summary>
    Sqlite,
}

/// <summary>
/// One load scenario. The tool starts the target, calls <see cref="SetupAsync"/> once, then <see cref="ExecuteAsync"/>
/// from every client in a loop (warm-up first, then the measured phase) and disposes the scenario at the end.
/// New scenarios (notifications, temporal) are one more class listed in <see cref="Scenarios.All"/>.
/// A scenario that measures more than its own requests implements <see cref="INotifyingScenario"/> too.
/// </summary>
public interface IScenario : IAsyncDisposable
{
    /// <summary>Short id used on the command line (S1, C1...).</summary>
    string Id { get; }

    string Name { get; }

    Target Target { get; }

    /// <summary>Command-line arguments the target process needs for this scenario, after those the tool always passes (S7: Outbound:AllowLoopback).</summary>
    IReadOnlyList<string> TargetArguments { get; }

    /// <summary>The id of the ceiling this scenario is compared with on the given store ("embedded" or "postgres"), or null.</summary>
    string? CeilingFor(string store);

    /// <summary>How many clients run it, when not the tool's --connections (a latency target: one user at a time).</summary>
    int? Clients => null;

    /// <summary>A broker the scenario starts itself beside the target (S11, S12: the context source), whose CPU is measured like the target's.</summary>
    TargetProcess? SecondBroker => null;

    Task SetupAsync(ScenarioContext context, CancellationToken ct);

    /// <summary>One operation (one request). Returns the number of items it handled (entities, rows), 1 for single operations.</summary>
    ValueTask<int> ExecuteAsync(ScenarioContext context, Client client, CancellationToken ct);
}

/// <summary>
/// A scenario whose requests cause notifications that a receiver of its own counts (S7). The tool tells it when the
/// measured phase starts and when it has ended (every client's last request answered); what it then reports, after
/// waiting for notifications still under way, goes into the scenario's result.
/// </summary>
public interface INotifyingScenario : IScenario
{
    void MeasuringStarted();

    /// <summary>Waits (at most a grace period) for the notifications the measured requests owe, and reports what arrived.</summary>
    Task<NotificationFigures> MeasuringEndedAsync(CancellationToken ct);
}

/// <summary>
/// What the receiver of a notifying scenario saw. Notifications and Entities arrived during the measured phase (whatever
/// caused them); Expected, Lost and the latencies are about the updates acknowledged in the measured phase, each of which
/// owes one notified entity: latency is the receipt minus the time the update was sent, and Lost counts those that had not
/// arrived when the grace period ended. Drain is how long after the phase the last of them arrived.
/// </summary>
public sealed record NotificationFigures(
    int Subscriptions,
    int Matching,
    long Notifications,
    long Entities,
    long Expected,
    long Lost,
    long Duplicates,
    TimeSpan P50,
    TimeSpan P99,
    TimeSpan Max,
    TimeSpan Drain,
    TimeSpan Grace);

/// <summary>One of the concurrent clients: its index, its own random numbers and an operation counter for unique ids.</summary>
public sealed class Client(int index)
{
    public int Index { get; } = index;

    public Random Random { get; } = new(index * 7919 + 17);

    public long Sequence { get; set; }
}

/// <summary>What a scenario may use: the HTTP client for the target, the run's unique id prefix and, for PostgreSQL, a data source.</summary>
public sealed class ScenarioContext
{
    public required HttpClient Http { get; init; }

    public required Uri BaseAddress { get; init; }

    /// <summary>Unique per run and scenario, so that ids never collide with earlier runs on a persistent store.</summary>
    public required string RunId { get; init; }

    /// <summary>The NGSILD-Tenant of the run (null: the default tenant).</summary>
    public string? Tenant { get; init; }

    public required int Connections { get; init; }

    /// <summary>The broker's store ("embedded" or "postgres"), for scenarios whose data set depends on it.</summary>
    public required string Store { get; init; }

    public NpgsqlDataSource? Postgres { get; init; }

    /// <summary>A folder of the scenario's own, deleted after it (for targets that keep files, such as SQLite).</summary>
    public string? DataPath { get; init; }

    /// <summary>This context with requests going to another broker (the same client, tenant and run id).</summary>
    public ScenarioContext WithBaseAddress(Uri baseAddress) => new()
    {
        Http = Http,
        BaseAddress = baseAddress,
        RunId = RunId,
        Tenant = Tenant,
        Connections = Connections,
        Store = Store,
        Postgres = Postgres,
        DataPath = DataPath,
    };

    public HttpRequestMessage Request(HttpMethod method, string pathAndQuery, HttpContent? content = null)
    {
        var request = new HttpRequestMessage(method, new Uri(BaseAddress, pathAndQuery)) { Content = content };
        request.Headers.Accept.Add(AcceptJson);
        if (Tenant is not null)
            request.Headers.Add("NGSILD-Tenant", Tenant);
        return request;
    }

    /// <summary>Sends a request, reads the whole answer and fails on an unexpected status.</summary>
    public async ValueTask SendAsync(HttpRequestMessage request, int expectedStatus, CancellationToken ct, int alsoAccepted = -1)
    {
        using (request)
        {
            using var response = await Http.SendAsync(request, HttpCompletionOption.ResponseContentRead, ct).ConfigureAwait(false);
            var status = (int)response.StatusCode;
            if (status != expectedStatus && status != alsoAccepted)
            {
                var body = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
                throw new InvalidOperationException(
                    $"{request.Method} {request.RequestUri?.PathAndQuery}: expected {expectedStatus}, got {status}: {Truncate(body)}");
            }
        }
    }

    private static readonly MediaTypeWithQualityHeaderValue AcceptJson = new("application/json");

    private static string Truncate(string text) => text.Length <= 400 ? text : text[..400] + "...";
}
