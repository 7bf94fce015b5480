using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace OpenDataPortal.Ckan;

/// <summary>
/// Creates or updates a package through CKAN's action API (POST /api/3/action/...): package_show tells whether it
/// exists, then package_update or package_create sends the whole package.
/// </summary>
public sealed class CkanClient(HttpClient http, CkanOptions options)
{
    /// <returns>the action used: package_create or package_update</returns>
    public async Task<string> PushAsync(JsonObject package, CancellationToken cancellationToken)
    {
        var name = package["name"]!.GetValue<string>();
        string action;
        using (var shown = await SendAsync(HttpMethod.Get, $"package_show?id={Uri.EscapeDataString(name)}", null, cancellationToken))
        {
            action = shown.StatusCode switch
            {
                HttpStatusCode.OK => "package_update",
                HttpStatusCode.NotFound => "package_create",
                _ => throw new CkanException($"CKAN's package_show of {name} answered {(int)shown.StatusCode}: {await shown.Content.ReadAsStringAsync(cancellationToken)}"),
            };
        }
        using var pushed = await SendAsync(HttpMethod.Post, action, package, cancellationToken);
        var answer = await pushed.Content.ReadAsStringAsync(cancellationToken);
        var success = pushed.IsSuccessStatusCode && JsonNode.Parse(answer) is JsonObject result && result["success"] is JsonValue ok && ok.GetValue<bool>();
        return success ? action : throw new CkanException($"CKAN's {action} of {name} answered {(int)pushed.StatusCode}: {answer}");
    }

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string action, JsonObject? body, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, new Uri(options.Url!, "api/3/action/" + action));
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        if (!string.IsNullOrEmpty(options.ApiToken))
            request.Headers.TryAddWithoutValidation("Authorization", options.ApiToken);
        if (body is not null)
            request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        return await http.SendAsync(request, cancellationToken);
    }
}

public sealed class CkanException(string message) : Exception(message);
