using System.Globalization;
using System.Text;
using Broker.Entities;
using Broker.Entities.Representation;
using Broker.Problems;
using Broker.Storage;
using Ontology.JsonLd;
using Ontology.Model;

namespace Broker.Federation.Distributed;

/// <summary>The result of a distributed retrieval, and the registrations whose sources are missing from it.</summary>
public sealed record DistributedResult<T>(T Value, IReadOnlyList<string> MissingRegistrations);

/// <summary>
/// Retrieve entity and query entities as distributed operations (clause 4.3.6, 5.7.1 and 5.7.2): the local plan plus one
/// remote leg per matching registration (of every mode, if it supports the operation), sent
/// concurrently and merged per entity id by <see cref="EntityMerger"/>. Without a matching registration, with local=true,
/// or when the Via header already names this broker, it is the local retrieval alone.
/// </summary>
/// <remarks>
/// A query takes at most <see cref="FederationOptions.MaxEntitiesPerSource"/> entities from each source, merges them,
/// orders them by id and then applies offset, limit and count to the merged list; what a source holds beyond that bound
/// is not seen. Filters (q, geo-queries, scopeQ) are applied by each source to its own entities, not again to the
/// merged ones.
/// </remarks>
public sealed class DistributedRetrieval(EntityService entities, RegistrationService registrations, ContextSourceClient sources, FederationOptions options)
{
    private static readonly IReadOnlySet<RegistrationMode> ForwardedModes = new HashSet<RegistrationMode> { RegistrationMode.Inclusive, RegistrationMode.Exclusive, RegistrationMode.Auxiliary, RegistrationMode.Redirect };

    /// <summary>Retrieve entity (clause 5.7.1); <paramref name="attributes"/> are the expanded attrs asked for, or null.</summary>
    public async Task<DistributedResult<Entity>> RetrieveAsync(string tenant, string id, IReadOnlyList<string>? attributes, JsonLdContext context,
        ForwardingContext forwarding, CancellationToken ct)
    {
        var matches = await RemoteLegsAsync(tenant, new RegistrationQuery
        {
            EntityIds = [id],
            Attributes = attributes,
            Operation = RegistrationOperations.RetrieveEntity,
            Modes = ForwardedModes,
        }, forwarding, ct);
        if (matches.Count == 0)
            return new(await entities.GetAsync(tenant, id, ct), []);

        var path = "entities/" + Uri.EscapeDataString(id) + QueryString(forwarding.Parameters, ("options", "sysAttrs"));
        var remote = matches.Select(match => sources.GetEntitiesAsync(match.Registration, path, context, forwarding, ct)).ToArray();
        Entity? local = null;
        NgsiLdException? localAbsence = null;
        try
        {
            local = await entities.GetAsync(tenant, id, ct);
        }
        catch (NgsiLdException e) when (e.Type.Status == 404)
        {
            localAbsence = e;
        }
        var answers = await Task.WhenAll(remote);

        var found = new List<SourcedEntity>();
        if (local is not null)
            found.Add(new SourcedEntity(local, Auxiliary: false));
        var missing = new List<string>();
        for (var i = 0; i < matches.Count; i++)
        {
            if (answers[i] is not { } answer)
            {
                missing.Add(matches[i].Registration.Id);
                continue;
            }
            foreach (var entity in answer)
            {
                if (entity.Id == id)
                    found.Add(new SourcedEntity(entity, matches[i].Registration.Mode == RegistrationMode.Auxiliary));
            }
        }
        if (found.Count == 0)
            throw localAbsence ?? EntityService.NotFound(id);
        return new(EntityMerger.Merge(found), missing);
    }

    /// <summary>Query entities (clause 5.7.2) with <paramref name="query"/> as the local plan.</summary>
    public async Task<DistributedResult<EntityPage>> QueryAsync(string tenant, EntityQuery query, JsonLdContext context, ForwardingContext forwarding, CancellationToken ct)
    {
        var matches = await RemoteLegsAsync(tenant, new RegistrationQuery
        {
            EntityIds = query.Ids,
            IdPattern = query.IdPattern,
            Types = query.Types,
            Attributes = query.Attrs,
            Operation = RegistrationOperations.QueryEntity,
            Modes = ForwardedModes,
        }, forwarding, ct);
        if (matches.Count == 0)
        {
            await entities.RequireTenantAsync(tenant, ct);
            return new(await entities.Store.QueryAsync(tenant, query, ct), []);
        }

        var bound = options.MaxEntitiesPerSource;
        var path = "entities" + QueryString(forwarding.Parameters, ("limit", bound.ToString(CultureInfo.InvariantCulture)), ("options", "sysAttrs"));
        var remote = matches.Select(match => sources.GetEntitiesAsync(match.Registration, path, context, forwarding, ct)).ToArray();
        IReadOnlyList<Entity> local = [];
        if (await entities.Store.TenantExistsAsync(tenant, ct))
            local = (await entities.Store.QueryAsync(tenant, query with { Limit = bound, Offset = 0, Count = false }, ct)).Entities;
        var answers = await Task.WhenAll(remote);

        var byId = new Dictionary<string, List<SourcedEntity>>(StringComparer.Ordinal);
        foreach (var entity in local)
            Add(byId, new SourcedEntity(entity, Auxiliary: false));
        var missing = new List<string>();
        for (var i = 0; i < matches.Count; i++)
        {
            if (answers[i] is not { } answer)
            {
                missing.Add(matches[i].Registration.Id);
                continue;
            }
            var auxiliary = matches[i].Registration.Mode == RegistrationMode.Auxiliary;
            foreach (var entity in answer)
                Add(byId, new SourcedEntity(entity, auxiliary));
        }
        var ids = byId.Keys.ToList();
        ids.Sort(StringComparer.Ordinal);
        var page = new List<Entity>();
        foreach (var id in ids.Skip(query.Offset).Take(query.Limit))
            page.Add(EntityMerger.Merge(byId[id]));
        return new(new EntityPage(page, query.Count ? ids.Count : null), missing);
    }

    private static void Add(Dictionary<string, List<SourcedEntity>> byId, SourcedEntity entity)
    {
        if (!byId.TryGetValue(entity.Entity.Id, out var list))
            byId[entity.Entity.Id] = list = [];
        list.Add(entity);
    }

    private async Task<IReadOnlyList<RegistrationMatch>> RemoteLegsAsync(string tenant, RegistrationQuery query, ForwardingContext forwarding, CancellationToken ct)
    {
        if (forwarding.Local || ForwardingContext.ViaNames(forwarding.Via, options.ResolvedBrokerId))
            return [];
        var matches = await registrations.MatchAsync(tenant, query, ct);
        return forwarding.Via is null ? matches : [.. matches.Where(match => !ForwardingContext.ViaNames(forwarding.Via, match.Registration.Endpoint.Authority))];
    }

    private static string QueryString(IReadOnlyList<KeyValuePair<string, string>> parameters, params (string Name, string Value)[] overrides)
    {
        var text = new StringBuilder();
        foreach (var (name, value) in parameters)
            Append(text, name, value);
        foreach (var (name, value) in overrides)
            Append(text, name, value);
        return text.ToString();
    }

    private static void Append(StringBuilder text, string name, string value) =>
        text.Append(text.Length == 0 ? '?' : '&').Append(Uri.EscapeDataString(name)).Append('=').Append(Uri.EscapeDataString(value));
}
