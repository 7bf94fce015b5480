using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Broker.Entities.Representation;
using Broker.Problems;
using Broker.Storage;
using Broker.Temporal;
using Ontology.JsonLd;

namespace Broker.Federation.Distributed;

/// <summary>
/// Retrieve and query of attribute histories as distributed operations (clause 4.3.6, 5.7.3 and 5.7.4): the histories of
/// every matching registration that supports retrieveTemporal or queryTemporal, asked concurrently in the normalized
/// temporal representation, united with this broker's per entity id and attribute (an instance that two sources give
/// with the same instanceId, or with the same time and value, counts once), in order of the time property; lastN and
/// the instance limit are applied again to the union. Aggregated queries are this broker's alone.
/// </summary>
public sealed class DistributedTemporal(RegistrationService registrations, ContextSourceClient sources, FederationOptions options)
{
    /// <summary>The histories of the entity the sources hold (none where they hold nothing), and the registrations that did not answer.</summary>
    public Task<(IReadOnlyList<EntityHistory> Histories, IReadOnlyList<string> Missing)> RetrieveAsync(string tenant, string entityId, TemporalQuery query,
        JsonLdContext context, ForwardingContext forwarding, CancellationToken ct) =>
        GatherAsync(tenant, new RegistrationQuery { EntityIds = [entityId], Attributes = query.Entities.Attrs }, RegistrationOperations.RetrieveTemporal,
            "temporal/entities/" + DistributedRetrieval.Escape(entityId), query, context, forwarding, ct);

    /// <summary>The histories the sources hold for a query (each source asked for at most <see cref="FederationOptions.MaxEntitiesPerSource"/> entities).</summary>
    public Task<(IReadOnlyList<EntityHistory> Histories, IReadOnlyList<string> Missing)> QueryAsync(string tenant, TemporalQuery query, JsonLdContext context,
        ForwardingContext forwarding, CancellationToken ct) =>
        GatherAsync(tenant, new RegistrationQuery
        {
            EntityIds = query.Entities.Ids,
            IdPattern = query.Entities.IdPattern,
            Types = query.Entities.Types,
            Attributes = query.Entities.Attrs,
        }, RegistrationOperations.QueryTemporal, "temporal/entities", query, context, forwarding, ct);

    private async Task<(IReadOnlyList<EntityHistory>, IReadOnlyList<string>)> GatherAsync(string tenant, RegistrationQuery registrationQuery, string operation,
        string path, TemporalQuery query, JsonLdContext context, ForwardingContext forwarding, CancellationToken ct)
    {
        if (query.Aggregation is not null)
            return ([], []);
        var matches = await DistributedRetrieval.RemoteLegsAsync(registrations, options, tenant, [registrationQuery with { Modes = DistributedRetrieval.ForwardedModes }],
            forwarding, [operation], ct);
        if (matches.Count == 0)
            return ([], []);
        var relativePath = path + (operation == RegistrationOperations.QueryTemporal
            ? DistributedRetrieval.QueryString(forwarding.Parameters, ("limit", options.MaxEntitiesPerSource.ToString(CultureInfo.InvariantCulture)))
            : DistributedRetrieval.QueryString(forwarding.Parameters));
        var answers = await Task.WhenAll(matches.Select(match => sources.GetJsonAsync(match.Registration, relativePath, forwarding, ct)));
        var histories = new List<EntityHistory>();
        var missing = new List<string>();
        for (var i = 0; i < matches.Count; i++)
        {
            if (answers[i] is not { } answer)
            {
                missing.Add(matches[i].Registration.Id);
                continue;
            }
            try
            {
                if (answer.Body is { ValueKind: JsonValueKind.Array } array)
                    histories.AddRange(array.EnumerateArray().Select(item => Read(item, context)));
                else if (answer.Body is { ValueKind: JsonValueKind.Object } single)
                    histories.Add(Read(single, context));
            }
            catch (NgsiLdException)
            {
                missing.Add(matches[i].Registration.Id);
            }
        }
        return (histories, missing);
    }

    /// <summary>A source's normalized temporal representation of an entity (clause 4.5.7), names expanded with <paramref name="context"/>.</summary>
    public static EntityHistory Read(JsonElement answer, JsonLdContext context)
    {
        if (answer.ValueKind != JsonValueKind.Object)
            throw NgsiLdException.BadRequestData("A temporal representation of an entity must be a JSON object.");
        var reader = new EntityReader(context, ReadMode.Fragment);
        var header = new JsonObject();
        var members = new List<JsonProperty>();
        foreach (var member in answer.EnumerateObject())
        {
            if (member.Name is "id" or "type" or "scope")
                header[member.Name] = EntityReader.Node(member.Value);
            else if (member.Name is not ("@context" or "createdAt" or "modifiedAt" or "deletedAt"))
                members.Add(member);
        }
        using var headerDocument = JsonDocument.Parse(header.ToJsonString());
        var entity = reader.ReadEntity(headerDocument.RootElement.Clone());
        var attributes = new List<AttributeHistory>();
        foreach (var member in members)
        {
            var name = reader.ExpandName(member.Name);
            var items = member.Value.ValueKind == JsonValueKind.Array ? [.. member.Value.EnumerateArray()] : new List<JsonElement> { member.Value };
            var instances = new List<TemporalInstance>();
            foreach (var item in items)
            {
                var instanceId = item.ValueKind == JsonValueKind.Object && item.TryGetProperty("instanceId", out var given) && given.ValueKind == JsonValueKind.String
                    ? given.GetString()!
                    : TemporalInstance.NewInstanceId();
                foreach (var instance in reader.ReadTemporalInstances(item, member.Name))
                    instances.Add(new TemporalInstance(name, instanceId, instance));
            }
            attributes.Add(new AttributeHistory(name, instances));
        }
        var stamp = DateTimeOffset.MinValue;
        return new EntityHistory(new TemporalEntity(entity.Id, entity.Types, entity.Scopes, stamp, stamp, null), attributes);
    }

    /// <summary>
    /// The union of the histories of one entity: types and attributes united, each attribute's instances once (by
    /// instanceId, or by time and value), ascending by the time property, cut to lastN and the instance limit.
    /// </summary>
    public static EntityHistory Merge(IReadOnlyList<EntityHistory> parts, TemporalQuery query)
    {
        if (parts.Count == 1)
            return parts[0];
        var first = parts[0];
        var types = parts.SelectMany(p => p.Entity.Types).Distinct(StringComparer.Ordinal).ToList();
        var byName = new Dictionary<string, UnitedAttribute>(StringComparer.Ordinal);
        var order = new List<string>();
        foreach (var attribute in parts.SelectMany(p => p.Attributes))
        {
            if (!byName.TryGetValue(attribute.Name, out var united))
            {
                order.Add(attribute.Name);
                byName[attribute.Name] = united = new UnitedAttribute();
            }
            united.Truncated |= attribute.Truncated;
            foreach (var instance in attribute.Instances)
                united.Add(instance, query.Time.Property);
        }
        var attributes = new List<AttributeHistory>();
        foreach (var name in order)
        {
            var united = byName[name];
            var truncated = united.Truncated;
            var sorted = united.Instances.OrderBy(i => i.TimeOf(query.Time.Property) ?? DateTimeOffset.MinValue).ToList();
            if (query.LastN is { } lastN && sorted.Count > lastN)
                sorted = sorted[^lastN..];
            if (sorted.Count > query.InstanceLimit)
            {
                sorted = query.LastN is null ? sorted[..query.InstanceLimit] : sorted[^query.InstanceLimit..];
                truncated = true;
            }
            attributes.Add(new AttributeHistory(name, sorted, truncated));
        }
        var entity = parts.Select(p => p.Entity).FirstOrDefault(e => e.CreatedAt != DateTimeOffset.MinValue) ?? first.Entity;
        return new EntityHistory(entity with { Types = types }, attributes);
    }

    /// <summary>This broker's histories and those of the sources, united per entity id, ordered by id and then paged.</summary>
    public static TemporalPage UnitePage(IReadOnlyList<EntityHistory> own, IReadOnlyList<EntityHistory> remote, TemporalQuery query)
    {
        var parts = new Dictionary<string, List<EntityHistory>>(StringComparer.Ordinal);
        foreach (var history in own.Concat(remote))
        {
            if (!parts.TryGetValue(history.Entity.Id, out var list))
                parts[history.Entity.Id] = list = [];
            list.Add(history);
        }
        var ids = parts.Keys.ToList();
        ids.Sort(StringComparer.Ordinal);
        if (query.IdsDescending)
            ids.Reverse();
        var entities = query.Entities;
        var united = ids.Skip(entities.Offset).Take(entities.Limit).Select(id => Merge(parts[id], query)).ToList();
        return new TemporalPage(united, entities.Count ? ids.Count : null);
    }

    /// <summary>One attribute's instances from several histories, each once: by instanceId, or by time, datasetId and value.</summary>
    private sealed class UnitedAttribute
    {
        private readonly HashSet<string> _instanceIds = new(StringComparer.Ordinal);
        private readonly Dictionary<(DateTimeOffset?, string?), List<TemporalInstance>> _byTime = [];

        public List<TemporalInstance> Instances { get; } = [];

        public bool Truncated { get; set; }

        public void Add(TemporalInstance instance, TimeProperty property)
        {
            if (!_instanceIds.Add(instance.InstanceId))
                return;
            var key = (instance.TimeOf(property), instance.Instance.DatasetId);
            if (!_byTime.TryGetValue(key, out var sameTime))
                _byTime[key] = sameTime = [];
            if (key.Item1 is not null && sameTime.Any(known => JsonNode.DeepEquals(known.Instance.Value, instance.Instance.Value)))
                return;
            sameTime.Add(instance);
            Instances.Add(instance);
        }
    }
}
