using OpenDataPortal.Hosting;

var builder = WebApplication.CreateBuilder(args);
builder.WebHost.UseSetting(WebHostDefaults.ServerUrlsKey, builder.Configuration["urls"] ?? builder.Configuration["ASPNETCORE_URLS"] ?? "http://localhost:8090");
builder.AddPortal();

var app = builder.Build();
app.MapPortalApi();
app.Run();
