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
    public static async Task<Results<Accepted<SinkOutcome>, ProblemHttpResult>> ReceiveAsync(
        HttpRequest request, string source, Func<string, IReadOnlyList<AdapterEntity>> translate, IEntitySink sink, CancellationToken cancellationToken,
        Func<IReadOnlyList<AdapterEntity>, IReadOnlyList<AdapterEntity>>? alsoSubmit = null)
    {
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
        var derived = alsoSubmit?.Invoke(entities) ?? [];
        var outcome = await sink.SubmitAsync(source, body, derived.Count == 0 ? entities : [.. entities, .. derived], cancellationToken);
        return TypedResults.Accepted((string?)null, outcome);
    }
}
