namespace Broker.Api.Http;

public static class MediaTypes
{
    public const string Json = "application/json";
    public const string JsonLd = "application/ld+json";
    public const string GeoJson = "application/geo+json";
    public const string MergePatch = "application/merge-patch+json";
    public const string JsonLdContextRel = "http://www.w3.org/ns/json-ld#context";
}
