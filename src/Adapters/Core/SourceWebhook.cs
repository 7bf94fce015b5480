using Microsoft.AspNetCore.Http.HttpResults;

namespace Adapters.Core;

/// <summary>What every source's webhook does alike: read the record, translate it, submit it or reject it with a 400.</summary>
public static class SourceWebhook
{
    /// <summary>Registers a source's section of the mapping file, bound when first resolved (so configuration sources added before the host is built are seen).</summary>
    public static IServiceCollection AddSourceMapping<TMapping>(this IServiceCollection services, IConfiguration configuration, string sectionName)
        where TMapping : class, ISourceMapping, new()
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddSingleton(_ => configuration.GetSection(sectionName).Get<TMapping>() ?? new TMapping());
        services.AddSingleton<ISourceMapping>(provider => provider.GetRequiredService<TMapping>());
        services.AddSingleton(new SourceMappingSection(sectionName, typeof(TMapping)));
        return services;
    }

    public static async Task<string> ReadBodyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        using var reader = new StreamReader(request.Body);
        return await reader.ReadToEndAsync(cancellationToken);
    }

    /// <summary>The 400 (application/problem+json) for a record its source format does not allow.</summary>
    public static ProblemHttpResult Malformed(string title, string detail) =>
        TypedResults.Problem(title: title, detail: detail, statusCode: StatusCodes.Status400BadRequest);

    /// <summary>
    /// Translates the request's body: its entities (and those <paramref name="alsoSubmit"/> derives from them) are
    /// submitted (202 with the outcome); a malformed record is rejected into the dead letters (400).
    /// </summary>
    public static Task<Results<Accepted<SinkOutcome>, ProblemHttpResult>> ReceiveAsync(
        HttpRequest request, string source, Func<string, IReadOnlyList<AdapterEntity>> translate, IEntitySink sink, CancellationToken cancellationToken,
        Func<IReadOnlyList<AdapterEntity>, IReadOnlyList<AdapterEntity>>? alsoSubmit = null) =>
        ReceiveAsync(request, source, translate, static (entities, _) => Task.FromResult(new PreparedEntities(entities, [])), sink, cancellationToken, alsoSubmit);

    /// <summary>
    /// Translates the request's body and lets <paramref name="prepare"/> complete the entities with what the source
    /// must look up first (e.g. what the broker holds): the prepared entities (and those <paramref name="alsoSubmit"/>
    /// derives from them) are submitted; those it held back are kept in the dead letters with the record and its
    /// reason, and are in the outcome's dead-lettered entities (202); a malformed record is rejected (400).
    /// </summary>
    public static async Task<Results<Accepted<SinkOutcome>, ProblemHttpResult>> ReceiveAsync(
        HttpRequest request, string source, Func<string, IReadOnlyList<AdapterEntity>> translate,
        Func<IReadOnlyList<AdapterEntity>, CancellationToken, Task<PreparedEntities>> prepare, IEntitySink sink, CancellationToken cancellationToken,
        Func<IReadOnlyList<AdapterEntity>, IReadOnlyList<AdapterEntity>>? alsoSubmit = null)
    {
        ArgumentNullException.ThrowIfNull(prepare);
        var body = await ReadBodyAsync(request, cancellationToken);
        IReadOnlyList<AdapterEntity> entities;
        try
        {
            entities = translate(body);
        }
        catch (MalformedSourceException e)
        {
            await sink.RejectAsync(source, body, e.Message, cancellationToken);
            return Malformed("Malformed source record", e.Message);
        }
        var prepared = await prepare(entities, cancellationToken);
        foreach (var heldBack in prepared.HeldBack.GroupBy(entity => entity.Reason, StringComparer.Ordinal))
        {
            var ids = heldBack.Select(entity => entity.EntityId).ToList();
            await sink.RejectAsync(source, body, $"{ids.Count} entit{(ids.Count == 1 ? "y" : "ies")} not sent ({string.Join(", ", ids)}): {heldBack.Key}", cancellationToken);
        }
        var derived = alsoSubmit?.Invoke(prepared.Entities) ?? [];
        var outcome = await sink.SubmitAsync(source, body, derived.Count == 0 ? prepared.Entities : [.. prepared.Entities, .. derived], cancellationToken);
        if (prepared.HeldBack.Count > 0)
            outcome = outcome with { DeadLettered = [.. prepared.HeldBack, .. outcome.DeadLettered] };
        return TypedResults.Accepted((string?)null, outcome);
    }
}

/// <summary>The entities of a record ready for the sink, and those a source holds back from the broker, each with the reason.</summary>
public sealed record PreparedEntities(IReadOnlyList<AdapterEntity> Entities, IReadOnlyList<DeadLetteredEntity> HeldBack);
