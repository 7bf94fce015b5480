using System.Text.Json.Nodes;

namespace Adapters.Core;

/// <summary>
/// One entity a translation made, ready for the broker: NGSI-LD normalized form (each attribute an object with
/// "type" and "value"/"object"), its terms those of <see cref="DataModel"/>'s @context, without an "@context" member
/// (the client adds the context of the data model when it sends).
/// </summary>
/// <param name="Body">The entity, with "id" (a URN) and "type" (the data model's short type name).</param>
/// <param name="DataModel">The Smart Data Models subject, e.g. "dataModel.Parking", or a model of this project, e.g. "dataModel.LuebeckTrafficSignal".</param>
public sealed record AdapterEntity(JsonObject Body, string DataModel)
{
    public string Id => (string)Body["id"]!;
    public string Type => (string)Body["type"]!;

    /// <summary>
    /// Attributes the schema requires that this upsert leaves out, because the broker holds them and they must stay as
    /// they are (options=update keeps what the body does not carry), with the values the broker gave: the sink checks
    /// the schema against the body with them, the upsert sends the body alone.
    /// </summary>
    public JsonObject? KeptByBroker { get; init; }

    /// <summary>The entity as the broker will hold it after the upsert: the body with <see cref="KeptByBroker"/>.</summary>
    public JsonObject AsStored()
    {
        if (KeptByBroker is null)
            return Body;
        var stored = Body.DeepClone().AsObject();
        foreach (var (name, value) in KeptByBroker)
            stored[name] = value?.DeepClone();
        return stored;
    }
}
