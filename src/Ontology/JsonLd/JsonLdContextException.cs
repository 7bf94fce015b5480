namespace Ontology.JsonLd;

/// <summary>What went wrong with an @context (mapped by the HTTP layer to an NGSI-LD error type).</summary>
public enum JsonLdContextError
{
    /// <summary>The @context is malformed (JSON-LD 1.1 "invalid local context", "invalid term definition", ...): 400 BadRequestData.</summary>
    InvalidContext,

    /// <summary>A remote @context cannot be retrieved or is not a JSON-LD context document (NGSI-LD LdContextNotAvailable): 503.</summary>
    ContextNotAvailable,
}

/// <summary>An @context could not be processed; <see cref="Kind"/> says which NGSI-LD error to answer.</summary>
public sealed class JsonLdContextException : Exception
{
    public JsonLdContextException(JsonLdContextError kind, string message, Exception? innerException = null)
        : base(message, innerException) => Kind = kind;

    public JsonLdContextError Kind { get; }

    internal static JsonLdContextException Invalid(string message) => new(JsonLdContextError.InvalidContext, message);

    internal static JsonLdContextException NotAvailable(string url, string reason, Exception? inner = null) =>
        new(JsonLdContextError.ContextNotAvailable, $"The @context '{url}' is not available: {reason}", inner);
}
