using System.Text.Json;
using Broker.Discovery;
using Broker.Entities;
using Ontology.JsonLd;

namespace Broker.Federation.Distributed;

/// <summary>
/// Type and attribute discovery as distributed operations (clause 4.3.6, 5.7.5–5.7.10): this broker's summaries and
/// those of every matching inclusive, auxiliary or redirect registration that supports the operation, asked
/// concurrently and united by <see cref="DiscoveryMerger"/>. With local=true, or when Via names this broker, only this
/// broker's.
/// </summary>
public sealed class DistributedDiscovery(EntityService entities, DiscoveryService discovery, RegistrationService registrations, ContextSourceClient sources,
    FederationOptions options)
{
    /// <summary>GET /types (retrieveEntityTypes), or with details (retrieveEntityTypeDetails).</summary>
    public Task<DistributedResult<IReadOnlyList<TypeSummary>>> TypesAsync(string tenant, bool details, JsonLdContext context, ForwardingContext forwarding,
        CancellationToken ct) =>
        GatherAsync(tenant, new RegistrationQuery(), details ? RegistrationOperations.RetrieveEntityTypeDetails : RegistrationOperations.RetrieveEntityTypes,
            details ? "types?details=true" : "types", () => discovery.GetTypesAsync(tenant, ct),
            answer => DiscoveryMerger.ReadTypes(answer, context), DiscoveryMerger.MergeTypes, forwarding, ct);

    /// <summary>GET /types/{type} (retrieveEntityTypeInfo): the summaries of <paramref name="type"/> alone, none where no source has it.</summary>
    public Task<DistributedResult<IReadOnlyList<TypeSummary>>> TypeAsync(string tenant, string type, string asGiven, JsonLdContext context,
        ForwardingContext forwarding, CancellationToken ct) =>
        GatherAsync(tenant, new RegistrationQuery(), RegistrationOperations.RetrieveEntityTypeInfo, "types/" + DistributedRetrieval.Escape(asGiven),
            async () => (IReadOnlyList<TypeSummary>)[.. (await discovery.GetTypesAsync(tenant, ct)).Where(t => t.Type == type)],
            answer => [.. DiscoveryMerger.ReadTypes(answer, context).Where(t => t.Type == type)], DiscoveryMerger.MergeTypes, forwarding, ct);

    /// <summary>GET /attributes (retrieveAttrTypes), or with details (retrieveAttrTypeDetails).</summary>
    public Task<DistributedResult<IReadOnlyList<AttributeSummary>>> AttributesAsync(string tenant, bool details, JsonLdContext context, ForwardingContext forwarding,
        CancellationToken ct) =>
        GatherAsync(tenant, new RegistrationQuery(), details ? RegistrationOperations.RetrieveAttrTypeDetails : RegistrationOperations.RetrieveAttrTypes,
            details ? "attributes?details=true" : "attributes", () => discovery.GetAttributesAsync(tenant, ct),
            answer => DiscoveryMerger.ReadAttributes(answer, context), DiscoveryMerger.MergeAttributes, forwarding, ct);

    /// <summary>GET /attributes/{attrId} (retrieveAttrTypeInfo): the summaries of <paramref name="name"/> alone.</summary>
    public Task<DistributedResult<IReadOnlyList<AttributeSummary>>> AttributeAsync(string tenant, string name, string asGiven, JsonLdContext context,
        ForwardingContext forwarding, CancellationToken ct) =>
        GatherAsync(tenant, new RegistrationQuery { Attributes = [name] }, RegistrationOperations.RetrieveAttrTypeInfo, "attributes/" + DistributedRetrieval.Escape(asGiven),
            async () => (IReadOnlyList<AttributeSummary>)[.. (await discovery.GetAttributesAsync(tenant, ct)).Where(a => a.Name == name)],
            answer => [.. DiscoveryMerger.ReadAttributes(answer, context).Where(a => a.Name == name)], DiscoveryMerger.MergeAttributes, forwarding, ct);

    /// <summary>
    /// This broker's summaries and those of the sources; without a matching registration, the tenant must exist here
    /// (as before distribution), with one, a tenant unknown here has no summaries of its own.
    /// </summary>
    private async Task<DistributedResult<IReadOnlyList<T>>> GatherAsync<T>(string tenant, RegistrationQuery query, string operation, string path,
        Func<Task<IReadOnlyList<T>>> local, Func<JsonElement, IReadOnlyList<T>> read, Func<IEnumerable<IReadOnlyList<T>>, IReadOnlyList<T>> merge,
        ForwardingContext forwarding, CancellationToken ct)
    {
        var matches = await DistributedRetrieval.RemoteLegsAsync(registrations, options, tenant, [query with { Modes = DistributedRetrieval.ForwardedModes }],
            forwarding, [operation], ct);
        if (matches.Count == 0)
        {
            await entities.RequireTenantAsync(tenant, ct);
            return new(await local(), []);
        }
        var remote = matches.Select(match => sources.GetJsonAsync(match.Registration, path, forwarding, ct)).ToArray();
        IReadOnlyList<T> own = await entities.Store.TenantExistsAsync(tenant, ct) ? await local() : [];
        var answers = await Task.WhenAll(remote);
        var parts = new List<IReadOnlyList<T>> { own };
        var missing = new List<string>();
        for (var i = 0; i < matches.Count; i++)
        {
            if (answers[i] is not { } answer)
                missing.Add(matches[i].Registration.Id);
            else if (answer.Body is { } body)
                parts.Add(read(body));
        }
        return new(merge(parts), missing);
    }
}
