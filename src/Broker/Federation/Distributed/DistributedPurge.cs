using Broker.Entities;
using Broker.Problems;
using Broker.Storage;

namespace Broker.Federation.Distributed;

/// <summary>A context source that did not purge: its registration and its error.</summary>
public sealed record PurgeFailure(string RegistrationId, NgsiLdException Error);

/// <summary>
/// Purge entities (clause 5.6.21) as a distributed operation: every inclusive, exclusive or redirect registration of
/// the selected entities that takes deletions (deleteEntity or deleteBatch) is sent the same request, concurrently, while
/// this broker purges its own entities; none with local=true.
/// </summary>
public sealed class DistributedPurge(RegistrationService registrations, ContextSourceClient sources, FederationOptions options, EntityService entities)
{
    private static readonly string[] Operations = [RegistrationOperations.DeleteEntity, RegistrationOperations.DeleteBatch];

    /// <summary>Purges; <paramref name="relativePath"/> is the request as sources are sent it (entities and its query string).</summary>
    public async Task<IReadOnlyList<PurgeFailure>> PurgeAsync(string tenant, EntityQuery query, IReadOnlySet<string>? keep, IReadOnlySet<string>? drop,
        string relativePath, ForwardingContext forwarding, CancellationToken ct)
    {
        var matches = await DistributedRetrieval.RemoteLegsAsync(registrations, options, tenant,
            [new RegistrationQuery { EntityIds = query.Ids, IdPattern = query.IdPattern, Types = query.Types, Modes = DistributedWrite.WrittenModes }],
            forwarding, Operations, ct);
        var remote = matches.Select(match => sources.SendAsync(match.Registration, HttpMethod.Delete, relativePath, null, "application/json", forwarding, ct)).ToArray();
        try
        {
            await entities.PurgeAsync(tenant, query, keep, drop, ct);
        }
        catch (NgsiLdException e) when (e.Type == ErrorType.NonexistentTenant && matches.Count > 0)
        {
            // Nothing held here in that tenant; the sources may hold some.
        }
        var replies = await Task.WhenAll(remote);
        var failures = new List<PurgeFailure>();
        for (var i = 0; i < replies.Length; i++)
        {
            if (!replies[i].Succeeded)
                failures.Add(new PurgeFailure(matches[i].Registration.Id, DistributedWrite.ErrorOf(matches[i].Registration, replies[i])));
        }
        return failures;
    }
}
