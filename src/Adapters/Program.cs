using Adapters.LoRaWan;

var builder = WebApplication.CreateBuilder(args);
builder.Services.AddLoRaWan(builder.Configuration);
var app = builder.Build();
app.MapGet("/health", () => Results.Ok(new { status = "ok" }));
app.MapLoRaWan();
app.Run();

public partial class Program;
