using System.Collections.Frozen;
using System.Reflection;

namespace Broker.Explorer;

/// <summary>
/// The explorer (README: Explorer): a read-only page at /explorer that browses this broker through its own NGSI-LD API,
/// served from resources embedded in the assembly, so a deployment needs no files beside the broker.
/// </summary>
public static class ExplorerPages
{
    public const string Path = "/explorer";

    // Everything the page loads comes from this broker: no CDN, no map tiles, no inline script.
    private const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    private static readonly FrozenDictionary<string, string> ContentTypes = new Dictionary<string, string>
    {
        [".html"] = "text/html; charset=utf-8",
        [".js"] = "text/javascript; charset=utf-8",
        [".css"] = "text/css; charset=utf-8",
    }.ToFrozenDictionary();

    /// <summary>Maps /explorer when Explorer:Enabled is true; otherwise the broker has no such resource.</summary>
    public static void MapExplorerWhenEnabled(this WebApplication app)
    {
        var options = app.Configuration.GetSection("Explorer").Get<ExplorerOptions>() ?? new ExplorerOptions();
        if (!options.Enabled)
            return;
        var pages = LoadPages();
        app.MapGet(Path + "/{file?}", (string? file, HttpContext http) =>
        {
            // The page's own files are named relative to /explorer/.
            if (file is null && !http.Request.Path.Value!.EndsWith('/'))
                return Results.Redirect(Path + "/" + http.Request.QueryString);
            if (!pages.TryGetValue(file ?? "index.html", out var page))
                return Results.NotFound();
            http.Response.Headers.ContentSecurityPolicy = ContentSecurityPolicy;
            http.Response.Headers.XContentTypeOptions = "nosniff";
            http.Response.Headers.CacheControl = "no-cache";
            return TypedResults.Bytes(page.Content, page.ContentType);
        });
    }

    /// <summary>The embedded files of Explorer/Pages by file name (the project embeds them with LogicalName = the file name).</summary>
    private static FrozenDictionary<string, ExplorerPage> LoadPages()
    {
        var assembly = typeof(ExplorerPages).Assembly;
        var pages = new Dictionary<string, ExplorerPage>(StringComparer.Ordinal);
        const string prefix = "Explorer/";
        foreach (var name in assembly.GetManifestResourceNames())
        {
            if (!name.StartsWith(prefix, StringComparison.Ordinal))
                continue;
            var fileName = name[prefix.Length..];
            if (!ContentTypes.TryGetValue(System.IO.Path.GetExtension(fileName), out var contentType))
                continue;
            pages[fileName] = new ExplorerPage(ReadResource(assembly, name), contentType);
        }
        return pages.Count > 0 ? pages.ToFrozenDictionary() : throw new InvalidOperationException("The explorer's pages are not embedded in the broker assembly.");
    }

    private static byte[] ReadResource(Assembly assembly, string name)
    {
        using var stream = assembly.GetManifestResourceStream(name)!;
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    private sealed record ExplorerPage(byte[] Content, string ContentType);
}
