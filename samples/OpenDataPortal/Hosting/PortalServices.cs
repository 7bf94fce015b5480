using OpenDataPortal.Broker;
using OpenDataPortal.Ckan;
using OpenDataPortal.Publishing;

namespace OpenDataPortal.Hosting;

/// <summary>The portal's services and their configuration (README: Open data portal). A missing or bad setting stops the start, naming it.</summary>
public static class PortalServices
{
    public static WebApplicationBuilder AddPortal(this WebApplicationBuilder builder)
    {
        var configuration = builder.Configuration;
        var services = builder.Services;
        var broker = configuration.GetSection("Broker").Get<BrokerConnection>() ?? new BrokerConnection();
        if (broker.Url is null || !broker.Url.IsAbsoluteUri)
            throw new InvalidOperationException("Broker:Url must be the broker's absolute base URL, e.g. http://localhost:1026.");
        var portal = configuration.GetSection("Portal").Get<PortalOptions>() ?? new PortalOptions();
        if (portal.Datasets.Count == 0)
            portal.Datasets = DatasetDefinition.Defaults();
        foreach (var dataset in portal.Datasets)
        {
            if (dataset.Name.Length == 0 || !dataset.Name.All(c => c is >= 'a' and <= 'z' or >= '0' and <= '9' or '-'))
                throw new InvalidOperationException($"Portal:Datasets: the name \"{dataset.Name}\" is not lower-case letters, digits and '-'.");
            if (dataset.EntityTypes.Count == 0)
                throw new InvalidOperationException($"Portal:Datasets: {dataset.Name} names no entity types.");
        }
        var timeZone = TimeZoneInfo.TryFindSystemTimeZoneById(portal.TimeZone, out var zone)
            ? zone
            : throw new InvalidOperationException($"Portal:TimeZone: {portal.TimeZone} is not a time zone of this system.");
        if (portal.HistoryDays < 1)
            throw new InvalidOperationException($"Portal:HistoryDays: {portal.HistoryDays} is not a number of days (1 or more); 1 holds today only.");
        if (portal.MaxHistoryAgeDays < portal.HistoryDays - 1)
            throw new InvalidOperationException($"Portal:MaxHistoryAgeDays: {portal.MaxHistoryAgeDays} is less than the {portal.HistoryDays - 1} past days Portal:HistoryDays holds.");
        if (portal.PastDaysCached < 1)
            throw new InvalidOperationException($"Portal:PastDaysCached: {portal.PastDaysCached} is not a number of days (1 or more).");
        if (broker.PageSize is < 1 or > 1000)
            throw new InvalidOperationException($"Broker:PageSize: {broker.PageSize} is not between 1 and 1000 (the most an NGSI-LD broker usually gives at once).");
        var privacy = configuration.GetSection("Privacy").Get<PrivacyOptions>() ?? new PrivacyOptions();
        var ckan = configuration.GetSection("Ckan").Get<CkanOptions>() ?? new CkanOptions();

        services.AddSingleton(broker);
        services.AddSingleton(portal);
        services.AddSingleton(privacy);
        services.AddSingleton(ckan);
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(new DatasetCatalog(portal.Datasets, new Redaction(privacy.DenyAttributes), timeZone, TimeProvider.System, portal.HistoryDays));
        services.AddHttpClient<BrokerClient>(http => http.Timeout = TimeSpan.FromSeconds(30));
        services.AddSingleton<PortalService>();
        services.AddSingleton<PastDays>();
        services.AddHostedService<PortalStartup>();
        if (ckan.Url is not null)
        {
            services.AddHttpClient<CkanClient>(http => http.Timeout = TimeSpan.FromSeconds(30));
            services.AddHostedService<CkanPusher>();
        }
        return builder;
    }
}
