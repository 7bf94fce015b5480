using Adapters.Parking;

var builder = WebApplication.CreateBuilder(args);
// sources
builder.Services.AddParking(builder.Configuration);

var app = builder.Build();
app.MapGet("/health", () => Results.Ok(new { status = "ok" }));
// sources
app.MapParking();
app.Run();

public partial class Program;
