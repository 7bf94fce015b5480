using System.Threading.Channels;
using Broker.Storage.Postgres.Sql;
using Npgsql;

namespace Broker.Storage.Postgres;

/// <summary>
/// Group commit for the PostgreSQL store: small commits of concurrent requests queue here, and a few writer loops send
/// whatever has queued as one <see cref="NpgsqlBatch"/> in one transaction, so many requests share one round trip and
/// one WAL flush. Each change keeps its own optimistic check and result row (see PostgresEntityStore.WriteStatement).
/// </summary>
/// <remarks>
/// When a group fails with a database error (a value PostgreSQL cannot store, say), its commits are run again one by one,
/// so the error reaches only the request that caused it. When the database is unreachable, every commit of the group
/// fails with that error. Disposing stops taking commits and lets the loops finish the queue.
/// </remarks>
internal sealed class PostgresGroupCommit : IAsyncDisposable
{
    /// <summary>The most changes sent in one group.</summary>
    private const int MaxChanges = 256;

    private readonly NpgsqlDataSource _dataSource;
    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleWriter = false, SingleReader = false });
    private readonly Task[] _writers;

    public PostgresGroupCommit(NpgsqlDataSource dataSource, int writers)
    {
        _dataSource = dataSource;
        _writers = [.. Enumerable.Range(0, writers).Select(_ => Task.Run(WriteLoopAsync))];
    }

    /// <summary>A commit's statements, each returning one row (rows written, version before or null).</summary>
    public sealed class Pending(IReadOnlyList<SqlBuilder> statements)
    {
        public IReadOnlyList<SqlBuilder> Statements { get; } = statements;

        public TaskCompletionSource<WriteResult[]> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>Queues the statements and returns their result rows once their transaction has committed.</summary>
    public Task<WriteResult[]> CommitAsync(IReadOnlyList<SqlBuilder> statements)
    {
        var pending = new Pending(statements);
        if (!_queue.Writer.TryWrite(pending))
            throw new ObjectDisposedException(nameof(PostgresGroupCommit));
        return pending.Done.Task;
    }

    private async Task WriteLoopAsync()
    {
        var reader = _queue.Reader;
        var group = new List<Pending>();
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            group.Clear();
            var changes = 0;
            while (changes < MaxChanges && reader.TryRead(out var pending))
            {
                group.Add(pending);
                changes += pending.Statements.Count;
            }
            if (group.Count > 0)
                await WriteGroupAsync(group).ConfigureAwait(false);
        }
    }

    private async Task WriteGroupAsync(List<Pending> group)
    {
        try
        {
            var results = await RunAsync(group, fresh: false).ConfigureAwait(false);
            for (var i = 0; i < group.Count; i++)
                group[i].Done.TrySetResult(results[i]);
        }
        catch (Exception e) when (group.Count > 1 && !PostgresErrors.IsUnavailable(e))
        {
            foreach (var pending in group)
            {
                try
                {
                    pending.Done.TrySetResult((await RunAsync([pending], fresh: true).ConfigureAwait(false))[0]);
                }
                catch (Exception single)
                {
                    pending.Done.TrySetException(single);
                }
            }
        }
        catch (Exception e)
        {
            foreach (var pending in group)
                pending.Done.TrySetException(e);
        }
    }

    /// <param name="fresh">Copy the parameters, which still belong to the commands of a failed attempt.</param>
    private async Task<WriteResult[][]> RunAsync(IReadOnlyList<Pending> group, bool fresh)
    {
        await using var connection = await _dataSource.OpenConnectionAsync().ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync().ConfigureAwait(false);
        await using var batch = new NpgsqlBatch(connection, transaction);
        foreach (var pending in group)
        {
            foreach (var statement in pending.Statements)
                batch.BatchCommands.Add(PostgresEntityStore.BatchCommand(statement, fresh));
        }
        var results = new WriteResult[group.Count][];
        await using (var reader = await batch.ExecuteReaderAsync().ConfigureAwait(false))
        {
            for (var i = 0; i < group.Count; i++)
            {
                results[i] = new WriteResult[group[i].Statements.Count];
                for (var j = 0; j < results[i].Length; j++)
                {
                    if (i > 0 || j > 0)
                        await reader.NextResultAsync().ConfigureAwait(false);
                    await reader.ReadAsync().ConfigureAwait(false);
                    results[i][j] = WriteResult.Read(reader);
                }
            }
        }
        await transaction.CommitAsync().ConfigureAwait(false);
        return results;
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await Task.WhenAll(_writers).ConfigureAwait(false);
    }
}
