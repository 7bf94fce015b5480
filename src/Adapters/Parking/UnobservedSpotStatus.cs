using System.Text.Json.Nodes;
using Adapters.Core;

namespace Adapters.Parking;

/// <summary>
/// Completes the ParkingSpots of a record that describes spots without observing them (a DATEX II table: status
/// "unknown", no observedAt), so that a table re-sent every day never overwrites a status the city has. Each such
/// spot is sent with, in this order:
/// <list type="number">
/// <item>the latest status the adapter observed (<see cref="ParkingSiteAggregator.LatestStatus"/>), with its observedAt;</item>
/// <item>for the spots the adapter has not seen (after a restart), no status if the broker holds one: one query for
/// the record's unseen spots tells which, and options=update keeps the broker's (no race with a status upsert, as
/// writing back the value read would have); the sink checks the schema with the broker's status
/// (<see cref="AdapterEntity.KeptByBroker"/>);</item>
/// <item>"unknown" where the broker has no status either: nothing is known, and the schema requires one.</item>
/// </list>
/// When the broker cannot be read, whether it has an unseen spot and its status is not known: "unknown" could
/// overwrite a status, and a spot without status that the broker does not have yet would be created without one. Those
/// spots are held back (kept in the dead letters with the record and the reason, so the next table or a replay sends
/// them); the record's other entities are sent.
/// </summary>
public sealed partial class UnobservedSpotStatus(ParkingSiteAggregator aggregator, NgsiLdClient broker, ILogger<UnobservedSpotStatus> logger)
{
    public async Task<PreparedEntities> PrepareAsync(IReadOnlyList<AdapterEntity> entities, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entities);
        var prepared = new List<AdapterEntity>(entities.Count);
        var unseen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var entity in entities)
        {
            if (!IsUnobserved(entity))
                prepared.Add(entity);
            else if (aggregator.LatestStatus(entity.Id) is { } latest)
                prepared.Add(WithStatus(entity, latest.Status, latest.ObservedAt));
            else
            {
                unseen.Add(entity.Id);
                prepared.Add(entity);
            }
        }
        if (unseen.Count == 0)
            return new PreparedEntities(prepared, []);

        IReadOnlyList<JsonObject> held;
        try
        {
            held = await broker.QueryAsync(ParkingEntities.DataModel, "ParkingSpot", unseen, ["status"], cancellationToken);
        }
        catch (HttpRequestException e)
        {
            LogBrokerUnreadable(logger, unseen.Count, e.Message);
            var reason = $"the status the broker holds for the spot could not be read, and this record does not say it: sending \"unknown\" could overwrite a known status ({e.Message})";
            return new PreparedEntities(
                [.. prepared.Where(entity => !unseen.Contains(entity.Id))],
                [.. unseen.Select(id => new DeadLetteredEntity(id, reason))]);
        }

        var statusHeld = new Dictionary<string, JsonObject>(StringComparer.Ordinal);
        foreach (var entity in held)
        {
            if (entity["id"]?.GetValue<string>() is { } id && entity["status"] is JsonObject status && status["value"] is not null)
                statusHeld[id] = status;
        }
        for (var i = 0; i < prepared.Count; i++)
        {
            if (unseen.Contains(prepared[i].Id) && statusHeld.TryGetValue(prepared[i].Id, out var status))
                prepared[i] = WithoutStatus(prepared[i], status);
        }
        return new PreparedEntities(prepared, []);
    }

    /// <summary>A ParkingSpot whose record does not know its status: "unknown" and never observed.</summary>
    private static bool IsUnobserved(AdapterEntity entity) =>
        entity.Type == "ParkingSpot"
        && entity.Body["status"] is JsonObject status
        && status["observedAt"] is null
        && status["value"]?.GetValue<string>() == "unknown";

    private static AdapterEntity WithStatus(AdapterEntity spot, string status, string observedAt)
    {
        var body = spot.Body.DeepClone().AsObject();
        ParkingEntities.AddProperty(body, "status", status, observedAt);
        return spot with { Body = body };
    }

    private static AdapterEntity WithoutStatus(AdapterEntity spot, JsonObject statusHeld)
    {
        var body = spot.Body.DeepClone().AsObject();
        body.Remove("status");
        return spot with { Body = body, KeptByBroker = new JsonObject { ["status"] = statusHeld.DeepClone() } };
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Count} parking spot(s) of a static record are held back: the broker could not be read for their status: {Reason}")]
    private static partial void LogBrokerUnreadable(ILogger logger, int count, string reason);
}
