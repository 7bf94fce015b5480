using Adapters.Museums;

var builder = WebApplication.CreateBuilder(LidoImportCommand.IsImport(args) ? [] : args);
builder.Services.AddMuseums(builder.Configuration);
var app = builder.Build();
app.MapGet("/health", () => Results.Ok(new { status = "ok" }));
app.MapMuseums();
if (LidoImportCommand.IsImport(args))
    return await LidoImportCommand.RunAsync(app.Services, args);
app.Run();
return 0;

public partial class Program;
