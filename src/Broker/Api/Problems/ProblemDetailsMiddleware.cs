using System.Text.Json;
using Broker.Problems;
using Broker.Storage;

namespace Broker.Api.Problems;

/// <summary>
/// Turns every error into an NGSI-LD ProblemDetails (clause 6.3.2): the error type URI, a title, the status and a
/// detail that says what was wrong. A failure that no client caused is a 500 that never shows an exception message.
/// </summary>
public sealed partial class ProblemDetailsMiddleware(RequestDelegate next, ILogger<ProblemDetailsMiddleware> logger)
{
    public async Task InvokeAsync(HttpContext http)
    {
        try
        {
            await next(http);
        }
        catch (NgsiLdException e)
        {
            await WriteAsync(http, e.Type, e.Detail);
        }
        catch (Exception e) when (e is Query.Evaluation.QueryTimeoutException or System.Text.RegularExpressions.RegexMatchTimeoutException)
        {
            await WriteAsync(http, ErrorType.TooComplexQuery, "A regular expression of the query ran longer than its time limit and was stopped; simplify the pattern.");
        }
        catch (StoreUnavailableException e)
        {
            LogStoreUnavailable(logger, e);
            await WriteAsync(http, ErrorType.ServiceUnavailable, "The store is not reachable at the moment; the request changed nothing and can be retried.");
        }
        catch (BadHttpRequestException e)
        {
            var type = e.StatusCode == StatusCodes.Status413PayloadTooLarge ? ErrorType.PayloadTooLarge : ErrorType.InvalidRequest;
            await WriteAsync(http, type, $"The HTTP request is malformed: {e.Message}");
        }
        catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
        {
            // The client went away; there is no one to answer.
        }
        catch (Exception e)
        {
            LogUnexpected(logger, e, http.Request.Method, http.Request.Path);
            await WriteAsync(http, ErrorType.InternalError, "The broker failed to process the request; the failure has been logged.");
        }
    }

    public static async Task WriteAsync(HttpContext http, ErrorType type, string detail, params (string Name, string Value)[] headers)
    {
        var response = http.Response;
        if (response.HasStarted)
            return;
        var allow = response.Headers.Allow;
        response.Clear();
        if (type.Status == StatusCodes.Status405MethodNotAllowed)
            response.Headers.Allow = allow;
        response.StatusCode = type.Status;
        foreach (var (name, value) in headers)
            response.Headers[name] = value;
        response.ContentType = "application/json";
        await using var json = new Utf8JsonWriter(response.Body, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        json.WriteStartObject();
        json.WriteString("type"u8, type.Uri);
        json.WriteString("title"u8, type.Title);
        json.WriteNumber("status"u8, type.Status);
        json.WriteString("detail"u8, detail);
        json.WriteEndObject();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Store unavailable")]
    private static partial void LogStoreUnavailable(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "Unexpected failure in {Method} {Path}")]
    private static partial void LogUnexpected(ILogger logger, Exception exception, string method, string path);
}
