using System.Globalization;
using System.Text;

namespace Benchmarks.Load.Scenarios;

/// <summary>The common part of the broker scenarios: ids, preloading through batch upsert, the ceiling they are compared with.</summary>
public abstract class BrokerScenario : IScenario
{
    public const string EntitiesPath = "/ngsi-ld/v1/entities";
    public const string UpsertPath = "/ngsi-ld/v1/entityOperations/upsert";
    public const string EntityType = "Sensor";

    public abstract string Id { get; }

    public abstract string Name { get; }

    public Target Target => Target.Broker;

    public virtual IReadOnlyList<string> TargetArguments => [];

    /// <summary>Single writes are compared with single-row inserts on PostgreSQL, everything else with the bare HTTP ceiling.</summary>
    public virtual string? CeilingFor(string store) => Ceilings.Http;

    public virtual int? Clients => null;

    public virtual TargetProcess? SecondBroker => null;

    public abstract Task SetupAsync(ScenarioContext context, CancellationToken ct);

    public abstract ValueTask<int> ExecuteAsync(ScenarioContext context, Client client, CancellationToken ct);

    public virtual ValueTask DisposeAsync()
    {
        GC.SuppressFinalize(this);
        return ValueTask.CompletedTask;
    }

    protected static string IdPrefix(ScenarioContext context) => $"urn:ngsi-ld:{EntityType}:{context.RunId}-";

    protected static string EntityId(ScenarioContext context, int n) => IdPrefix(context) + n.ToString(CultureInfo.InvariantCulture);

    /// <summary>Creates entities 0..count-1 through batch upsert, 1000 per request, four requests at a time.</summary>
    protected static async Task PreloadAsync(ScenarioContext context, int count, CancellationToken ct, double spreadDegrees = 0.03)
    {
        const int BatchSize = 1000;
        var random = new Random(42);
        var bodies = new List<byte[]>();
        for (var first = 0; first < count; first += BatchSize)
            bodies.Add(Payloads.Batch(IdPrefix(context), EntityType, first, Math.Min(BatchSize, count - first), random, spreadDegrees));
        await Parallel.ForEachAsync(bodies, new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = ct }, async (body, token) =>
            await context.SendAsync(context.Request(HttpMethod.Post, UpsertPath, Payloads.Content(body)), 201, token, alsoAccepted: 204).ConfigureAwait(false))
            .ConfigureAwait(false);
    }
}

/// <summary>S1: every client creates new entities one by one (POST /entities, 201), each a durable write.</summary>
public sealed class SingleCreate : BrokerScenario
{
    public override string Id => "S1";

    public override string Name => "single-entity create";

    public override string? CeilingFor(string store) => store == Stores.Postgres ? Ceilings.PostgresInsert : Ceilings.Http;

    public override Task SetupAsync(ScenarioContext context, CancellationToken ct) => Task.CompletedTask;

    public override async ValueTask<int> ExecuteAsync(ScenarioContext context, Client client, CancellationToken ct)
    {
        var id = $"{IdPrefix(context)}{client.Index}-{client.Sequence++}";
        var body = Payloads.Entity(id, EntityType, client.Random);
        await context.SendAsync(context.Request(HttpMethod.Post, EntitiesPath, Payloads.Content(body)), 201, ct).ConfigureAwait(false);
        return 1;
    }
}

/// <summary>S2: batch upsert of 1000 entities per request, cycling over 100 000 ids (the first pass creates, later passes replace).</summary>
public sealed class BatchUpsert : BrokerScenario
{
    public const int BatchSize = 1000;
    private const int Bodies = 100;
    private byte[][] _bodies = [];
    private int _next = -1;

    public override string Id => "S2";

    public override string Name => $"batch upsert ({BatchSize} entities/request)";

    /// <summary>On PostgreSQL compared (in entities/s) with binary COPY; the embedded store has no bulk ceiling.</summary>
    public override string? CeilingFor(string store) => store == Stores.Postgres ? Ceilings.PostgresCopy : Ceilings.SqliteBatch;

    public override Task SetupAsync(ScenarioContext context, CancellationToken ct)
    {
        var random = new Random(2);
        _bodies = new byte[Bodies][];
        for (var i = 0; i < Bodies; i++)
            _bodies[i] = Payloads.Batch(IdPrefix(context), EntityType, i * BatchSize, BatchSize, random);
        return Task.CompletedTask;
    }

    public override async ValueTask<int> ExecuteAsync(ScenarioContext context, Client client, CancellationToken ct)
    {
        var body = _bodies[(int)((uint)Interlocked.Increment(ref _next) % Bodies)];
        await context.SendAsync(context.Request(HttpMethod.Post, UpsertPath, Payloads.Content(body)), 201, ct, alsoAccepted: 204).ConfigureAwait(false);
        return BatchSize;
    }
}

/// <summary>
/// S3: GET /entities/{id} of one of 1000 entities, normalized. S13 and S14 are the same requests authenticated, with a
/// bearer JWT (RS256) and with an API key: their difference to S3 is the cost of authentication.
/// </summary>
public sealed class GetById(CredentialKind credentials = CredentialKind.None) : BrokerScenario
{
    private const int Count = 1000;
    private readonly Credentials _credentials = new(credentials);
    private string[] _paths = [];

    public override string Id => credentials switch { CredentialKind.Jwt => "S13", CredentialKind.ApiKey => "S14", _ => "S3" };

    public override string Name => credentials switch
    {
        CredentialKind.Jwt => "GET entity by id, bearer JWT (RS256)",
        CredentialKind.ApiKey => "GET entity by id, API key",
        _ => "GET entity by id",
    };

    public override IReadOnlyList<string> TargetArguments => _credentials.BrokerArguments;

    public override ValueTask DisposeAsync()
    {
        _credentials.Dispose();
        return base.DisposeAsync();
    }

    public override async Task SetupAsync(ScenarioContext context, CancellationToken ct)
    {
        await PreloadAsync(context, Count, ct).ConfigureAwait(false);
        _paths = [.. Enumerable.Range(0, Count).Select(n => EntitiesPath + "/" + Uri.EscapeDataString(EntityId(context, n)))];
    }

    public override async ValueTask<int> ExecuteAsync(ScenarioContext context, Client client, CancellationToken ct)
    {
        var request = context.Request(HttpMethod.Get, _paths[client.Random.Next(_paths.Length)]);
        _credentials.Apply(request);
        await context.SendAsync(request, 200, ct).ConfigureAwait(false);
        return 1;
    }
}

/// <summary>S4: GET /entities?type=Sensor&amp;limit=20 over 100 five-attribute entities.</summary>
public sealed class QueryByType : BrokerScenario
{
    public override string Id => "S4";

    public override string Name => "query by type (limit=20 of 100)";

    public override Task SetupAsync(ScenarioContext context, CancellationToken ct) => PreloadAsync(context, 100, ct);

    public override async ValueTask<int> ExecuteAsync(ScenarioContext context, Client client, CancellationToken ct)
    {
        await context.SendAsync(context.Request(HttpMethod.Get, EntitiesPath + "?type=" + EntityType + "&limit=20"), 200, ct).ConfigureAwait(false);
        return 1;
    }
}

/// <summary>
/// S5: q + geo-query over 100 000 entities spread over about 6 × 7 km around the Holstentor:
/// intensity&gt;800 (about 20 %) and within 500 m of the centre (about 2 %): a few hundred candidates, the first 20 returned.
/// </summary>
public sealed class QueryGeo(int entities) : BrokerScenario
{
    private static readonly string Query = EntitiesPath
        + "?q=" + Uri.EscapeDataString("intensity>800")
        + "&georel=" + Uri.EscapeDataString("near;maxDistance==500")
        + "&geometry=Point"
        + "&coordinates=" + Uri.EscapeDataString(string.Create(CultureInfo.InvariantCulture, $"[{Payloads.CenterLongitude},{Payloads.CenterLatitude}]"));

    public override string Id => "S5";

    public override string Name => $"q + near query over {entities:N0} entities";

    public override Task SetupAsync(ScenarioContext context, CancellationToken ct) => PreloadAsync(context, entities, ct);

    public override async ValueTask<int> ExecuteAsync(ScenarioContext context, Client client, CancellationToken ct)
    {
        await context.SendAsync(context.Request(HttpMethod.Get, Query), 200, ct).ConfigureAwait(false);
        return 1;
    }
}

/// <summary>
/// S6: PATCH /entities/{id}/attrs/intensity (partial attribute update, 204) of one of 1000 entities, each a durable write
/// that the history records. S10: the same with the history off (Temporal:Enabled=false), what S6 is compared with to
/// show the cost of recording.
/// </summary>
public sealed class AttributePatch(bool history = true) : BrokerScenario
{
    public const string ScenarioId = "S6";
    public const string WithoutHistoryId = "S10";
    private const int Count = 1000;
    private string[] _paths = [];

    public override string Id => history ? ScenarioId : WithoutHistoryId;

    public override string Name => history ? "attribute PATCH" : "attribute PATCH, history off";

    public override IReadOnlyList<string> TargetArguments => history ? [] : ["--Temporal:Enabled", "false"];

    public override string? CeilingFor(string store) => store == Stores.Postgres ? Ceilings.PostgresInsert : Ceilings.Http;

    public override async Task SetupAsync(ScenarioContext context, CancellationToken ct)
    {
        await PreloadAsync(context, Count, ct).ConfigureAwait(false);
        _paths = [.. Enumerable.Range(0, Count).Select(n => EntitiesPath + "/" + Uri.EscapeDataString(EntityId(context, n)) + "/attrs/intensity")];
    }

    public override async ValueTask<int> ExecuteAsync(ScenarioContext context, Client client, CancellationToken ct)
    {
        var body = Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $$"""{"type":"Property","value":{{client.Random.Next(1000)}}}"""));
        var path = _paths[client.Random.Next(_paths.Length)];
        await context.SendAsync(context.Request(HttpMethod.Patch, path, Payloads.Content(body)), 204, ct).ConfigureAwait(false);
        return 1;
    }
}
