using Adapters.LoRaWan;
using Adapters.Museums;
using Adapters.Parking;
using Adapters.Traffic;

var builder = WebApplication.CreateBuilder(LidoImportCommand.IsImport(args) ? [] : args);
// sources
builder.Services.AddLoRaWan(builder.Configuration);
builder.Services.AddMuseums(builder.Configuration);
builder.Services.AddParking(builder.Configuration);
builder.Services.AddTraffic(builder.Configuration);

var app = builder.Build();
app.MapGet("/health", () => Results.Ok(new { status = "ok" }));
// sources
app.MapLoRaWan();
app.MapMuseums();
app.MapParking();
app.MapTraffic();
if (LidoImportCommand.IsImport(args))
    return await LidoImportCommand.RunAsync(app.Services, args);
app.Run();
return 0;

public partial class Program;
