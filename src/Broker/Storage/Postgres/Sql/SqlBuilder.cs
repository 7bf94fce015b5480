using System.Text;
using Npgsql;
using NpgsqlTypes;

namespace Broker.Storage.Postgres.Sql;

/// <summary>SQL text with positional parameters ($1, $2, ...): values only ever reach PostgreSQL as parameters.</summary>
internal sealed class SqlBuilder
{
    private readonly StringBuilder _text = new();

    public List<NpgsqlParameter> Parameters { get; } = [];

    public SqlBuilder Append(string sql)
    {
        _text.Append(sql);
        return this;
    }

    /// <summary>Adds a parameter and writes its placeholder.</summary>
    public SqlBuilder Parameter<T>(T value, NpgsqlDbType? type = null)
    {
        var parameter = new NpgsqlParameter<T> { TypedValue = value };
        if (type is { } dbType)
            parameter.NpgsqlDbType = dbType;
        Parameters.Add(parameter);
        _text.Append('$').Append(Parameters.Count);
        return this;
    }

    public override string ToString() => _text.ToString();

    /// <summary>The SQL with the parameter values listed after it, for test failures and debug logs.</summary>
    public string Describe()
    {
        var text = new StringBuilder(_text.ToString());
        for (var i = 0; i < Parameters.Count; i++)
        {
            var value = Parameters[i].Value;
            text.Append("\n  $").Append(i + 1).Append(" = ")
                .Append(value switch
                {
                    string[] strings => "{" + string.Join(", ", strings) + "}",
                    byte[] bytes => $"<{bytes.Length} bytes>",
                    _ => value?.ToString(),
                });
        }
        return text.ToString();
    }
}
