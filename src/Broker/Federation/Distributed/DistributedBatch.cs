using System.Text.Json;
using Broker.Entities;
using Broker.Problems;
using Ontology.JsonLd;
using Ontology.Model;

namespace Broker.Federation.Distributed;

/// <summary>
/// Batch entity operations as distributed operations (clause 5.6.7–5.6.10, 5.6.20 with 4.3.6): each element is routed as
/// the single-entity write would be (<see cref="DistributedWrite.PlanAsync"/>); the parts for one registration go to its
/// context source as one batch request, the parts left to this broker run as one local batch, and the results are
/// joined per entity. An element is among success when a part of it succeeded; every failed part is an error, naming
/// its registration when it was remote.
/// </summary>
public sealed class DistributedBatch(BatchService batch, DistributedWrite writes, ContextSourceClient sources)
{
    private sealed record RemoteBatch(ContextSourceRegistration Registration, List<(string Id, Entity? Part, bool Presumed)> Items);

    public async Task<BatchResult> ExecuteAsync(string tenant, BatchOperation operation, IReadOnlyList<BatchItem> items, string relativePath,
        JsonLdContext context, ForwardingContext forwarding, CancellationToken ct)
    {
        var operationName = OperationName(operation);
        var local = new List<BatchItem>(items.Count);
        var remote = new Dictionary<string, RemoteBatch>(StringComparer.Ordinal);
        var refused = new List<BatchError>();
        foreach (var item in items)
        {
            if (item.Error is not null || item.EntityId is null)
            {
                local.Add(item);
                continue;
            }
            var write = new EntityWrite
            {
                Operation = operationName,
                Method = HttpMethod.Post,
                EntityId = item.EntityId,
                Fragment = item.Entity,
                RelativePath = relativePath,
                Types = operation is BatchOperation.Create or BatchOperation.Upsert or BatchOperation.UpsertUpdate ? item.Entity?.Types : null,
            };
            WritePlan plan;
            try
            {
                plan = await writes.PlanAsync(tenant, write, forwarding, ct);
            }
            catch (NgsiLdException e)
            {
                refused.Add(new BatchError(item.EntityId, e));
                continue;
            }
            if (plan.Legs.Count == 0)
            {
                local.Add(item);
                continue;
            }
            if (plan.RunsLocally)
                local.Add(item with { Entity = DistributedWrite.Only(item.Entity, plan.LocalAttributes) });
            foreach (var leg in plan.Legs)
            {
                if (!remote.TryGetValue(leg.Registration.Id, out var target))
                    remote[leg.Registration.Id] = target = new RemoteBatch(leg.Registration, []);
                target.Items.Add((item.EntityId, DistributedWrite.Only(item.Entity, leg.Attributes), leg.Presumed));
            }
        }
        if (remote.Count == 0 && refused.Count == 0)
            return await batch.ExecuteAsync(tenant, operation, items, ct);

        var compaction = DistributedWrite.CompactionFor(context, forwarding);
        var sent = remote.Values.Select(target => SendAsync(target, relativePath, compaction, forwarding, ct)).ToList();
        var localResult = local.Count > 0 ? await batch.ExecuteAsync(tenant, operation, local, ct) : new BatchResult([], [], []);
        var remoteResults = await Task.WhenAll(sent);

        var succeeded = new HashSet<string>(localResult.Success, StringComparer.Ordinal);
        var errors = new List<BatchError>(refused);
        errors.AddRange(localResult.Errors);
        foreach (var (success, _) in remoteResults)
            succeeded.UnionWith(success);
        foreach (var (_, failed) in remoteResults)
        {
            // A source presumed to hold an entity of unknown type that answers 404 only says it does not: an error only
            // when no other part of the entity succeeded.
            errors.AddRange(failed.Where(error => !(error.Presumed && error.Failure.Error.Type.Status == 404 && succeeded.Contains(error.Failure.EntityId!)))
                .Select(error => error.Failure));
        }
        var order = items.Select(item => item.EntityId).OfType<string>().Distinct(StringComparer.Ordinal).Where(succeeded.Contains).ToList();
        return new BatchResult(order, errors, localResult.Created);
    }

    private async Task<(IReadOnlyList<string> Success, IReadOnlyList<(BatchError Failure, bool Presumed)> Errors)> SendAsync(RemoteBatch target, string relativePath, JsonLdContext compaction,
        ForwardingContext forwarding, CancellationToken ct)
    {
        var body = new List<byte>(256) { (byte)'[' };
        for (var i = 0; i < target.Items.Count; i++)
        {
            if (i > 0)
                body.Add((byte)',');
            var (id, part, _) = target.Items[i];
            body.AddRange(part is null ? JsonSerializer.SerializeToUtf8Bytes(id) : DistributedWrite.Serialize(part, compaction, withId: true, forwarding.BodyContext));
        }
        body.Add((byte)']');
        var contentType = target.Items.Any(item => item.Part is not null) ? DistributedWrite.ContentTypeFor(forwarding) : "application/json";
        var reply = await sources.SendAsync(target.Registration, HttpMethod.Post, relativePath, [.. body], contentType, forwarding, ct);
        var ids = target.Items.Select(item => item.Id).ToList();
        if (reply.Succeeded)
            return (ids, []);
        if (reply.Status == 207 && reply.Body is { ValueKind: JsonValueKind.Object } result && result.TryGetProperty("errors"u8, out var reported) && reported.ValueKind == JsonValueKind.Array)
        {
            var presumed = target.Items.Where(item => item.Presumed).Select(item => item.Id).ToHashSet(StringComparer.Ordinal);
            var errors = new List<(BatchError, bool)>();
            var failed = new HashSet<string>(StringComparer.Ordinal);
            foreach (var entry in reported.EnumerateArray())
            {
                if (entry.ValueKind != JsonValueKind.Object || !entry.TryGetProperty("entityId"u8, out var idValue) || idValue.ValueKind != JsonValueKind.String)
                    continue;
                var id = idValue.GetString()!;
                var problem = entry.TryGetProperty("error"u8, out var error) ? error : default;
                var status = problem.ValueKind == JsonValueKind.Object && problem.TryGetProperty("status"u8, out var code) && code.TryGetInt32(out var number) ? number : 400;
                failed.Add(id);
                var failure = new BatchError(id, DistributedWrite.ErrorOf(target.Registration, new SourceReply(status, problem.ValueKind == JsonValueKind.Object ? problem : null, null)), target.Registration.Id);
                errors.Add((failure, presumed.Contains(id)));
            }
            return ([.. ids.Where(id => !failed.Contains(id))], errors);
        }
        var unanswered = DistributedWrite.ErrorOf(target.Registration, reply);
        return ([], [.. target.Items.Select(item => (new BatchError(item.Id, unanswered, target.Registration.Id), item.Presumed))]);
    }

    private static string OperationName(BatchOperation operation) => operation switch
    {
        BatchOperation.Create => RegistrationOperations.CreateBatch,
        BatchOperation.Upsert or BatchOperation.UpsertUpdate => RegistrationOperations.UpsertBatch,
        BatchOperation.Update or BatchOperation.UpdateNoOverwrite => RegistrationOperations.UpdateBatch,
        BatchOperation.Merge => RegistrationOperations.MergeBatch,
        _ => RegistrationOperations.DeleteBatch,
    };
}
