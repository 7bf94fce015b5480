using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Ontology.JsonLd;

namespace Broker.HttpTests;

/// <summary>
/// The real broker pipeline on a fresh data folder (deleted on dispose), with the remote @context loader replaced by
/// <see cref="StubContextLoader"/> so that no test reaches the network.
/// </summary>
public class BrokerFactory : WebApplicationFactory<Program>
{
    private readonly Dictionary<string, string> _settings;

    public BrokerFactory() : this([])
    {
    }

    protected BrokerFactory(Dictionary<string, string> settings)
    {
        _settings = settings;
        DataPath = Path.Combine(Path.GetTempPath(), "broker-httptests-" + Guid.NewGuid().ToString("N"));
    }

    public string DataPath { get; }

    public StubContextLoader ContextLoader { get; } = new();

    /// <summary>False keeps the broker's own HTTP loader, for the tests of unreachable context servers.</summary>
    protected virtual bool UseStubLoader => true;

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("Storage:DataPath", DataPath);
        foreach (var (key, value) in _settings)
            builder.UseSetting(key, value);
        if (!UseStubLoader)
            return;
        builder.ConfigureServices(services =>
        {
            services.RemoveAll<IRemoteContextLoader>();
            services.AddSingleton<IRemoteContextLoader>(ContextLoader);
        });
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing)
            DeleteDataFolder();
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        DeleteDataFolder();
        GC.SuppressFinalize(this);
    }

    private void DeleteDataFolder()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        if (Directory.Exists(DataPath))
            Directory.Delete(DataPath, recursive: true);
    }
}

/// <summary>A broker with small limits: 4 KiB bodies, JSON nesting of 8, at most 50 results a page.</summary>
public sealed class SmallLimitsBrokerFactory : BrokerFactory
{
    public const int MaxBodyBytes = 4096;
    public const int MaxJsonDepth = 8;
    public const int MaxLimit = 50;

    public SmallLimitsBrokerFactory() : base(new Dictionary<string, string>
    {
        ["Broker:MaxBodyBytes"] = MaxBodyBytes.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Broker:MaxJsonDepth"] = MaxJsonDepth.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Broker:MaxLimit"] = MaxLimit.ToString(System.Globalization.CultureInfo.InvariantCulture),
    })
    {
    }
}

/// <summary>A broker that fetches remote @context documents over HTTP as in production.</summary>
public sealed class HttpLoaderBrokerFactory : BrokerFactory
{
    protected override bool UseStubLoader => false;
}
