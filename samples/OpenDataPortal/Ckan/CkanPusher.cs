using OpenDataPortal.Hosting;
using OpenDataPortal.Publishing;

namespace OpenDataPortal.Ckan;

/// <summary>With Ckan:Url set, pushes every dataset to CKAN once the portal has started, then every Ckan:PushInterval.</summary>
public sealed class CkanPusher(CkanClient ckan, CkanOptions options, PortalService portalService, DatasetCatalog catalog, PortalOptions portal, ILogger<CkanPusher> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!portalService.IsReady)
            await Task.Delay(TimeSpan.FromMilliseconds(200), stoppingToken);
        using var timer = new PeriodicTimer(options.PushInterval);
        do
        {
            await PushAllAsync(stoppingToken);
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    private async Task PushAllAsync(CancellationToken cancellationToken)
    {
        foreach (var dataset in catalog.Definitions)
        {
            try
            {
                var action = await ckan.PushAsync(CkanPackage.From(portal, options, dataset, catalog.Days(dataset.Name)), cancellationToken);
                logger.LogInformation("CKAN: {Action} {Dataset}", action, dataset.Name);
            }
            catch (Exception e) when (e is HttpRequestException or CkanException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
                logger.LogWarning("CKAN: could not push {Dataset}: {Reason}", dataset.Name, e.Message);
            }
        }
    }
}
