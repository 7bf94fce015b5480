using System.Text;
using System.Text.Json.Nodes;

namespace Benchmarks.Load.Scenarios;

/// <summary>
/// A federation of two brokers on this machine: the tool's target is broker A (with Outbound:AllowLoopback, so that it
/// may forward to 127.0.0.1); the scenario starts broker B, the context source, with a data folder of its own, loads
/// <c>entities</c> Sensors into B only and registers B on A (inclusive, for the type). S11 sends
/// GET /entities?type=Sensor&amp;limit=L to A, which forwards it to B and merges; S12, what S11 is compared with, sends the
/// same query to B directly. Both run with one client (a latency target) and both brokers up, whose CPU is measured in each.
/// </summary>
public sealed class FederatedQuery(string brokerPath, int entities, int limit, bool federated) : BrokerScenario
{
    public const string FederatedId = "S11";
    public const string DirectId = "S12";
    private TargetProcess? _source;
    private ScenarioContext? _sourceContext;
    private string? _sourceDataPath;
    private string _path = "";

    public override string Id => federated ? FederatedId : DirectId;

    public override string Name => federated
        ? $"query by type over a federation of two brokers (limit={limit} of {entities:N0} on the remote one), one client"
        : $"S11's query on the remote broker itself (limit={limit} of {entities:N0}), one client";

    public override IReadOnlyList<string> TargetArguments => ["--Outbound:AllowLoopback", "true"];

    public override int? Clients => 1;

    public override string? CeilingFor(string store) => null;

    public override TargetProcess? SecondBroker => _source;

    public override async Task SetupAsync(ScenarioContext context, CancellationToken ct)
    {
        _sourceDataPath = context.DataPath + "-source";
        _source = await TargetProcess.StartAsync(brokerPath, ["--Storage:DataPath", _sourceDataPath], "/ready", _sourceDataPath + ".log", ct)
            .ConfigureAwait(false);
        _sourceContext = context.WithBaseAddress(_source.BaseAddress);
        await PreloadAsync(_sourceContext, entities, ct).ConfigureAwait(false);

        var registration = $$"""
            {"type":"ContextSourceRegistration","information":[{"entities":[{"type":"{{EntityType}}"}]}],
             "endpoint":"{{_source.BaseAddress.ToString().TrimEnd('/')}}","mode":"inclusive"}
            """;
        await context.SendAsync(context.Request(HttpMethod.Post, "/ngsi-ld/v1/csourceRegistrations", Payloads.Content(Encoding.UTF8.GetBytes(registration))), 201, ct)
            .ConfigureAwait(false);

        _path = EntitiesPath + "?type=" + EntityType + "&limit=" + limit;
        // A's answer must be B's entities, or S11 would measure an empty local query.
        using var response = await context.Http.SendAsync(context.Request(HttpMethod.Get, _path), ct).ConfigureAwait(false);
        response.EnsureSuccessStatusCode();
        var found = JsonNode.Parse(await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false))?.AsArray().Count;
        if (found != Math.Min(limit, entities))
            throw new InvalidOperationException($"{Id}: the federated query answered {found} entities, expected {Math.Min(limit, entities)} from the remote broker.");
    }

    public override async ValueTask<int> ExecuteAsync(ScenarioContext context, Client client, CancellationToken ct)
    {
        var target = federated ? context : _sourceContext!;
        await target.SendAsync(target.Request(HttpMethod.Get, _path), 200, ct).ConfigureAwait(false);
        return 1;
    }

    public override async ValueTask DisposeAsync()
    {
        if (_source is not null)
            await _source.DisposeAsync().ConfigureAwait(false);
        if (_sourceDataPath is not null && Directory.Exists(_sourceDataPath))
            Directory.Delete(_sourceDataPath, recursive: true);
        await base.DisposeAsync().ConfigureAwait(false);
    }
}
