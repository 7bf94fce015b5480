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
public sealed record DistributedResult<T>(T Value, IReadOnlyList<string> MissingRegistrations)
{
    /// <summary>The answer of the one source that held all of it, as it gave it (a JSON array of <see cref="VerbatimRequest.Accept"/>), instead of <see cref="Value"/>.</summary>
    public byte[]? Verbatim { get; init; }
}

/// <summary>
/// How the client wants its entities (the media type it accepts and the representation parameters it gave): when one
/// source holds the whole answer, that source is asked for exactly this and its answer is passed on unparsed.
/// </summary>
public sealed record VerbatimRequest(string Accept, IReadOnlyList<KeyValuePair<string, string>> Representation);

/// <summary>
/// Retrieve entity and query entities as distributed operations (clause 4.3.6, 5.7.1 and 5.7.2): the local plan plus one
/// remote leg per matching registration (of every mode, if it supports the operation, or a query
/// operation that can stand in for it: queryEntity by GET, queryBatch by POST), sent concurrently and merged per entity
/// id by <see cref="EntityMerger"/>. Without a matching registration, with local=true,
/// or when the Via header already names this broker, it is the local retrieval alone.
/// </summary>
/// <remarks>
/// A query takes at most <see cref="FederationOptions.MaxEntitiesPerSource"/> entities from each source, merges them,
/// orders them by id and then applies offset, limit and count to the merged list; what a source holds beyond that bound
/// is not seen. When one source holds the whole answer (no other source, nothing here) and count is not asked, that
/// source is asked for the page itself, in its own order. Filters (q, geo-queries, scopeQ) are applied by each source to its own entities, not again to the
/// merged ones.
/// </remarks>
public sealed class DistributedRetrieval(EntityService entities, RegistrationService registrations, ContextSourceClient sources, FederationOptions options)
{
    internal static readonly IReadOnlySet<RegistrationMode> ForwardedModes = new HashSet<RegistrationMode> { RegistrationMode.Inclusive, RegistrationMode.Exclusive, RegistrationMode.Auxiliary, RegistrationMode.Redirect };

    /// <summary>
    /// Retrieve entity (clause 5.7.1); <paramref name="attributes"/> are the expanded attrs asked for, or null. A
    /// registration that supports query entities or queryBatch but not retrieve entity is asked a query for the id,
    /// with the types it registered for the id (an EntitySelector needs a type).
    /// </summary>
    public async Task<DistributedResult<Entity>> RetrieveAsync(string tenant, string id, IReadOnlyList<string>? attributes, JsonLdContext context,
        ForwardingContext forwarding, CancellationToken ct)
    {
        var matches = await RemoteLegsAsync(tenant, [new RegistrationQuery
        {
            EntityIds = [id],
            Attributes = attributes,
            Modes = ForwardedModes,
        }], forwarding, [RegistrationOperations.RetrieveEntity, RegistrationOperations.QueryEntity, RegistrationOperations.QueryBatch], ct);
        if (matches.Count == 0)
            return new(await entities.GetAsync(tenant, id, ct), []);

        var remote = matches.Select(match => RetrieveFromAsync(match, id, context, forwarding, ct)).ToArray();
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

    private Task<IReadOnlyList<Entity>?> RetrieveFromAsync(RegistrationMatch match, string id, JsonLdContext context, ForwardingContext forwarding, CancellationToken ct)
    {
        var registration = match.Registration;
        if (registration.SupportedOperations.Contains(RegistrationOperations.RetrieveEntity))
        {
            var path = "entities/" + Escape(id) + QueryString(forwarding.Parameters, ("options", "sysAttrs"));
            return sources.GetEntitiesAsync(registration, path, context, forwarding, ct);
        }
        var types = match.Information
            .SelectMany(info => info.Entities ?? [])
            .Where(entities => entities.CoversId(id))
            .SelectMany(entities => entities.Types)
            .Distinct(StringComparer.Ordinal)
            .Select(context.CompactIri)
            .ToList();
        var attrs = forwarding.Parameters.Where(p => p.Key == "attrs").SelectMany(p => p.Value.Split(',', StringSplitOptions.RemoveEmptyEntries)).ToList();
        var datasetId = forwarding.Parameters.FirstOrDefault(p => p.Key == "datasetId").Value;
        var byId = ForwardedQuery.Of(
            [new ForwardedQuery.Selector([id], null, types.Count == 0 ? null : string.Join(',', types), attrs.Count == 0 ? null : attrs, null, null, null, null, null, null)],
            datasetId, askedAsBatch: false);
        return QueryFromAsync(registration, byId, context, forwarding, ct);
    }

    /// <summary>
    /// Query entities (clause 5.7.2): <paramref name="queries"/> are the local plan, alternatives whose matches are
    /// united (the entity selectors of a Query payload); the first gives offset, limit and count. Sources are asked
    /// <paramref name="forwarded"/>, by GET or POST as each registration supports (queryEntity, queryBatch).
    /// </summary>
    public async Task<DistributedResult<EntityPage>> QueryAsync(string tenant, IReadOnlyList<EntityQuery> queries, ForwardedQuery forwarded, JsonLdContext context,
        ForwardingContext forwarding, CancellationToken ct, VerbatimRequest? verbatim = null)
    {
        ArgumentOutOfRangeException.ThrowIfZero(queries.Count);
        var matches = await RemoteLegsAsync(tenant, [.. queries.Select(query => new RegistrationQuery
        {
            EntityIds = query.Ids,
            IdPattern = query.IdPattern,
            Types = query.Types,
            Attributes = query.Attrs,
            Modes = ForwardedModes,
        })], forwarding, [RegistrationOperations.QueryEntity, RegistrationOperations.QueryBatch], ct);
        var first = queries[0];
        if (matches.Count == 0)
        {
            await entities.RequireTenantAsync(tenant, ct);
            if (queries.Count == 1)
                return new(await entities.Store.QueryAsync(tenant, first, ct), []);
            var union = await LocalUnionAsync(tenant, queries, int.MaxValue, ct);
            return new(new EntityPage([.. union.Skip(first.Offset).Take(first.Limit)], first.Count ? union.Count : null), []);
        }

        // One source that may hold the whole answer is asked for the client's page while the local query runs; the
        // answer is used only when nothing matches here, otherwise the request is cancelled and the sources are merged.
        var single = matches.Count == 1 && !first.Count && AsksOnce(matches[0].Registration, forwarded);
        using var speculation = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var verbatimAnswer = single && verbatim is not null && !AsksByPost(matches[0].Registration, forwarded)
            ? sources.GetVerbatimArrayAsync(matches[0].Registration, VerbatimPath(forwarded, verbatim, first), verbatim.Accept, forwarding, speculation.Token)
            : null;

        IReadOnlyList<Entity> local = [];
        try
        {
            if (await entities.Store.TenantExistsAsync(tenant, ct))
                local = await LocalUnionAsync(tenant, queries, options.MaxEntitiesPerSource, ct);
        }
        catch when (verbatimAnswer is not null)
        {
            await speculation.CancelAsync();
            await Task.WhenAny(verbatimAnswer);
            throw;
        }
        if (verbatimAnswer is not null && local.Count > 0)
        {
            await speculation.CancelAsync();
            await Task.WhenAny(verbatimAnswer);
        }
        if (local.Count == 0 && single)
        {
            // One source holds the whole answer: it pages it, and its page is the page.
            if (verbatimAnswer is not null)
            {
                var answer = await verbatimAnswer;
                return answer is null
                    ? new(new EntityPage([], null), [matches[0].Registration.Id])
                    : new(new EntityPage([], null), []) { Verbatim = answer };
            }
            var only = await QueryFromAsync(matches[0].Registration, forwarded, context, forwarding, ct, (first.Offset, first.Limit));
            return only is null ? new(new EntityPage([], null), [matches[0].Registration.Id]) : new(new EntityPage(only, null), []);
        }
        var answers = await Task.WhenAll(matches.Select(match => QueryFromAsync(match.Registration, forwarded, context, forwarding, ct)));

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
        foreach (var id in ids.Skip(first.Offset).Take(first.Limit))
            page.Add(EntityMerger.Merge(byId[id]));
        return new(new EntityPage(page, first.Count ? ids.Count : null), missing);
    }

    /// <summary>The entities of this broker that match one of <paramref name="queries"/>, at most <paramref name="bound"/> of each, ordered by id.</summary>
    private async Task<List<Entity>> LocalUnionAsync(string tenant, IReadOnlyList<EntityQuery> queries, int bound, CancellationToken ct)
    {
        var union = new SortedDictionary<string, Entity>(StringComparer.Ordinal);
        foreach (var query in queries)
        {
            var matched = await entities.Store.QueryAsync(tenant, query with { Limit = bound, Offset = 0, Count = false }, ct);
            foreach (var entity in matched.Entities)
                union.TryAdd(entity.Id, entity);
        }
        return [.. union.Values];
    }

    /// <summary>
    /// One source's part of a query, at most <see cref="FederationOptions.MaxEntitiesPerSource"/> entities per request:
    /// by POST when the registration supports queryBatch and the client asked so or it supports nothing else, otherwise
    /// by GET, one request per parameter set (all of them must answer).
    /// </summary>
    private async Task<IReadOnlyList<Entity>?> QueryFromAsync(ContextSourceRegistration registration, ForwardedQuery query, JsonLdContext context,
        ForwardingContext forwarding, CancellationToken ct, (int Offset, int Limit)? page = null)
    {
        var paging = page is { } asked
            ? new[] { ("offset", asked.Offset.ToString(CultureInfo.InvariantCulture)), ("limit", asked.Limit.ToString(CultureInfo.InvariantCulture)), ("options", "sysAttrs") }
            : [("limit", options.MaxEntitiesPerSource.ToString(CultureInfo.InvariantCulture)), ("options", "sysAttrs")];
        if (AsksByPost(registration, query))
            return await sources.PostQueryAsync(registration, "entityOperations/query" + QueryString([], paging), query.Payload, context, forwarding, ct);

        var answers = await Task.WhenAll(query.ParameterSets.Select(parameters =>
            sources.GetEntitiesAsync(registration, "entities" + QueryString(parameters, paging), context, forwarding, ct)));
        if (answers.Any(answer => answer is null))
            return null;
        return [.. answers.SelectMany(answer => answer!)];
    }

    private static bool AsksByPost(ContextSourceRegistration registration, ForwardedQuery query) =>
        registration.SupportedOperations.Contains(RegistrationOperations.QueryBatch)
        && (query.AskedAsBatch || !registration.SupportedOperations.Contains(RegistrationOperations.QueryEntity));

    /// <summary>Whether the source is asked the query in one request (by POST, or by GET with one parameter set).</summary>
    private static bool AsksOnce(ContextSourceRegistration registration, ForwardedQuery query) => AsksByPost(registration, query) || query.ParameterSets.Count == 1;

    private static string VerbatimPath(ForwardedQuery forwarded, VerbatimRequest verbatim, EntityQuery first) =>
        "entities" + QueryString(forwarded.ParameterSets[0], [.. verbatim.Representation.Select(p => (p.Key, p.Value)),
            ("offset", first.Offset.ToString(CultureInfo.InvariantCulture)), ("limit", first.Limit.ToString(CultureInfo.InvariantCulture))]);

    private static void Add(Dictionary<string, List<SourcedEntity>> byId, SourcedEntity entity)
    {
        if (!byId.TryGetValue(entity.Entity.Id, out var list))
            byId[entity.Entity.Id] = list = [];
        list.Add(entity);
    }

    /// <summary>
    /// The registrations matching one of <paramref name="queries"/> that support one of <paramref name="operations"/>,
    /// each once; none with local=true or when Via names this broker.
    /// </summary>
    private Task<IReadOnlyList<RegistrationMatch>> RemoteLegsAsync(string tenant, IReadOnlyList<RegistrationQuery> queries, ForwardingContext forwarding,
        IReadOnlyList<string> operations, CancellationToken ct) =>
        RemoteLegsAsync(registrations, options, tenant, queries, forwarding, operations, ct);

    /// <summary>
    /// The registrations matching one of <paramref name="queries"/> that support one of <paramref name="operations"/>,
    /// each once; none with local=true or when Via names this broker.
    /// </summary>
    internal static async Task<IReadOnlyList<RegistrationMatch>> RemoteLegsAsync(RegistrationService registrations, FederationOptions options, string tenant,
        IReadOnlyList<RegistrationQuery> queries, ForwardingContext forwarding, IReadOnlyList<string> operations, CancellationToken ct)
    {
        // A source cannot apply this broker's restriction of a client's role: such a client is answered from this broker alone.
        if (forwarding.Local || ForwardingContext.ViaNames(forwarding.Via, options.ResolvedBrokerId) || Security.AccessScope.Current is not null)
            return [];
        var legs = new List<RegistrationMatch>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var query in queries)
        {
            foreach (var match in await registrations.MatchAsync(tenant, query, ct))
            {
                if (operations.Any(match.Registration.SupportedOperations.Contains) && seen.Add(match.Registration.Id)
                    && (forwarding.Via is null || !ForwardingContext.ViaNames(forwarding.Via, match.Registration.Endpoint.Authority)))
                    legs.Add(match);
            }
        }
        return legs;
    }

    internal static string QueryString(IReadOnlyList<KeyValuePair<string, string>> parameters, params (string Name, string Value)[] overrides)
    {
        var text = new StringBuilder();
        foreach (var (name, value) in parameters)
            Append(text, name, value);
        foreach (var (name, value) in overrides)
            Append(text, name, value);
        return text.ToString();
    }

    private static void Append(StringBuilder text, string name, string value) =>
        text.Append(text.Length == 0 ? '?' : '&').Append(Uri.EscapeDataString(name)).Append('=').Append(Escape(value).Replace("%2C", ",", StringComparison.Ordinal));

    /// <summary>A path segment or query value escaped, its ':' kept (RFC 3986 allows it there), so ids stay readable.</summary>
    internal static string Escape(string value) => Uri.EscapeDataString(value).Replace("%3A", ":", StringComparison.Ordinal);
}
