using Broker.Api.Batch;
using Broker.Api.Contexts;
using Broker.Api.Discovery;
using Broker.Api.Entities;
using Broker.Api.Health;
using Broker.Api.Problems;
using Broker.Api.Registrations;
using Broker.Api.Subscriptions;
using Broker.Api.Temporal;
using Broker.Explorer;
using Broker.Hosting;
using Broker.Security;

if (args.Length > 0 && args[0] == "apikey")
    return ApiKeys.Issue(args, Console.Out, Console.Error);

var builder = WebApplication.CreateBuilder(args);
builder.WebHost.UseSetting(WebHostDefaults.ServerUrlsKey, builder.Configuration["urls"] ?? builder.Configuration["ASPNETCORE_URLS"] ?? "http://localhost:1026");
try
{
    builder.AddBrokerSecurity();
}
catch (StartupRefusedException e)
{
    Console.Error.WriteLine("The broker does not start: " + e.Message);
    return 1;
}
builder.AddBroker();

var app = builder.Build();
app.UseMiddleware<ProblemDetailsMiddleware>();
app.UseBrokerSecurity();
app.UseMiddleware<Broker.Api.Http.ReadTimeoutMiddleware>();
app.UseRouting();
app.MapHealthApi();
app.MapEntitiesApi();
app.MapDiscoveryApi();
app.MapBatchApi();
app.MapQueryPostApi();
app.MapContextsApi();
app.MapSubscriptionsApi();
app.MapRegistrationsApi();
app.MapCsourceSubscriptionsApi();
app.MapTemporalApi();
app.MapExplorerWhenEnabled();
// Every path, also one whose last segment looks like a file name (the default fallback pattern leaves those to a bare 404).
app.MapFallback("{**path}", UnknownResource.Handle);
app.Run();
return 0;

/// <summary>The entry point, visible to the HTTP tests' WebApplicationFactory.</summary>
public partial class Program;
