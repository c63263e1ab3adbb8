using System.Data.Common;
using System.Globalization;

namespace CoScientist.Core.Storage;

/// <summary>
/// ADO.NET helpers shared by the SQLite and PostgreSQL storage, so both run one SQL text: <c>@name</c> parameters (both
/// accept them) and values read through <see cref="Convert"/>, since the engines return different CLR types for the
/// same query (SQLite long and double; PostgreSQL bigint for COUNT and numeric for money).
/// </summary>
internal static class Sql
{
    public static DbCommand Command(this DbConnection connection, string sql)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        return command;
    }

    public static DbCommand With(this DbCommand command, string name, object? value)
    {
        command.Param(name, value);
        return command;
    }

    public static DbParameter Param(this DbCommand command, string name, object? value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value ?? DBNull.Value;
        command.Parameters.Add(parameter);
        return parameter;
    }

    public static int Int(this DbDataReader reader, int i) => Convert.ToInt32(reader.GetValue(i), CultureInfo.InvariantCulture);

    public static long Long(this DbDataReader reader, int i) => Convert.ToInt64(reader.GetValue(i), CultureInfo.InvariantCulture);

    public static double Double(this DbDataReader reader, int i) => Convert.ToDouble(reader.GetValue(i), CultureInfo.InvariantCulture);

    public static decimal Money(this DbDataReader reader, int i) => Convert.ToDecimal(reader.GetValue(i), CultureInfo.InvariantCulture);

    public static string? NullableString(this DbDataReader reader, int i) => reader.IsDBNull(i) ? null : reader.GetString(i);

    // ISO 8601 in UTC, to the tick: sorts as text (PostgreSQL columns holding it use the "C" collation), so range
    // queries and the retention cutoff compare correctly, and both engines store the same string.
    public static string Time(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);

    public static DateTimeOffset ParseTime(string s) =>
        DateTimeOffset.Parse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);
}
