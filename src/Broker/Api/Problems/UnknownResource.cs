using Broker.Problems;

namespace Broker.Api.Problems;

/// <summary>Answers requests for resources the broker does not have, or methods a resource does not allow.</summary>
public static class UnknownResource
{
    public static Task Handle(HttpContext http)
    {
        var path = http.Request.Path.Value ?? "";
        if (path.StartsWith("/ngsi-ld/v1/", StringComparison.Ordinal))
        {
            var temporal = path.StartsWith("/ngsi-ld/v1/temporal/", StringComparison.Ordinal);
            if (path.Contains("//", StringComparison.Ordinal) || (path == "/ngsi-ld/v1/entities/" && !HttpMethods.IsGet(http.Request.Method) && !HttpMethods.IsPost(http.Request.Method)))
                return ProblemDetailsMiddleware.WriteAsync(http, ErrorType.BadRequestData, $"The path {path} has an empty segment where an id is expected.");
            var known = path.StartsWith("/ngsi-ld/v1/entities", StringComparison.Ordinal) || path.StartsWith("/ngsi-ld/v1/types", StringComparison.Ordinal)
                || path.StartsWith("/ngsi-ld/v1/attributes", StringComparison.Ordinal) || path.StartsWith("/ngsi-ld/v1/entityOperations", StringComparison.Ordinal)
                || path.StartsWith("/ngsi-ld/v1/jsonldContexts", StringComparison.Ordinal) || path.StartsWith("/ngsi-ld/v1/subscriptions", StringComparison.Ordinal)
                || path.StartsWith("/ngsi-ld/v1/csourceRegistrations", StringComparison.Ordinal)
                || path.StartsWith("/ngsi-ld/v1/csourceSubscriptions", StringComparison.Ordinal)
                || temporal;
            if (known)
            {
                http.Response.Headers.Allow = "GET, POST, PATCH, PUT, DELETE";
                return ProblemDetailsMiddleware.WriteAsync(http, new ErrorType("https://uri.etsi.org/ngsi-ld/errors/OperationNotSupported", 405, "Method not allowed"),
                    $"{http.Request.Method} is not allowed on {path}.");
            }
            return ProblemDetailsMiddleware.WriteAsync(http, new ErrorType("https://uri.etsi.org/ngsi-ld/errors/OperationNotSupported", 501, "Not implemented"),
                $"The resource {path} is not implemented by this broker yet.");
        }
        return ProblemDetailsMiddleware.WriteAsync(http, ErrorType.ResourceNotFound, $"There is no resource at {path}.");
    }
}
