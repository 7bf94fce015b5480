using System.Collections.Concurrent;
using System.Text.Json;
using System.Threading.Channels;
using Broker.Storage;
using Microsoft.Extensions.Logging;
using Ontology.JsonLd;

namespace Broker.Subscriptions.Delivery;

/// <summary>
/// What the delivery lanes share: the senders, a concurrency limit per endpoint, the @context resolver, and the writer
/// of delivery reports, which collects the outcomes of all lanes and stores them a batch at a time.
/// </summary>
internal sealed partial class DeliveryServices : IAsyncDisposable
{
    private readonly IReadOnlyList<INotificationSender> _senders;
    private readonly ContextResolver _resolver;
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _endpoints = new(StringComparer.Ordinal);
    private readonly Channel<DeliveryReport> _reports = Channel.CreateUnbounded<DeliveryReport>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _reportWriter;

    public DeliveryServices(NotificationOptions options, TimeProvider clock, ILogger logger, ISubscriptionStore subscriptions, IChangeFeed feed,
        IReadOnlyList<INotificationSender> senders, ContextResolver resolver)
    {
        Options = options;
        Clock = clock;
        Logger = logger;
        Subscriptions = subscriptions;
        Feed = feed;
        _senders = senders;
        _resolver = resolver;
        _reportWriter = Task.Run(WriteReportsAsync);
    }

    public NotificationOptions Options { get; }

    public TimeProvider Clock { get; }

    public ILogger Logger { get; }

    public ISubscriptionStore Subscriptions { get; }

    public IChangeFeed Feed { get; }

    public INotificationSender? SenderFor(Uri endpoint)
    {
        foreach (var sender in _senders)
        {
            if (sender.Handles(endpoint))
                return sender;
        }
        return null;
    }

    /// <summary>Waits for a turn at the endpoint (scheme, host and port); disposing the result ends the turn.</summary>
    public async Task<IDisposable> EnterEndpointAsync(Uri endpoint, CancellationToken cancellationToken)
    {
        var key = endpoint.Scheme + "://" + endpoint.Authority;
        var turn = _endpoints.GetOrAdd(key, _ => new SemaphoreSlim(Options.MaxConcurrencyPerEndpoint, Options.MaxConcurrencyPerEndpoint));
        await turn.WaitAsync(cancellationToken).ConfigureAwait(false);
        return new Turn(turn);
    }

    private sealed class Turn(SemaphoreSlim semaphore) : IDisposable
    {
        private SemaphoreSlim? _semaphore = semaphore;

        public void Dispose() => Interlocked.Exchange(ref _semaphore, null)?.Release();
    }

    /// <summary>The @context notifications of the subscription are compacted with: jsonldContext, or the subscription's own.</summary>
    public async Task<JsonLdContext> ResolveContextAsync(Subscription subscription, CancellationToken cancellationToken)
    {
        if (subscription.JsonldContext is { } url)
            return await _resolver.ResolveAsync(null, url, cancellationToken).ConfigureAwait(false);
        return subscription.Context switch
        {
            null => JsonLdContext.Core,
            System.Text.Json.Nodes.JsonValue value when value.GetValueKind() == JsonValueKind.String =>
                await _resolver.ResolveAsync(null, value.GetValue<string>(), cancellationToken).ConfigureAwait(false),
            var inline => await _resolver.ResolveAsync(JsonSerializer.SerializeToElement(inline, Broker.Api.Http.JsonNodeContext.Default.JsonNode), null, cancellationToken).ConfigureAwait(false),
        };
    }

    public void Report(DeliveryReport report) => _reports.Writer.TryWrite(report);

    /// <summary>Stores reports as they come, whatever queued meanwhile in one transaction; a failed write is tried again.</summary>
    private async Task WriteReportsAsync()
    {
        var batch = new List<DeliveryReport>();
        while (await _reports.Reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (batch.Count < 512 && _reports.Reader.TryRead(out var report))
                batch.Add(report);
            while (true)
            {
                try
                {
                    await Subscriptions.CompleteAsync(batch, CancellationToken.None).ConfigureAwait(false);
                    break;
                }
                catch (Exception e) when (e is StoreUnavailableException or IOException or Microsoft.Data.Sqlite.SqliteException)
                {
                    LogReportsFailed(Logger, e, batch.Count);
                    await Task.Delay(TimeSpan.FromSeconds(1)).ConfigureAwait(false);
                }
                catch (Exception e) when (e is ObjectDisposedException or InvalidOperationException)
                {
                    // The store closed (shutdown): the outbox keeps what was not reported, and it is delivered again.
                    LogReportsFailed(Logger, e, batch.Count);
                    break;
                }
            }
            batch.Clear();
        }
    }

    /// <summary>Stores what is still queued.</summary>
    public async ValueTask DisposeAsync()
    {
        _reports.Writer.TryComplete();
        await _reportWriter.ConfigureAwait(false);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Storing {Count} delivery reports failed; trying again")]
    private static partial void LogReportsFailed(ILogger logger, Exception exception, int count);
}
