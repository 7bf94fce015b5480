using System.Net.Http.Headers;
using System.Text;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Broker.StoreTests;

/// <summary>A broker in process on the given store: Postgres with a connection string, Embedded without; with optional settings.</summary>
public sealed class TestBroker(string? postgresConnectionString, IReadOnlyDictionary<string, string>? settings = null) : WebApplicationFactory<Program>
{
    private readonly string _dataPath = Path.Combine(Path.GetTempPath(), "ngsi-store-" + Guid.NewGuid().ToString("N"));

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        if (postgresConnectionString is null)
        {
            builder.UseSetting("Storage:Provider", "Embedded");
            builder.UseSetting("Storage:DataPath", _dataPath);
        }
        else
        {
            builder.UseSetting("Storage:Provider", "Postgres");
            builder.UseSetting("ConnectionStrings:Postgres", postgresConnectionString);
        }
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
            builder.UseSetting(key, value);
    }

    public static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    public HttpClient Client(string? tenant = null)
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        if (tenant is not null)
            client.DefaultRequestHeaders.Add("NGSILD-Tenant", tenant);
        return client;
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (Directory.Exists(_dataPath))
            Directory.Delete(_dataPath, recursive: true);
    }
}
