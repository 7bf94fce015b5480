namespace OpenDataPortal.Hosting;

/// <summary>Runs the portal's start-up, again every few seconds while the broker cannot be reached or refuses.</summary>
public sealed class PortalStartup(PortalService portal, ILogger<PortalStartup> logger) : BackgroundService
{
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(5);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await portal.StartAsync(stoppingToken);
                return;
            }
            catch (Exception e) when (e is HttpRequestException or Broker.BrokerException or TaskCanceledException && !stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning("The portal could not start against the broker, trying again in {Delay}: {Reason}", RetryDelay, e.Message);
            }
            await Task.Delay(RetryDelay, stoppingToken);
        }
    }
}
