using System.Text;

// The HTTP ceiling of the load tool: Kestrel answering every request with the same 300-byte JSON body, nothing else
// (no routing, no logging below Warning). Started by benchmarks/Load as `dotnet Ceiling.dll --urls http://127.0.0.1:port`.
var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.SetMinimumLevel(LogLevel.Warning);
builder.WebHost.UseSetting(WebHostDefaults.ServerUrlsKey, builder.Configuration["urls"] ?? "http://127.0.0.1:5099");
var app = builder.Build();

var body = FixedBody.Create(300);
app.Run(context =>
{
    context.Response.StatusCode = StatusCodes.Status200OK;
    context.Response.ContentType = "application/json";
    context.Response.ContentLength = body.Length;
    return context.Response.Body.WriteAsync(body).AsTask();
});
app.Run();

/// <summary>A JSON object padded to an exact size, shaped like a small NGSI-LD entity.</summary>
internal static class FixedBody
{
    public static byte[] Create(int size)
    {
        const string Head = """{"id":"urn:ngsi-ld:Sensor:ceiling","type":"Sensor","intensity":{"type":"Property","value":512},"name":{"type":"Property","value":" """;
        const string Tail = "\"}}";
        var padding = size - Encoding.UTF8.GetByteCount(Head) - Tail.Length;
        var text = Head + new string('x', padding) + Tail;
        return Encoding.UTF8.GetBytes(text);
    }
}
