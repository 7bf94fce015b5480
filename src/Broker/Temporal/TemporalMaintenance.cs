using Broker.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Broker.Temporal;

/// <summary>
/// Housekeeping of the history, at start-up and every <see cref="TemporalOptions.MaintenanceInterval"/>: partitions
/// ahead of time (PostgreSQL), and the retention period (instances older than <see cref="TemporalOptions.Retention"/> go).
/// </summary>
public sealed partial class TemporalMaintenance(ITemporalStore store, TemporalOptions options, TimeProvider clock, ILogger<TemporalMaintenance> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await RunOnceAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                LogMaintenanceFailed(logger, e);
            }
            try
            {
                await Task.Delay(options.MaintenanceInterval, clock, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    public async Task RunOnceAsync(CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        await store.MaintainAsync(now, cancellationToken).ConfigureAwait(false);
        if (options.Retention is { } retention)
        {
            var dropped = await store.DropBeforeAsync(now - retention, cancellationToken).ConfigureAwait(false);
            if (dropped > 0)
                LogDropped(logger, dropped, retention);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Temporal history housekeeping failed; it runs again later")]
    private static partial void LogMaintenanceFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Dropped {Count} attribute instances older than the retention period {Retention}")]
    private static partial void LogDropped(ILogger logger, long count, TimeSpan retention);
}
