using Broker.Security;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Broker.HttpTests.Security;

/// <summary>A broker that trusts <see cref="TestIdentityProvider"/>'s keys and one API key (write in tenant luebeck), with its audit log recorded.</summary>
public class SecuredBrokerFactory : BrokerFactory
{
    public SecuredBrokerFactory() : this(new TestIdentityProvider(), ApiKeys.NewKey(), [])
    {
    }

    protected SecuredBrokerFactory(Dictionary<string, string> extraSettings) : this(new TestIdentityProvider(), ApiKeys.NewKey(), extraSettings)
    {
    }

    private SecuredBrokerFactory(TestIdentityProvider identityProvider, string apiKey, Dictionary<string, string> extraSettings)
        : base(new Dictionary<string, string>(extraSettings)
        {
            ["Security:Jwt:JwksFile"] = identityProvider.JwksFile,
            ["Security:Jwt:Issuer"] = TestIdentityProvider.Issuer,
            ["Security:Jwt:Audience"] = TestIdentityProvider.Audience,
            ["Security:ApiKeys:0:Name"] = "lorawan-adapter",
            ["Security:ApiKeys:0:Sha256"] = ApiKeys.HashOf(apiKey),
            ["Security:ApiKeys:0:Roles:0"] = "write@luebeck",
            ["Security:ApiKeys:0:Roles:1"] = "read@luebeck",
        })
    {
        IdentityProvider = identityProvider;
        ApiKey = apiKey;
    }

    public TestIdentityProvider IdentityProvider { get; }

    public string ApiKey { get; }

    public RecordingLoggerProvider Audit { get; } = new(AuditLog.Category);

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureServices(services => services.AddSingleton<ILoggerProvider>(Audit));
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing)
            IdentityProvider.Dispose();
    }
}

/// <summary>The same broker, limited to 3 requests per client at once and 1 per second after that.</summary>
public sealed class RateLimitedBrokerFactory() : SecuredBrokerFactory(new Dictionary<string, string>
{
    ["Security:RateLimit:PermitsPerSecond"] = "1",
    ["Security:RateLimit:Burst"] = "3",
});
