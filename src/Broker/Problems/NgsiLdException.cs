namespace Broker.Problems;

/// <summary>The NGSI-LD error types of clause 6.3.2 with their HTTP status codes.</summary>
public sealed record ErrorType(string Uri, int Status, string Title)
{
    private const string Base = "https://uri.etsi.org/ngsi-ld/errors/";

    public static readonly ErrorType InvalidRequest = new(Base + "InvalidRequest", 400, "Invalid request");
    public static readonly ErrorType BadRequestData = new(Base + "BadRequestData", 400, "Bad request data");
    public static readonly ErrorType AlreadyExists = new(Base + "AlreadyExists", 409, "Already exists");
    public static readonly ErrorType OperationNotSupported = new(Base + "OperationNotSupported", 422, "Operation not supported");
    public static readonly ErrorType ResourceNotFound = new(Base + "ResourceNotFound", 404, "Resource not found");
    public static readonly ErrorType NonexistentTenant = new(Base + "NonexistentTenant", 404, "Tenant does not exist");
    public static readonly ErrorType InternalError = new(Base + "InternalError", 500, "Internal error");
    public static readonly ErrorType TooComplexQuery = new(Base + "TooComplexQuery", 403, "Query too complex");
    public static readonly ErrorType TooManyResults = new(Base + "TooManyResults", 403, "Too many results");
    public static readonly ErrorType LdContextNotAvailable = new(Base + "LdContextNotAvailable", 503, "@context not available");
    public static readonly ErrorType NotAcceptable = new(Base + "NotAcceptable", 406, "Not acceptable");
    public static readonly ErrorType UnsupportedMediaType = new(Base + "UnsupportedMediaType", 415, "Unsupported media type");
    public static readonly ErrorType PayloadTooLarge = new(Base + "BadRequestData", 413, "Payload too large");
    public static readonly ErrorType NotImplemented = new(Base + "OperationNotSupported", 501, "Not implemented");
    public static readonly ErrorType ServiceUnavailable = new(Base + "InternalError", 503, "Service unavailable");

    /// <summary>
    /// A write that lost to concurrent writers every time it was tried. NGSI-LD defines no type for it, and its 409 means
    /// that something already exists; this is a transient condition the client may retry, as for an unreachable store.
    /// </summary>
    public static readonly ErrorType Contended = new(Base + "InternalError", 503, "Contended");

    /// <summary>The client's credentials do not allow the request (NGSI-LD defines no type for it).</summary>
    public static readonly ErrorType Forbidden = new("about:blank", 403, "Forbidden");
}

/// <summary>The one exception type of the broker: an NGSI-LD error, turned into ProblemDetails by one handler.</summary>
public sealed class NgsiLdException(ErrorType type, string detail) : Exception(detail)
{
    public ErrorType Type { get; } = type;

    public string Detail => Message;

    public static NgsiLdException BadRequestData(string detail) => new(ErrorType.BadRequestData, detail);

    public static NgsiLdException InvalidRequest(string detail) => new(ErrorType.InvalidRequest, detail);

    public static NgsiLdException NotFound(string detail) => new(ErrorType.ResourceNotFound, detail);
}
