using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using OpenDataPortal;
using OpenDataPortal.Ckan;
using Tests.Shared;
using Xunit;

namespace Samples.Tests;

/// <summary>The CKAN push against a local recorder that answers like CKAN's action API and remembers every request.</summary>
public sealed class CkanPushTests : IAsyncLifetime
{
    private readonly List<(string Action, string? Authorization, JsonObject? Body)> _requests = [];
    private readonly HashSet<string> _packages = [];
    private WebApplication _recorder = null!;
    private Uri _url = null!;

    public async Task InitializeAsync()
    {
        _url = new Uri($"http://127.0.0.1:{ServiceProcess.FreePort()}/");
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls(_url.ToString());
        _recorder = builder.Build();
        _recorder.MapMethods("/api/3/action/{action}", ["GET", "POST"], async (string action, HttpRequest request) =>
        {
            var body = request.ContentLength > 0 ? (await JsonNode.ParseAsync(request.Body))!.AsObject() : null;
            lock (_requests)
                _requests.Add((action, request.Headers.Authorization.ToString(), body));
            var name = action == "package_show" ? request.Query["id"].ToString() : body?["name"]?.GetValue<string>() ?? "";
            lock (_packages)
            {
                if (action == "package_show" && !_packages.Contains(name))
                    return Results.Json(new { success = false, error = new { message = "Not found" } }, statusCode: 404);
                if (action == "package_create")
                    _packages.Add(name);
            }
            return Results.Json(new { success = true, result = body });
        });
        await _recorder.StartAsync();
    }

    public async Task DisposeAsync() => await _recorder.DisposeAsync();

    private CkanClient Client(CkanOptions options) => new(new HttpClient(), options);

    [Fact]
    public async Task A_new_package_is_created_and_an_existing_one_updated_with_the_api_token()
    {
        var options = new CkanOptions { Url = _url, ApiToken = "token-123", Organization = "hansestadt-luebeck" };
        var parking = DatasetDefinition.Defaults()[0];
        var package = CkanPackage.From(PortalFiles.Portal, options, parking, [new DateOnly(2026, 12, 3)]);

        Assert.Equal("package_create", await Client(options).PushAsync(package, CancellationToken.None));
        Assert.Equal("package_update", await Client(options).PushAsync(package, CancellationToken.None));

        Assert.Equal(["package_show", "package_create", "package_show", "package_update"], _requests.Select(r => r.Action));
        Assert.All(_requests, r => Assert.Equal("token-123", r.Authorization));
        var created = _requests[1].Body!;
        Assert.Equal("luebeck-parking", created["name"]!.GetValue<string>());
        Assert.Equal("hansestadt-luebeck", created["owner_org"]!.GetValue<string>());
        Assert.Equal("dl-by-de/2.0", created["license_id"]!.GetValue<string>());
        Assert.Equal(
            ["https://opendata.luebeck.example/datasets/parking.geojson", "https://opendata.luebeck.example/datasets/parking.jsonld",
             "https://opendata.luebeck.example/datasets/parking/history/2026-12-03.csv"],
            created["resources"]!.AsArray().Select(r => r!["url"]!.GetValue<string>()));
    }

    [Fact]
    public async Task A_refusal_of_ckan_is_an_error_naming_its_answer()
    {
        var options = new CkanOptions { Url = new Uri(_url, "nowhere/") };
        var package = CkanPackage.From(PortalFiles.Portal, options, DatasetDefinition.Defaults()[0], []);
        var error = await Assert.ThrowsAsync<CkanException>(() => Client(options).PushAsync(package, CancellationToken.None));
        Assert.Contains(((int)HttpStatusCode.NotFound).ToString(System.Globalization.CultureInfo.InvariantCulture), error.Message, StringComparison.Ordinal);
    }
}
