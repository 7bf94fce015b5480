namespace Adapters.Core;

/// <summary>A source's section of the mapping file, as <see cref="SourceWebhook.AddSourceMapping{TMapping}"/> registered it.</summary>
public sealed record SourceMappingSection(string Name, Type MappingType);

/// <summary>The host cannot start: its mapping file or configuration has problems, all of them listed.</summary>
public sealed class InvalidAdapterConfigurationException(IReadOnlyList<string> problems)
    : Exception($"The adapter host does not start, its configuration has {problems.Count} problem(s):{Environment.NewLine}  " + string.Join(Environment.NewLine + "  ", problems))
{
    public IReadOnlyList<string> Problems { get; } = problems;
}

/// <summary>What every source shares: the NGSI-LD client, the dead-letter folder, the validating sink, the start-up check.</summary>
public static partial class AdapterCore
{
    public const string DeadLettersPathKey = "DeadLetters:Path";

    public static IServiceCollection AddAdapterCore(this IServiceCollection services)
    {
        services.AddHostedService<StartupCheck>();
        services.AddSingleton(provider => provider.GetRequiredService<IConfiguration>().GetSection(NgsiLdClientOptions.SectionName).Get<NgsiLdClientOptions>() ?? new NgsiLdClientOptions());
        services.AddSingleton(provider => provider.GetRequiredService<IConfiguration>().GetSection(EntitySinkOptions.SectionName).Get<EntitySinkOptions>() ?? new EntitySinkOptions());
        services.AddSingleton(provider => new NgsiLdClient(
            new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) }),
            provider.GetRequiredService<NgsiLdClientOptions>(),
            provider.GetService<TimeProvider>()));
        services.AddSingleton(provider => new DeadLetterFolder(
            provider.GetRequiredService<IConfiguration>()[DeadLettersPathKey] is { Length: > 0 } path ? path : "dead-letters",
            provider.GetService<TimeProvider>()));
        services.AddSingleton(provider => new EntitySink(
            provider.GetRequiredService<NgsiLdClient>(),
            provider.GetRequiredService<DeadLetterFolder>(),
            provider.GetRequiredService<EntitySinkOptions>(),
            time: provider.GetService<TimeProvider>()));
        services.AddSingleton<IEntitySink>(provider => provider.GetRequiredService<EntitySink>());
        return services;
    }

    /// <summary>
    /// Every problem of the configuration: each source's mapping section bound (unknown keys and unconvertible values
    /// are problems) and validated, sections of the mapping file that no source has, and the sink's own settings.
    /// </summary>
    public static IReadOnlyList<string> Problems(IServiceProvider services)
    {
        var configuration = services.GetRequiredService<IConfiguration>();
        var problems = new List<string>();
        var sections = services.GetServices<SourceMappingSection>().ToList();
        foreach (var section in sections)
        {
            try
            {
                configuration.GetSection(section.Name).Get(section.MappingType, binder => binder.ErrorOnUnknownConfiguration = true);
            }
            catch (InvalidOperationException e)
            {
                problems.Add($"{section.Name}: {BindingProblem(e)}");
                continue;
            }
            problems.AddRange(((ISourceMapping)services.GetRequiredService(section.MappingType)).Validate(section.Name));
        }
        var known = sections.Select(section => section.Name).ToHashSet(StringComparer.OrdinalIgnoreCase);
        foreach (var name in MappingFile.Sections(configuration).Where(name => !known.Contains(name)))
            problems.Add($"{name}: no source has this section (the sources are {string.Join(", ", known.Order(StringComparer.Ordinal))})");
        try
        {
            _ = services.GetRequiredService<IEntitySink>();
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or UnauthorizedAccessException)
        {
            problems.Add(e.Message);
        }
        return problems;
    }

    /// <summary>The binder's message that names the key, and the conversion's reason under it.</summary>
    private static string BindingProblem(InvalidOperationException e)
    {
        var named = e.InnerException is InvalidOperationException inner && e.Message.Contains("binding has failed", StringComparison.Ordinal) ? inner : e;
        Exception innermost = named;
        while (innermost.InnerException is { } deeper)
            innermost = deeper;
        return ReferenceEquals(named, innermost) ? named.Message : $"{named.Message} {innermost.Message}";
    }

    private sealed partial class StartupCheck(IServiceProvider services, ILogger<StartupCheck> logger) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            if (Problems(services) is { Count: > 0 } problems)
            {
                var e = new InvalidAdapterConfigurationException(problems);
                LogInvalid(logger, e.Message);
                throw e;
            }
            return Task.CompletedTask;
        }

        [LoggerMessage(Level = LogLevel.Critical, Message = "{Problems}")]
        private static partial void LogInvalid(ILogger logger, string problems);

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
