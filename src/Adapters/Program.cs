using Adapters.Parking;
using Adapters.Traffic;

var builder = WebApplication.CreateBuilder(args);
// sources
builder.Services.AddParking(builder.Configuration);
builder.Services.AddTraffic(builder.Configuration);

var app = builder.Build();
app.MapGet("/health", () => Results.Ok(new { status = "ok" }));
// sources
app.MapParking();
app.MapTraffic();
app.Run();

public partial class Program;
