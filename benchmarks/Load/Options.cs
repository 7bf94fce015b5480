using System.Globalization;

namespace Benchmarks.Load;

/// <summary>The command line of the load tool (see <see cref="Usage"/>).</summary>
public sealed class Options
{
    public const string Usage = """
        Load tool for the NGSI-LD broker. Starts the broker (and the ceiling app) itself on 127.0.0.1.
          --broker PATH         Broker.dll (default: src/Broker/bin/Release/net10.0/Broker.dll)
          --ceiling PATH        Ceiling.dll (default: benchmarks/Ceiling/bin/Release/net10.0/Ceiling.dll)
          --store NAME          embedded (default), postgres (starts the broker with Storage:Provider=Postgres) or both
          --connection TEXT     PostgreSQL connection string: passed to the broker as ConnectionStrings:Postgres
                                and used by the raw PostgreSQL ceilings (C2, C3); without it they are skipped
          --scenarios LIST      comma-separated ids, e.g. S1,S3,C1 (default: all)
          --connections N       concurrent clients and connections (default 32)
          --duration SECONDS    measured time per scenario (default 15)
          --warmup SECONDS      warm-up time per scenario, not measured (default 3)
          --quick               --duration 3 --warmup 1
          --geo-entities N      entities preloaded for S5 (default 100000)
          --subscriptions N     subscriptions created for S7 (default 1000; 0 for none)
          --matching PERCENT    the share of them that match S7's PATCHed entities (default 10)
          --federated-entities N  entities on the remote broker of S11 and S12 (default 1000)
          --federated-limit N   the limit of their query by type (default 20)
          --results PATH        write the Markdown report there (default: only print the table)
          --command TEXT        the command to record in the report; --commit TEXT the commit
          --note TEXT           a line for the report's header (e.g. what the PostgreSQL server was)
        """;

    public string BrokerPath { get; private set; } = "src/Broker/bin/Release/net10.0/Broker.dll";

    /// <summary>The MeinLübeck sample, which S15 starts beside the broker.</summary>
    public string CitizenAppPath { get; private set; } = "samples/MeinLuebeck/bin/Release/net10.0/MeinLuebeck.dll";

    public string CeilingPath { get; private set; } = "benchmarks/Ceiling/bin/Release/net10.0/Ceiling.dll";

    /// <summary>The store the broker scenarios run on now; <see cref="Stores"/> lists every store of the run.</summary>
    public string Store { get; set; } = Scenarios.Stores.Embedded;

    public IReadOnlyList<string> Stores { get; private set; } = [Scenarios.Stores.Embedded];

    public string? ConnectionString { get; private set; }

    public IReadOnlySet<string>? ScenarioIds { get; private set; }

    public int Connections { get; private set; } = 32;

    public TimeSpan Duration { get; private set; } = TimeSpan.FromSeconds(15);

    public TimeSpan Warmup { get; private set; } = TimeSpan.FromSeconds(3);

    public bool Quick { get; private set; }

    public int GeoEntities { get; private set; } = 100_000;

    public int Subscriptions { get; private set; } = 1000;

    public int MatchingPercent { get; private set; } = 10;

    public int FederatedEntities { get; private set; } = 1000;

    public int FederatedLimit { get; private set; } = 20;

    public string? ResultsPath { get; private set; }

    public string Command { get; private set; } = "dotnet benchmarks/Load/bin/Release/net10.0/Load.dll";

    public string Commit { get; private set; } = "unknown";

    public string? Note { get; private set; }

    public static Options Parse(string[] args)
    {
        var options = new Options();
        TimeSpan? duration = null, warmup = null;
        for (var i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
            switch (args[i])
            {
                case "--broker": options.BrokerPath = Next(); break;
                case "--citizen-app": options.CitizenAppPath = Next(); break;
                case "--ceiling": options.CeilingPath = Next(); break;
                case "--store":
                    var store = Next().ToLowerInvariant();
                    options.Stores = store switch
                    {
                        Scenarios.Stores.Embedded or Scenarios.Stores.Postgres => [store],
                        "both" => [Scenarios.Stores.Embedded, Scenarios.Stores.Postgres],
                        _ => throw new ArgumentException("--store is embedded, postgres or both."),
                    };
                    options.Store = options.Stores[0];
                    break;
                case "--connection": options.ConnectionString = Next(); break;
                case "--scenarios":
                    options.ScenarioIds = Next().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                        .Select(s => s.ToUpperInvariant()).ToHashSet(StringComparer.Ordinal);
                    break;
                case "--connections": options.Connections = PositiveInt(Next()); break;
                case "--duration": duration = TimeSpan.FromSeconds(PositiveInt(Next())); break;
                case "--warmup": warmup = TimeSpan.FromSeconds(int.Parse(Next(), CultureInfo.InvariantCulture)); break;
                case "--quick": options.Quick = true; break;
                case "--geo-entities": options.GeoEntities = PositiveInt(Next()); break;
                case "--subscriptions": options.Subscriptions = WholeNumber(Next(), 100_000); break;
                case "--matching": options.MatchingPercent = WholeNumber(Next(), 100); break;
                case "--federated-entities": options.FederatedEntities = PositiveInt(Next()); break;
                case "--federated-limit": options.FederatedLimit = PositiveInt(Next()); break;
                case "--results": options.ResultsPath = Next(); break;
                case "--command": options.Command = Next(); break;
                case "--commit": options.Commit = Next(); break;
                case "--note": options.Note = Next(); break;
                default: throw new ArgumentException($"Unknown option '{args[i]}'.");
            }
        }
        if (options.Quick)
        {
            options.Duration = TimeSpan.FromSeconds(3);
            options.Warmup = TimeSpan.FromSeconds(1);
        }
        options.Duration = duration ?? options.Duration;
        options.Warmup = warmup ?? options.Warmup;
        if (options.Stores.Contains(Scenarios.Stores.Postgres) && options.ConnectionString is null)
            throw new ArgumentException("--store postgres needs --connection.");
        return options;
    }

    private static int WholeNumber(string text, int max) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value <= max
            ? value
            : throw new ArgumentException($"'{text}' is not a whole number from 0 to {max}.");

    private static int PositiveInt(string text) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value > 0
            ? value
            : throw new ArgumentException($"'{text}' is not a positive whole number.");
}
