using System.Globalization;
using System.Text;

namespace Benchmarks.Load.Scenarios;

/// <summary>
/// The history the temporal scenarios query: sensors with one reading a minute of "intensity" for a week (10 080
/// instances each), written through POST /temporal/entities in chunks of 1 000 instances.
/// </summary>
public abstract class TemporalScenario : BrokerScenario
{
    public const string TemporalPath = "/ngsi-ld/v1/temporal/entities";
    protected const int InstancesPerSensor = 7 * 24 * 60;
    protected static readonly DateTimeOffset Start = new(2026, 11, 23, 0, 0, 0, TimeSpan.Zero);

    protected static string Timestamp(DateTimeOffset instant) => instant.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    protected static async Task PreloadHistoryAsync(ScenarioContext context, int sensors, CancellationToken ct)
    {
        const int Chunk = 1000;
        var random = new Random(8);
        for (var sensor = 0; sensor < sensors; sensor++)
        {
            for (var first = 0; first < InstancesPerSensor; first += Chunk)
            {
                var body = new StringBuilder();
                body.Append(CultureInfo.InvariantCulture, $"{{\"id\":\"{EntityId(context, sensor)}\",\"type\":\"{EntityType}\",\"intensity\":[");
                for (var i = first; i < Math.Min(first + Chunk, InstancesPerSensor); i++)
                {
                    if (i > first)
                        body.Append(',');
                    body.Append(CultureInfo.InvariantCulture,
                        $"{{\"type\":\"Property\",\"value\":{random.Next(0, 1200)},\"observedAt\":\"{Timestamp(Start.AddMinutes(i))}\"}}");
                }
                body.Append("]}");
                await context.SendAsync(context.Request(HttpMethod.Post, TemporalPath, Payloads.Content(Encoding.UTF8.GetBytes(body.ToString()))), 201, ct, alsoAccepted: 204)
                    .ConfigureAwait(false);
            }
        }
    }
}

/// <summary>
/// S8: hourly sum, average and maximum of one sensor's week of minute readings (10 080 instances, 168 periods):
/// GET /temporal/entities/{id}?options=aggregatedValues&amp;aggrMethods=sum,avg,max&amp;aggrPeriodDuration=PT1H over the week.
/// </summary>
public sealed class TemporalAggregation : TemporalScenario
{
    private const int Sensors = 10;
    private string[] _paths = [];

    public override string Id => "S8";

    public override string Name => $"temporal aggregation: hourly sum/avg/max of {InstancesPerSensor:N0} instances";

    public override async Task SetupAsync(ScenarioContext context, CancellationToken ct)
    {
        await PreloadHistoryAsync(context, Sensors, ct).ConfigureAwait(false);
        var query = "?attrs=intensity&options=aggregatedValues&aggrMethods=sum,avg,max&aggrPeriodDuration=PT1H&timerel=between"
            + "&timeAt=" + Uri.EscapeDataString(Timestamp(Start)) + "&endTimeAt=" + Uri.EscapeDataString(Timestamp(Start.AddDays(7)));
        _paths = [.. Enumerable.Range(0, Sensors).Select(n => TemporalPath + "/" + Uri.EscapeDataString(EntityId(context, n)) + query)];
    }

    public override async ValueTask<int> ExecuteAsync(ScenarioContext context, Client client, CancellationToken ct)
    {
        await context.SendAsync(context.Request(HttpMethod.Get, _paths[client.Random.Next(_paths.Length)]), 200, ct).ConfigureAwait(false);
        return 1;
    }
}

/// <summary>S9: one hour of one sensor's readings (60 instances, normalized) out of its week: GET /temporal/entities/{id}?timerel=between.</summary>
public sealed class TemporalRange : TemporalScenario
{
    private const int Sensors = 10;
    private string[] _paths = [];

    public override string Id => "S9";

    public override string Name => "temporal range: one hour (60 instances) of a week's history";

    public override async Task SetupAsync(ScenarioContext context, CancellationToken ct)
    {
        await PreloadHistoryAsync(context, Sensors, ct).ConfigureAwait(false);
        _paths = [.. Enumerable.Range(0, Sensors * 24).Select(n =>
        {
            var from = Start.AddHours(n % (7 * 24));
            return TemporalPath + "/" + Uri.EscapeDataString(EntityId(context, n % Sensors)) + "?attrs=intensity&timerel=between"
                + "&timeAt=" + Uri.EscapeDataString(Timestamp(from)) + "&endTimeAt=" + Uri.EscapeDataString(Timestamp(from.AddHours(1)));
        })];
    }

    public override async ValueTask<int> ExecuteAsync(ScenarioContext context, Client client, CancellationToken ct)
    {
        await context.SendAsync(context.Request(HttpMethod.Get, _paths[client.Random.Next(_paths.Length)]), 200, ct).ConfigureAwait(false);
        return 1;
    }
}
