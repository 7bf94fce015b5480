using System.Globalization;
using System.Text;

namespace Benchmarks.Load.Scenarios;

/// <summary>
/// The history the temporal scenarios query: sensors of one type with 1 000 readings of "intensity" each, spread over a
/// month (one every 43.2 minutes), written through POST /temporal/entities, one sensor per request, eight at a time.
/// 1 000 sensors (1 000 000 instances) on PostgreSQL, 100 (100 000 instances) on the embedded store. The queries run
/// with one client: their targets are latencies of one user, not rates.
/// </summary>
public abstract class TemporalScenario : BrokerScenario
{
    public const string TemporalPath = "/ngsi-ld/v1/temporal/entities";
    protected const int InstancesPerSensor = 1000;
    protected static readonly DateTimeOffset Start = new(2026, 10, 1, 0, 0, 0, TimeSpan.Zero);
    protected static readonly DateTimeOffset End = Start.AddDays(30);
    private static readonly TimeSpan Interval = (End - Start) / InstancesPerSensor;

    protected static readonly string Month = "&timerel=between&timeAt=" + Uri.EscapeDataString(Timestamp(Start)) + "&endTimeAt=" + Uri.EscapeDataString(Timestamp(End));

    public override int? Clients => 1;

    public override string? CeilingFor(string store) => null;

    protected static int Sensors(ScenarioContext context) => context.Store == Stores.Postgres ? 1000 : 100;

    protected static string Timestamp(DateTimeOffset instant) => instant.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    protected static async Task PreloadHistoryAsync(ScenarioContext context, CancellationToken ct)
    {
        var options = new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = ct };
        await Parallel.ForAsync(0, Sensors(context), options, async (sensor, token) =>
        {
            var random = new Random(sensor);
            var body = new StringBuilder();
            body.Append(CultureInfo.InvariantCulture, $"{{\"id\":\"{EntityId(context, sensor)}\",\"type\":\"{EntityType}\",\"intensity\":[");
            for (var i = 0; i < InstancesPerSensor; i++)
            {
                if (i > 0)
                    body.Append(',');
                body.Append(CultureInfo.InvariantCulture,
                    $"{{\"type\":\"Property\",\"value\":{random.Next(0, 1200)},\"observedAt\":\"{Timestamp(Start + i * Interval)}\"}}");
            }
            body.Append("]}");
            await context.SendAsync(context.Request(HttpMethod.Post, TemporalPath, Payloads.Content(Encoding.UTF8.GetBytes(body.ToString()))), 201, token, alsoAccepted: 204)
                .ConfigureAwait(false);
        }).ConfigureAwait(false);
    }
}

/// <summary>S8: one sensor's month of one attribute (1 000 instances, temporalValues): GET /temporal/entities/{id}?attrs=intensity&amp;timerel=between.</summary>
public sealed class TemporalRange : TemporalScenario
{
    private string[] _paths = [];

    public override string Id => "S8";

    public override string Name => "temporal: one entity, one attribute, one month (1 000 instances), one client";

    public override async Task SetupAsync(ScenarioContext context, CancellationToken ct)
    {
        await PreloadHistoryAsync(context, ct).ConfigureAwait(false);
        _paths = [.. Enumerable.Range(0, Sensors(context)).Select(n =>
            TemporalPath + "/" + Uri.EscapeDataString(EntityId(context, n)) + "?attrs=intensity&options=temporalValues" + Month)];
    }

    public override async ValueTask<int> ExecuteAsync(ScenarioContext context, Client client, CancellationToken ct)
    {
        await context.SendAsync(context.Request(HttpMethod.Get, _paths[client.Random.Next(_paths.Length)]), 200, ct).ConfigureAwait(false);
        return 1;
    }
}

/// <summary>
/// S9: the daily average and maximum of every sensor of the type over the month (30 periods × 2 methods per sensor):
/// GET /temporal/entities?type=Sensor&amp;options=aggregatedValues&amp;aggrMethods=avg,max&amp;aggrPeriodDuration=P1D&amp;limit=1000.
/// </summary>
public sealed class TemporalTypeAggregation : TemporalScenario
{
    private string _path = "";

    public override string Id => "S9";

    public override string Name => "temporal: daily avg,max of every entity of a type over a month, one client";

    public override async Task SetupAsync(ScenarioContext context, CancellationToken ct)
    {
        await PreloadHistoryAsync(context, ct).ConfigureAwait(false);
        _path = TemporalPath + "?type=" + EntityType + "&attrs=intensity&options=aggregatedValues&aggrMethods=avg,max&aggrPeriodDuration=P1D&limit=1000" + Month;
        using var response = await context.Http.SendAsync(context.Request(HttpMethod.Get, _path), ct).ConfigureAwait(false);
        response.EnsureSuccessStatusCode();
        var answer = System.Text.Json.Nodes.JsonNode.Parse(await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false));
        var periods = answer?.AsArray().Sum(entity => entity?["intensity"]?["avg"]?.AsArray().Count ?? 0);
        if (answer?.AsArray().Count != Sensors(context) || periods != Sensors(context) * 30)
            throw new InvalidOperationException($"S9: {answer?.AsArray().Count} entities with {periods} daily averages, expected {Sensors(context)} with 30 each.");
    }

    public override async ValueTask<int> ExecuteAsync(ScenarioContext context, Client client, CancellationToken ct)
    {
        await context.SendAsync(context.Request(HttpMethod.Get, _path), 200, ct).ConfigureAwait(false);
        return 1;
    }
}
