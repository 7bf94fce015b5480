using System.Buffers;
using System.Text;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Broker.Storage.Embedded;

/// <summary>
/// A statement prepared once on the writer's connection and run through SQLite's own API: parameters are bound by
/// position, text as UTF-8 without an intermediate string. Microsoft.Data.Sqlite's commands look the statement up,
/// box every value and transcode every string on each execution, which the writer does thousands of times a second.
/// </summary>
internal sealed class SqliteStatement : IDisposable
{
    /// <summary>The empty string, zero-terminated, as SQLite's C API takes it.</summary>
    private static readonly byte[] EmptyText = [0];

    private readonly sqlite3 _database;
    private readonly sqlite3_stmt _statement;

    public SqliteStatement(SqliteConnection connection, string sql)
    {
        _database = connection.Handle ?? throw new InvalidOperationException("The connection is not open.");
        var rc = raw.sqlite3_prepare_v2(_database, sql, out _statement);
        SqliteException.ThrowExceptionForRC(rc, _database);
    }

    public SqliteStatement Text(int position, ReadOnlySpan<byte> utf8)
    {
        // An empty span has no address, which SQLite would bind as NULL.
        var rc = utf8.IsEmpty ? raw.sqlite3_bind_text(_statement, position, utf8z.FromSpan(EmptyText)) : raw.sqlite3_bind_text(_statement, position, utf8);
        SqliteException.ThrowExceptionForRC(rc, _database);
        return this;
    }

    public SqliteStatement Text(int position, string value)
    {
        var maximum = Encoding.UTF8.GetMaxByteCount(value.Length);
        byte[]? rented = null;
        var buffer = maximum <= 512 ? stackalloc byte[512] : (rented = ArrayPool<byte>.Shared.Rent(maximum));
        try
        {
            return Text(position, buffer[..Encoding.UTF8.GetBytes(value, buffer)]);
        }
        finally
        {
            if (rented is not null)
                ArrayPool<byte>.Shared.Return(rented);
        }
    }

    public SqliteStatement Integer(int position, long value)
    {
        SqliteException.ThrowExceptionForRC(raw.sqlite3_bind_int64(_statement, position, value), _database);
        return this;
    }

    public SqliteStatement Null(int position)
    {
        SqliteException.ThrowExceptionForRC(raw.sqlite3_bind_null(_statement, position), _database);
        return this;
    }

    /// <summary>The rowid of the last row the connection inserted.</summary>
    public long LastInsertRowId => raw.sqlite3_last_insert_rowid(_database);

    /// <summary>Runs the statement to completion and resets it, so that it holds no lock when the transaction commits.</summary>
    public void Run()
    {
        try
        {
            var rc = raw.sqlite3_step(_statement);
            if (rc != raw.SQLITE_DONE)
                SqliteException.ThrowExceptionForRC(rc, _database);
        }
        finally
        {
            raw.sqlite3_reset(_statement);
        }
    }

    public void Dispose() => _statement.Dispose();
}
