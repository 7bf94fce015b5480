using Adapters.Core;
using Adapters.LoRaWan;
using Adapters.Museums;
using Adapters.Parking;
using Adapters.Traffic;

var import = LidoImportCommand.IsImport(args);
var builder = WebApplication.CreateBuilder(import ? [] : args);
if (builder.Configuration[MappingFile.PathKey] is { Length: > 0 } mappingPath)
{
    try
    {
        builder.Configuration.AddMappingFile(mappingPath);
    }
    catch (MappingFileException e)
    {
        Console.Error.WriteLine(e.Message);
        return 1;
    }
}
// the NGSI-LD client, dead letters, the validating sink and the start-up check of the configuration
builder.Services.AddAdapterCore();
// An import stops when the broker is down and resumes later, rather than dead-letter every record of the files.
if (import)
    builder.Configuration[$"{EntitySinkOptions.SectionName}:{nameof(EntitySinkOptions.WhenBrokerUnavailable)}"] = EntitySinkOptions.Throw;
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
if (import)
{
    if (AdapterCore.Problems(app.Services) is { Count: > 0 } problems)
    {
        Console.Error.WriteLine(new InvalidAdapterConfigurationException(problems).Message);
        return 1;
    }
    return await LidoImportCommand.RunAsync(app.Services, args);
}
// The start-up check (a hosted service, first to start) stops the host, logging every problem, if the configuration has any.
await app.RunAsync();
return 0;

public partial class Program;
