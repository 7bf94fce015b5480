using System.Buffers;
using System.Text;
using System.Text.Json;
using Broker.Entities;
using Broker.Entities.Representation;
using Broker.Problems;
using Broker.Query.Ast;
using Ontology.JsonLd;
using Ontology.Model;

namespace Broker.Federation.Distributed;

/// <summary>One write of one entity, as a distributed write routes it.</summary>
public sealed record EntityWrite
{
    /// <summary>The operation's name of clause 4.20 (e.g. <see cref="RegistrationOperations.CreateEntity"/>).</summary>
    public required string Operation { get; init; }

    public required HttpMethod Method { get; init; }

    public required string EntityId { get; init; }

    /// <summary>The entity's types when the write names them (create, replace); otherwise those of the entity held here.</summary>
    public IReadOnlyList<string>? Types { get; init; }

    /// <summary>The attributes written (expanded names), or null for the whole entity (delete entity).</summary>
    public Entity? Fragment { get; init; }

    /// <summary>For an operation on one attribute: its expanded name (the body, if any, is <see cref="Body"/>).</summary>
    public string? AttributeName { get; init; }

    /// <summary>The body forwarded as received, for operations whose body is not split by attribute.</summary>
    public ForwardedBody? Body { get; init; }

    /// <summary>Below &lt;endpoint&gt;/ngsi-ld/v1/, with the query string a context source is asked with.</summary>
    public required string RelativePath { get; init; }

    /// <summary>Whether the forwarded entity carries its id (not for the attribute operations, whose path names it).</summary>
    public bool BodyWithId { get; init; } = true;
}

public sealed record ForwardedBody(byte[] Content, string ContentType);

/// <summary>
/// A registration that takes part of a write: the attributes it covers (null: the whole entity), and whether that is all
/// of them. <see cref="Presumed"/>: it registers entities by type, and the entity's type is not known here, so its source
/// may not hold the entity; its 404 then only says so.
/// </summary>
public sealed record WriteLeg(ContextSourceRegistration Registration, IReadOnlyList<string>? Attributes, bool TakesAll, bool Presumed = false);

/// <summary>
/// Where a write goes: its legs, whether this broker does a part and with which attributes (null: the whole entity),
/// and the attributes written.
/// </summary>
public sealed record WritePlan(IReadOnlyList<WriteLeg> Legs, bool RunsLocally, IReadOnlyList<string>? LocalAttributes, IReadOnlyList<string>? Attributes);

/// <summary>
/// What one part of a distributed write did: the local part (no registration) or the part sent to a registration's
/// context source, the attributes it carried (null: the whole entity), its error if it failed, and the outcome of an
/// attribute update where it has one.
/// </summary>
public sealed record WritePart(string? RegistrationId, IReadOnlyList<string>? Attributes, NgsiLdException? Error, UpdateResult? Update);

/// <summary>The parts of a write; not <see cref="Forwarded"/>: the write was local alone, and its errors were thrown.</summary>
public sealed record DistributedWriteResult(IReadOnlyList<WritePart> Parts, bool Forwarded)
{
    public bool Succeeded => Parts.All(part => part.Error is null);
}

/// <summary>
/// Writes of single entities as distributed operations (clause 4.3.6.2 and 4.3.6.3): the registrations of mode inclusive,
/// exclusive and redirect that cover the entity and attributes written and support the operation each get the part
/// they cover; what an exclusive or redirect registration covers is not written here, what an inclusive one covers is
/// written both there and here. Parts run concurrently; a source that fails or does not answer fails its part alone.
/// </summary>
/// <remarks>
/// An exclusive registration that covers an attribute written but does not support the operation makes the write a
/// 409 Conflict, and nothing is written anywhere: the attribute may be written by its source alone. A write with
/// nothing left for this broker (every attribute claimed by exclusive or redirect registrations; a whole entity a
/// redirect registration covers entirely) is not done here. Auxiliary registrations never receive writes.
/// </remarks>
public sealed class DistributedWrite(EntityService entities, RegistrationService registrations, ContextSourceClient sources, FederationOptions options)
{
    internal static readonly IReadOnlySet<RegistrationMode> WrittenModes = new HashSet<RegistrationMode> { RegistrationMode.Inclusive, RegistrationMode.Exclusive, RegistrationMode.Redirect };

    private static readonly RepresentationOptions Forwarded = new(EntityFormat.Normalized, SysAttrs: false);

    /// <summary>
    /// Routes <paramref name="write"/>; <paramref name="local"/> does this broker's part with the attributes left to it
    /// (the fragment without what exclusive and redirect registrations take).
    /// </summary>
    public async Task<DistributedWriteResult> WriteAsync(string tenant, EntityWrite write, ForwardingContext forwarding, JsonLdContext context,
        Func<Entity?, CancellationToken, Task<UpdateResult?>> local, CancellationToken ct)
    {
        var plan = await PlanAsync(tenant, write, forwarding, ct);
        if (plan.Legs.Count == 0)
            return new([new WritePart(null, plan.Attributes, null, await local(write.Fragment, ct))], Forwarded: false);

        var remote = plan.Legs.Select(leg => SendAsync(leg, write, context, forwarding, ct)).ToList();
        var parts = new List<WritePart>();
        if (plan.RunsLocally)
            parts.Add(await RunLocalAsync(write, plan.LocalAttributes, local, ct));
        var answered = await Task.WhenAll(remote);
        for (var i = 0; i < answered.Length; i++)
        {
            if (!plan.Legs[i].Presumed || answered[i].Error?.Type.Status != 404)
                parts.Add(answered[i]);
        }
        if (parts.Count == 0)
            parts.Add(answered[0]);
        return new(parts, Forwarded: true);
    }

    /// <summary>
    /// Where the parts of <paramref name="write"/> go: the registrations that take one (none with local=true, or when the
    /// request has passed this broker), and whether something is left for this broker, with which attributes. Throws
    /// 409 Conflict when an exclusive registration covers what is written but does not support the operation.
    /// </summary>
    public async Task<WritePlan> PlanAsync(string tenant, EntityWrite write, ForwardingContext forwarding, CancellationToken ct)
    {
        var attributes = write.AttributeName is { } single ? [single] : write.Fragment?.Attributes.Names.ToList();
        var legs = await LegsAsync(tenant, write, attributes, forwarding, ct);
        if (legs.Count == 0)
            return new WritePlan([], true, attributes, attributes);
        // A source cannot apply this broker's restriction of the client's role, so such a client writes only here.
        if (Security.AccessScope.Current is not null)
            throw new NgsiLdException(ErrorType.Forbidden,
                $"The entity '{write.EntityId}' is registered by the context source registration '{legs[0].Registration.Id}': the client's role is restricted to some entities of this broker (Security:Roles), and writes through registrations need an unrestricted role.");
        var claimed = new HashSet<string>(StringComparer.Ordinal);
        foreach (var leg in legs)
        {
            if (leg.Registration.Mode != RegistrationMode.Inclusive && leg.Attributes is { } covered)
                claimed.UnionWith(covered);
        }
        var anyTaken = legs.Any(leg => leg.Registration.Mode != RegistrationMode.Inclusive);
        var localAttributes = attributes?.Where(name => !claimed.Contains(name)).ToList();
        var runsLocally = attributes is null
            ? !legs.Any(leg => leg.Registration.Mode == RegistrationMode.Redirect && leg.TakesAll)
            : localAttributes!.Count > 0 || !anyTaken;
        return new WritePlan(legs, runsLocally, localAttributes, attributes);
    }

    /// <summary>The body a source is sent for the attributes of <paramref name="leg"/>, or null for a write without one.</summary>
    public static ForwardedBody? BodyFor(WriteLeg leg, EntityWrite write, JsonLdContext context, ForwardingContext forwarding) =>
        write.Body ?? (write.Fragment is { } fragment
            ? new ForwardedBody(Serialize(Only(fragment, leg.Attributes)!, CompactionFor(context, forwarding), write.BodyWithId, forwarding.BodyContext), ContentTypeFor(forwarding))
            : null);

    /// <summary>
    /// Terms are compacted with the client's @context only when the source is sent it by URL (Link, or the URLs of the
    /// body's @context); otherwise with the core context alone, which leaves every other name a full IRI that any
    /// source expands the same way.
    /// </summary>
    public static JsonLdContext CompactionFor(JsonLdContext context, ForwardingContext forwarding) =>
        forwarding.Link is null && forwarding.BodyContext is null ? JsonLdContext.Core : context;

    /// <summary>JSON-LD when the parts carry the client's @context, JSON (with the Link header, if any) otherwise.</summary>
    public static string ContentTypeFor(ForwardingContext forwarding) => forwarding.BodyContext is null ? "application/json" : "application/ld+json";

    private async Task<List<WriteLeg>> LegsAsync(string tenant, EntityWrite write, IReadOnlyList<string>? attributes, ForwardingContext forwarding, CancellationToken ct)
    {
        if (forwarding.Local || ForwardingContext.ViaNames(forwarding.Via, options.ResolvedBrokerId))
            return [];
        var query = new RegistrationQuery { EntityIds = [write.EntityId], Types = Selector(write.Types), Attributes = attributes, Modes = WrittenModes };
        var matches = await registrations.MatchAsync(tenant, query, ct);
        if (matches.Count == 0)
            return [];
        var typesUnknown = false;
        if (write.Types is null && matches.Any(match => match.Information.Any(info => info.Entities is null || info.Entities.Any(e => e.Id is null))))
        {
            // A registration by type alone covers this id only if the entity is of that type: known here if it is held here.
            if (await entities.Store.TenantExistsAsync(tenant, ct) && await entities.Store.GetAsync(tenant, write.EntityId, ct) is { } held)
                matches = await registrations.MatchAsync(tenant, query with { Types = Selector(held.Types) }, ct);
            else
                typesUnknown = true;
        }

        var legs = new List<WriteLeg>();
        foreach (var match in matches)
        {
            if (ForwardingContext.ViaNames(forwarding.Via, match.Registration.Endpoint.Authority))
                continue;
            var covered = attributes?.Where(name => match.Information.Any(info => info.CoversAttribute(name))).ToList();
            if (!match.Registration.SupportedOperations.Contains(write.Operation))
            {
                if (match.Registration.Mode == RegistrationMode.Exclusive)
                {
                    var what = covered is { Count: > 0 } ? $"the attribute '{covered[0]}' of the entity" : "the entity";
                    throw new NgsiLdException(ErrorType.AlreadyExists,
                        $"{char.ToUpperInvariant(what[0])}{what[1..]} '{write.EntityId}' is registered exclusively by the context source registration '{match.Registration.Id}', which does not support {write.Operation}.");
                }
                continue;
            }
            var takesAll = covered is null ? match.Information.Any(info => info.CoversEveryAttribute) : covered.Count == attributes!.Count;
            var byIdAlone = match.Information.Any(info => info.Entities is { } named && named.Any(e => e.Id is not null || e.IdPattern is not null));
            legs.Add(new WriteLeg(match.Registration, covered, takesAll, Presumed: typesUnknown && !byIdAlone));
        }
        return legs;
    }

    private static TypeSelector? Selector(IReadOnlyList<string>? types) => types switch
    {
        null or [] => null,
        [var one] => new TypeName(one),
        _ => new TypeOr([.. types.Select(type => (TypeSelector)new TypeName(type))]),
    };

    private static async Task<WritePart> RunLocalAsync(EntityWrite write, IReadOnlyList<string>? attributes, Func<Entity?, CancellationToken, Task<UpdateResult?>> local, CancellationToken ct)
    {
        try
        {
            return new WritePart(null, attributes, null, await local(Only(write.Fragment, attributes), ct));
        }
        catch (NgsiLdException e)
        {
            return new WritePart(null, attributes, e, null);
        }
    }

    private async Task<WritePart> SendAsync(WriteLeg leg, EntityWrite write, JsonLdContext context, ForwardingContext forwarding, CancellationToken ct)
    {
        var body = BodyFor(leg, write, context, forwarding);
        var reply = await sources.SendAsync(leg.Registration, write.Method, write.RelativePath, body?.Content, body?.ContentType ?? "application/json", forwarding, ct);
        var attributes = leg.Attributes;
        if (reply.Succeeded)
            return new WritePart(leg.Registration.Id, attributes, null, null);
        if (reply.Status == 207 && reply.Body is { } partial && ReadUpdateResult(partial, context) is { } update)
            return new WritePart(leg.Registration.Id, attributes, null, update);
        return new WritePart(leg.Registration.Id, attributes, ErrorOf(leg.Registration, reply), null);
    }

    /// <summary>The entity with only <paramref name="attributes"/> (all of them when null).</summary>
    public static Entity? Only(Entity? fragment, IReadOnlyList<string>? attributes)
    {
        if (fragment is null || attributes is null)
            return fragment;
        var part = new Entity { Id = fragment.Id, Types = fragment.Types, Scopes = fragment.Scopes };
        foreach (var name in attributes)
        {
            if (fragment.Attributes.Get(name) is { } instances)
                part.Attributes.Set(name, instances);
        }
        return part;
    }

    /// <summary>The entity as a source is sent it, with <paramref name="atContext"/> (raw JSON) as its @context if given.</summary>
    public static byte[] Serialize(Entity entity, JsonLdContext context, bool withId, string? atContext = null)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var json = new Utf8JsonWriter(buffer))
            EntityWriter.For(context, Forwarded).WriteEntity(json, entity, withId: withId);
        if (atContext is null)
            return buffer.WrittenSpan.ToArray();
        var written = buffer.WrittenSpan[..^1];
        var separator = written.Length > 1 ? "," : "";
        return [.. written, .. Encoding.UTF8.GetBytes(separator + "\"@context\":" + atContext + "}")];
    }

    /// <summary>A source's 207 to an attribute operation (UpdateResult, clause 5.2.18), names expanded as the client meant them.</summary>
    private static UpdateResult? ReadUpdateResult(JsonElement body, JsonLdContext context)
    {
        if (body.ValueKind != JsonValueKind.Object || !body.TryGetProperty("notUpdated"u8, out var notUpdated) || notUpdated.ValueKind != JsonValueKind.Array)
            return null;
        var updated = new List<string>();
        if (body.TryGetProperty("updated"u8, out var names) && names.ValueKind == JsonValueKind.Array)
        {
            foreach (var name in names.EnumerateArray())
            {
                if (name.ValueKind == JsonValueKind.String)
                    updated.Add(context.ExpandTerm(name.GetString()!));
            }
        }
        var failed = new List<NotUpdated>();
        foreach (var item in notUpdated.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Object || !item.TryGetProperty("attributeName"u8, out var name) || name.ValueKind != JsonValueKind.String)
                continue;
            var reason = item.TryGetProperty("reason"u8, out var text) && text.ValueKind == JsonValueKind.String ? text.GetString()! : "not updated by the context source";
            failed.Add(new NotUpdated(context.ExpandTerm(name.GetString()!), reason));
        }
        return new UpdateResult(updated, failed);
    }

    /// <summary>The error a source answered (its ProblemDetails, or its status alone), or why it did not answer (503).</summary>
    public static NgsiLdException ErrorOf(ContextSourceRegistration registration, SourceReply reply)
    {
        if (reply.Status is not { } status)
            return new NgsiLdException(ErrorType.ServiceUnavailable, $"The context source of registration '{registration.Id}' did not take the write: {reply.Unreachable}.");
        string? type = null, title = null, detail = null;
        if (reply.Body is { ValueKind: JsonValueKind.Object } problem)
        {
            type = Text(problem, "type");
            title = Text(problem, "title");
            detail = Text(problem, "detail");
        }
        if (status == 207)
            status = 400;
        var errorType = new ErrorType(type ?? ErrorType.InternalError.Uri, status, title ?? $"Context source answered {status}");
        return new NgsiLdException(errorType, detail ?? $"The context source of registration '{registration.Id}' answered {reply.Status}.");
    }

    private static string? Text(JsonElement problem, string name) =>
        problem.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
