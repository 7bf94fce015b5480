using System.Text.Json;
using System.Text.Json.Nodes;
using Broker.Api.Entities;
using Broker.Api.Http;
using Broker.Entities;
using Broker.Entities.Representation;
using Broker.Federation.Distributed;
using Broker.Problems;

namespace Broker.Api.Batch;

/// <summary>Batch entity operations (clause 6.14–6.18, 6.31): /entityOperations/create, upsert, update, delete, merge.</summary>
public static class BatchApi
{
    private static readonly HashSet<string> OptionsOnly = ["options", "local"];
    private static readonly HashSet<string> NoParameters = ["local"];

    public static void MapBatchApi(this IEndpointRouteBuilder routes)
    {
        var options = routes.ServiceProvider.GetRequiredService<BrokerOptions>();
        var group = routes.MapGroup("/ngsi-ld/v1/entityOperations")
            .AddEndpointFilter(new AdmissionLimit(options.MaxConcurrentBatches > 0 ? options.MaxConcurrentBatches : 2 * Environment.ProcessorCount));
        group.MapPost("/create", (HttpContext http, DistributedBatch batch) => Run(http, batch, BatchOperation.Create, "create", NoParameters));
        group.MapPost("/upsert", (HttpContext http, DistributedBatch batch) =>
        {
            var update = RequestParameters.HasOption(http.Request, "update");
            if (update && RequestParameters.HasOption(http.Request, "replace"))
                throw NgsiLdException.BadRequestData("options=update and options=replace exclude each other.");
            return Run(http, batch, update ? BatchOperation.UpsertUpdate : BatchOperation.Upsert, "upsert", OptionsOnly, "update", "replace");
        });
        group.MapPost("/update", (HttpContext http, DistributedBatch batch) =>
            Run(http, batch, RequestParameters.HasOption(http.Request, "noOverwrite") ? BatchOperation.UpdateNoOverwrite : BatchOperation.Update, "update", OptionsOnly, "noOverwrite"));
        group.MapPost("/merge", (HttpContext http, DistributedBatch batch) => Run(http, batch, BatchOperation.Merge, "merge", NoParameters));
        group.MapPost("/delete", (HttpContext http, DistributedBatch batch) => Run(http, batch, BatchOperation.Delete, "delete", NoParameters));
    }

    private static async Task Run(HttpContext http, DistributedBatch batch, BatchOperation operation, string resource, HashSet<string> parameters, params string[] allowedOptions)
    {
        RequestParameters.RejectUnknown(http.Request, parameters);
        var options = RequestParameters.List(http.Request, "options") ?? [];
        foreach (var option in options)
        {
            if (!allowedOptions.Contains(option))
                throw NgsiLdException.BadRequestData($"Unknown option '{option}' for this batch operation.");
        }
        var request = await NgsiRequest.ReadAsync(http, withBody: true);
        var elements = request.BodyElement;
        if (elements.ValueKind != JsonValueKind.Array)
            throw NgsiLdException.BadRequestData("A batch operation takes a JSON array.");
        if (elements.GetArrayLength() == 0)
            throw NgsiLdException.BadRequestData("The batch is empty.");

        var items = new List<BatchItem>(elements.GetArrayLength());
        foreach (var element in elements.EnumerateArray())
            items.Add(await ReadItemAsync(http, request, operation, element));
        var relativePath = "entityOperations/" + resource + (options.Count == 0 ? "" : "?options=" + Uri.EscapeDataString(string.Join(',', options)));
        var forwarding = Forwarding.OfWrite(http.Request, request);
        // The parts sent to sources carry the entities' @context (that of the first, as Forwarding took it) and are compacted
        // with it. When it cannot be had, the first entity already failed for it, and the parts are sent with full IRIs.
        var sentContext = request.Context;
        if (forwarding.BodyContext is not null && elements[0].TryGetProperty("@context"u8, out var firstContext))
        {
            try
            {
                sentContext = await NgsiRequest.ResolveContextAsync(http, EntityReader.Node(firstContext.Clone()), null);
            }
            catch (NgsiLdException e) when (e.Type == ErrorType.LdContextNotAvailable || e.Type == ErrorType.BadRequestData)
            {
                sentContext = request.Context;
            }
        }
        var result = await batch.ExecuteAsync(request.Tenant, operation, items, relativePath, sentContext, forwarding, http.RequestAborted);
        await WriteResultAsync(http, request, operation, result);
    }

    private static async Task<BatchItem> ReadItemAsync(HttpContext http, NgsiRequest request, BatchOperation operation, JsonElement element)
    {
        if (operation == BatchOperation.Delete)
        {
            if (element.ValueKind == JsonValueKind.String && element.GetString() is { } id)
            {
                return Uris.IsAbsoluteUri(id)
                    ? new BatchItem(id, null, null)
                    : new BatchItem(id, null, NgsiLdException.BadRequestData($"The entity id '{id}' is not a URI."));
            }
            return new BatchItem(null, null, NgsiLdException.BadRequestData("A batch delete takes an array of entity ids."));
        }
        var isObject = element.ValueKind == JsonValueKind.Object;
        var entityId = isObject && element.TryGetProperty("id"u8, out var idValue) && idValue.ValueKind == JsonValueKind.String ? idValue.GetString() : null;
        try
        {
            var context = request.Context;
            if (isObject)
            {
                var hasContext = element.TryGetProperty("@context"u8, out var elementContext) && elementContext.ValueKind != JsonValueKind.Null;
                if (request.IsJsonLdBody && !hasContext)
                    throw NgsiLdException.BadRequestData("With Content-Type application/ld+json every entity of a batch must carry an @context member.");
                if (!request.IsJsonLdBody && hasContext)
                    throw NgsiLdException.BadRequestData("An @context member is only allowed with Content-Type application/ld+json.");
                if (hasContext)
                    context = await NgsiRequest.ResolveContextAsync(http, EntityReader.Node(elementContext.Clone()), null);
            }
            var mode = operation is BatchOperation.Create or BatchOperation.Upsert or BatchOperation.UpsertUpdate ? ReadMode.Create : ReadMode.Fragment;
            var reader = new EntityReader(context, mode, allowNull: operation is BatchOperation.Merge or BatchOperation.Update or BatchOperation.UpdateNoOverwrite);
            var entity = reader.ReadEntity(element.Clone());
            return new BatchItem(entity.Id, entity, null);
        }
        catch (NgsiLdException e)
        {
            return new BatchItem(entityId, null, e);
        }
    }

    private static async Task WriteResultAsync(HttpContext http, NgsiRequest request, BatchOperation operation, BatchResult result)
    {
        if (result.Errors.Count == 0)
        {
            var listsIds = operation == BatchOperation.Create || (operation is BatchOperation.Upsert or BatchOperation.UpsertUpdate && result.Created.Count > 0);
            if (!listsIds)
            {
                http.Response.StatusCode = StatusCodes.Status204NoContent;
                return;
            }
            var ids = operation == BatchOperation.Create ? result.Success : result.Created;
            await NgsiResponse.WriteJsonAsync(http, request, StatusCodes.Status201Created, json =>
            {
                json.WriteStartArray();
                foreach (var id in ids)
                    json.WriteStringValue(id);
                json.WriteEndArray();
            });
            return;
        }
        await NgsiResponse.WriteJsonAsync(http, request, StatusCodes.Status207MultiStatus, json => WriteBatchResult(json, result));
    }

    private static void WriteBatchResult(Utf8JsonWriter json, BatchResult result)
    {
        json.WriteStartObject();
        json.WriteStartArray("success"u8);
        foreach (var id in result.Success)
            json.WriteStringValue(id);
        json.WriteEndArray();
        json.WriteStartArray("errors"u8);
        foreach (var error in result.Errors)
        {
            json.WriteStartObject();
            if (error.EntityId is not null)
                json.WriteString("entityId"u8, error.EntityId);
            if (error.RegistrationId is not null)
                json.WriteString("registrationId"u8, error.RegistrationId);
            json.WriteStartObject("error"u8);
            json.WriteString("type"u8, error.Error.Type.Uri);
            json.WriteString("title"u8, error.Error.Type.Title);
            json.WriteNumber("status"u8, error.Error.Type.Status);
            json.WriteString("detail"u8, error.Error.Detail);
            json.WriteEndObject();
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteEndObject();
    }
}
