using System.Net.Http.Headers;
using System.Text.Json;

namespace Ontology.JsonLd;

/// <summary>Limits for remote @context documents and for the caches of the <see cref="ContextResolver"/>.</summary>
public sealed record RemoteContextOptions
{
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(5);
    public long MaxDocumentBytes { get; init; } = 1024 * 1024;
    public TimeSpan TimeToLive { get; init; } = TimeSpan.FromHours(1);
    public int MaxCacheEntries { get; init; } = 1000;

    /// <summary>How deep remote contexts may reference other remote contexts (JSON-LD "context overflow").</summary>
    public int MaxRemoteDepth { get; init; } = 8;
}

/// <summary>Fetches a remote JSON-LD context document. Failures throw <see cref="JsonLdContextException"/> (ContextNotAvailable).</summary>
public interface IRemoteContextLoader
{
    ValueTask<JsonDocument> LoadAsync(Uri url, CancellationToken ct);
}

/// <summary>
/// Loads remote contexts over http(s), asking for application/ld+json or application/json, with a timeout and a size limit.
/// The content type of the answer is not enforced (raw.githubusercontent.com, used by the ETSI test suite, answers text/plain);
/// what is not JSON is rejected as not available.
/// </summary>
public sealed class HttpRemoteContextLoader(HttpClient client, RemoteContextOptions options) : IRemoteContextLoader
{
    public async ValueTask<JsonDocument> LoadAsync(Uri url, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(url);
        var text = url.ToString();
        if (!url.IsAbsoluteUri || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps))
            throw JsonLdContextException.NotAvailable(text, "only http and https URLs are fetched");
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(options.Timeout);
        try
        {
            using var response = await GetFollowingRedirectsAsync(url, timeout.Token).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
                throw JsonLdContextException.NotAvailable(text, $"HTTP status {(int)response.StatusCode}");
            if (response.Content.Headers.ContentLength > options.MaxDocumentBytes)
                throw JsonLdContextException.NotAvailable(text, $"larger than {options.MaxDocumentBytes} bytes");
            using var stream = await response.Content.ReadAsStreamAsync(timeout.Token).ConfigureAwait(false);
            using var buffer = new MemoryStream();
            var chunk = new byte[16 * 1024];
            int read;
            while ((read = await stream.ReadAsync(chunk, timeout.Token).ConfigureAwait(false)) > 0)
            {
                if (buffer.Length + read > options.MaxDocumentBytes)
                    throw JsonLdContextException.NotAvailable(text, $"larger than {options.MaxDocumentBytes} bytes");
                buffer.Write(chunk, 0, read);
            }
            return JsonDocument.Parse(buffer.ToArray());
        }
        catch (OperationCanceledException e) when (!ct.IsCancellationRequested)
        {
            throw JsonLdContextException.NotAvailable(text, $"no answer within {options.Timeout.TotalSeconds} s", e);
        }
        catch (HttpRequestException e)
        {
            throw JsonLdContextException.NotAvailable(text, e.Message, e);
        }
        catch (JsonException e)
        {
            throw JsonLdContextException.NotAvailable(text, "the document is not JSON", e);
        }
    }

    /// <summary>The most redirects followed (context URLs such as w3id.org and smartdatamodels.org redirect).</summary>
    private const int MaxRedirects = 5;

    /// <summary>
    /// GETs the document, following redirects here rather than in the handler, so that every hop is an http(s) URL and
    /// is connected to through the client's handler (which may judge the address).
    /// </summary>
    private async Task<HttpResponseMessage> GetFollowingRedirectsAsync(Uri url, CancellationToken ct)
    {
        for (var hop = 0; ; hop++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, url);
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/ld+json"));
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json", 0.9));
            var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
            if ((int)response.StatusCode is not (301 or 302 or 303 or 307 or 308) || response.Headers.Location is not { } location)
                return response;
            response.Dispose();
            var next = location.IsAbsoluteUri ? location : new Uri(url, location);
            if (hop == MaxRedirects || (next.Scheme != Uri.UriSchemeHttp && next.Scheme != Uri.UriSchemeHttps))
                throw new HttpRequestException(hop == MaxRedirects ? $"more than {MaxRedirects} redirects" : $"redirected to a {next.Scheme} URL");
            url = next;
        }
    }
}

/// <summary>
/// A remote @context document in the cache of the <see cref="ContextResolver"/> (an NGSI-LD "Cached" @context, clause 5.13):
/// when it was fetched, when it expires, and how often and when last a request used it.
/// </summary>
public sealed record CachedContextDocument(string Url, JsonElement Document, DateTimeOffset FetchedAt, DateTimeOffset ExpiresAt, DateTimeOffset? LastUsedAt, long Hits);

/// <summary>
/// @context documents the application holds itself (NGSI-LD "Hosted" @contexts, clause 5.13.2), served to the
/// <see cref="ContextResolver"/> by URL without an HTTP round trip and never put in its cache of remote documents.
/// </summary>
public interface ILocalContextDocuments
{
    /// <summary>The document (an object with an @context member) of <paramref name="url"/>, or null when the URL is not one of them.</summary>
    JsonElement? Find(string url);

    /// <summary>Counts a use of the document by a request; false when it is no longer held (the resolver then processes the @context again).</summary>
    bool RecordUse(string url);
}
