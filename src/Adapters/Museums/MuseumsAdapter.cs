using Adapters.Core;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Adapters.Museums;

/// <summary>
/// The museum collections source: LIDO records by webhook (<c>POST /museums/lido</c>) or by the import command. The
/// positions of museums whose records carry none are the mapping file's "museums" section.
/// </summary>
public static class MuseumsAdapter
{
    public static IServiceCollection AddMuseums(this IServiceCollection services, IConfiguration configuration) =>
        services.AddSourceMapping<MuseumsMapping>(configuration, MuseumsMapping.SectionName);

    public static IEndpointRouteBuilder MapMuseums(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapPost("/museums/lido", ReceiveLido).Accepts<string>("application/xml", "text/xml");
        return endpoints;
    }

    public sealed record RecordProblem(int Position, string? LidoRecId, string Reason);

    public sealed record LidoAccepted(int Records, int Submitted, int Accepted, IReadOnlyList<RecordProblem> Problems);

    /// <summary>
    /// A LIDO document (lidoWrap or one lido): its records' entities in one submission, untranslatable records to the
    /// dead letters (202 with the problems listed); 400 if the document is not LIDO or no record translates.
    /// </summary>
    private static async Task<Results<Accepted<LidoAccepted>, ProblemHttpResult>> ReceiveLido(HttpRequest request, MuseumsMapping mapping, [FromServices] IEntitySink sink, CancellationToken cancellationToken)
    {
        var document = await SourceWebhook.ReadBodyAsync(request, cancellationToken);
        var batch = new LidoBatch();
        var problems = new List<(RecordProblem Problem, string Original)>();
        var records = 0;
        try
        {
            foreach (var record in LidoReader.Read(new StringReader(document)))
            {
                records++;
                try
                {
                    batch.Add(LidoTranslator.Translate(record.Element, record.WrapLanguage, mapping));
                }
                catch (MalformedSourceException e)
                {
                    problems.Add((new RecordProblem(record.Position, LidoTranslator.RecordId(record.Element), e.Message), record.Element.ToString()));
                }
            }
        }
        catch (MalformedSourceException e)
        {
            await sink.RejectAsync(LidoImport.Source, document, e.Message, cancellationToken);
            return SourceWebhook.Malformed("Malformed LIDO", e.Message);
        }
        foreach (var (problem, original) in problems)
            await sink.RejectAsync(LidoImport.Source, original, $"record {problem.Position}: {problem.Reason}", cancellationToken);
        if (batch.Objects == 0)
        {
            var detail = problems.Count == 0 ? "LIDO: the document has no lido:lido record" : string.Join("; ", problems.Select(p => $"record {p.Problem.Position}: {p.Problem.Reason}"));
            return SourceWebhook.Malformed("Malformed LIDO", detail);
        }
        var outcome = await sink.SubmitAsync(LidoImport.Source, document, batch.Entities(), cancellationToken);
        return TypedResults.Accepted((string?)null, new LidoAccepted(records, batch.Objects, outcome.Accepted, [.. problems.Select(p => p.Problem)]));
    }
}
