using MeinLuebeck;

var builder = WebApplication.CreateBuilder(args);
builder.WebHost.UseSetting(WebHostDefaults.ServerUrlsKey, builder.Configuration["urls"] ?? builder.Configuration["ASPNETCORE_URLS"] ?? "http://localhost:8091");
var broker = builder.Configuration.GetSection("Broker").Get<BrokerConnection>() ?? new BrokerConnection();
if (broker.Url is null || !broker.Url.IsAbsoluteUri)
    throw new InvalidOperationException("Broker:Url must be the broker's absolute base URL, e.g. http://localhost:1026.");
builder.Services.AddSingleton(broker);
builder.Services.AddSingleton(builder.Configuration.GetSection("App").Get<AppOptions>() ?? new AppOptions());
builder.Services.AddSingleton<ParkingBoard>();
builder.Services.AddHttpClient(nameof(ParkingSubscriber), http => http.Timeout = TimeSpan.FromSeconds(30));
builder.Services.AddSingleton(sp => ActivatorUtilities.CreateInstance<ParkingSubscriber>(sp, sp.GetRequiredService<IHttpClientFactory>().CreateClient(nameof(ParkingSubscriber))));
builder.Services.AddHostedService(sp => sp.GetRequiredService<ParkingSubscriber>());

var app = builder.Build();
// The page loads nothing from elsewhere: no CDN, no map tiles (the city's deployment may be offline).
app.Use((http, next) =>
{
    http.Response.Headers.ContentSecurityPolicy = "default-src 'self'; img-src 'self' data:; base-uri 'none'; frame-ancestors 'none'";
    return next(http);
});
app.UseDefaultFiles();
var contentTypes = new Microsoft.AspNetCore.StaticFiles.FileExtensionContentTypeProvider();
contentTypes.Mappings[".geojson"] = "application/geo+json";
app.UseStaticFiles(new StaticFileOptions { ContentTypeProvider = contentTypes });
app.MapParkingApi();
app.Run();
