using System.Buffers;
using System.Diagnostics;
using System.IO.Pipelines;
using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Benchmarks.Load;

/// <summary>
/// The endpoint that notifications of the load tool's subscriptions go to: Kestrel in the tool's own process on
/// 127.0.0.1 (a free port), answering every POST with 204 as soon as its body is read. It counts notifications and the
/// entities they carry, and hands each entity's <c>intensity</c> value (normalized format) to a callback with the moment
/// the request arrived, in <see cref="Stopwatch"/> ticks, the clock the clients stamp their requests with.
/// </summary>
public sealed class NotificationReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly Action<long, long> _onEntity;
    private long _notifications;
    private long _entities;

    private NotificationReceiver(WebApplication app, Action<long, long> onEntity)
    {
        _app = app;
        _onEntity = onEntity;
    }

    /// <summary>The URI to give subscriptions as their endpoint.</summary>
    public Uri Endpoint { get; private set; } = null!;

    public long Notifications => Interlocked.Read(ref _notifications);

    public long Entities => Interlocked.Read(ref _entities);

    /// <summary>Starts the receiver; <paramref name="onEntity"/> gets (intensity value, arrival timestamp) for every notified entity.</summary>
    public static async Task<NotificationReceiver> StartAsync(Action<long, long> onEntity, CancellationToken ct)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var receiver = new NotificationReceiver(app, onEntity);
        app.Run(receiver.ReceiveAsync);
        await app.StartAsync(ct).ConfigureAwait(false);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        receiver.Endpoint = new Uri(new Uri(address), "/notify");
        return receiver;
    }

    private async Task ReceiveAsync(HttpContext context)
    {
        var arrived = Stopwatch.GetTimestamp();
        var body = context.Request.BodyReader;
        ReadResult read;
        while (true)
        {
            read = await body.ReadAsync(context.RequestAborted).ConfigureAwait(false);
            if (read.IsCompleted || read.IsCanceled)
                break;
            body.AdvanceTo(read.Buffer.Start, read.Buffer.End);
        }
        try
        {
            Count(read.Buffer, arrived);
        }
        catch (JsonException)
        {
            // Not a notification: answered all the same, counted as nothing.
        }
        body.AdvanceTo(read.Buffer.End);
        context.Response.StatusCode = StatusCodes.Status204NoContent;
    }

    /// <summary>
    /// Walks the notification's tokens once: each object directly in <c>data</c> is an entity (depth 2), and the number in
    /// <c>value</c> of its <c>intensity</c> member (depth 3, then 4) is the sequence number of the update notified.
    /// </summary>
    private void Count(ReadOnlySequence<byte> body, long arrived)
    {
        var reader = new Utf8JsonReader(body);
        var inData = false;
        var inIntensity = false;
        long entities = 0;
        while (reader.Read())
        {
            switch (reader.TokenType)
            {
                case JsonTokenType.PropertyName when reader.CurrentDepth == 1:
                    inData = reader.ValueTextEquals("data"u8);
                    break;
                case JsonTokenType.StartObject when inData && reader.CurrentDepth == 2:
                    entities++;
                    break;
                case JsonTokenType.PropertyName when inData && reader.CurrentDepth == 3:
                    inIntensity = reader.ValueTextEquals("intensity"u8);
                    break;
                case JsonTokenType.PropertyName when inIntensity && reader.CurrentDepth == 4 && reader.ValueTextEquals("value"u8):
                    if (reader.Read() && reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var value))
                        _onEntity(value, arrived);
                    break;
                case JsonTokenType.EndObject when reader.CurrentDepth == 2:
                    inIntensity = false;
                    break;
            }
        }
        Interlocked.Increment(ref _notifications);
        Interlocked.Add(ref _entities, entities);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }
}
