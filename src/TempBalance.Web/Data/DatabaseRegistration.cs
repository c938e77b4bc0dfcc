using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace TempBalance.Web.Data;

/// <summary>Which database the app talks to, read once from configuration.</summary>
public sealed record DatabaseSettings(bool UsePostgres, string ConnectionString)
{
    public static DatabaseSettings FromConfiguration(IConfiguration configuration, TempBalanceWebOptions options)
    {
        var connectionString = configuration.GetConnectionString("TempBalance");
        switch (options.Database.Trim().ToLowerInvariant())
        {
            case "postgres" or "postgresql":
                if (string.IsNullOrWhiteSpace(connectionString))
                    throw new InvalidOperationException(
                        "TempBalance:Database is 'postgres' but ConnectionStrings:TempBalance is empty; set it to an Npgsql connection string such as 'Host=db;Database=tempbalance;Username=tb;Password=...'.");
                return new DatabaseSettings(true, connectionString);
            case "sqlite":
                if (!string.IsNullOrWhiteSpace(connectionString)) return new DatabaseSettings(false, connectionString);
                Directory.CreateDirectory(options.DataDirectoryPath);
                return new DatabaseSettings(false, $"Data Source={Path.Combine(options.DataDirectoryPath, "tempbalance.db")}");
            default:
                throw new InvalidOperationException($"TempBalance:Database is '{options.Database}'; use 'sqlite' or 'postgres'.");
        }
    }

    public void Configure(DbContextOptionsBuilder builder)
    {
        if (UsePostgres) builder.UseNpgsql(ConnectionString);
        else builder.UseSqlite(ConnectionString);
    }

    /// <summary>Applies the provider's migration set; on SQLite also switches to WAL so pages can read while a job writes.</summary>
    public async Task MigrateAsync(CancellationToken cancellationToken = default)
    {
        await using TempBalanceDbContext context = UsePostgres
            ? new PostgresMigrationsContext(new DbContextOptionsBuilder<PostgresMigrationsContext>().UseNpgsql(ConnectionString).Options)
            : new SqliteMigrationsContext(new DbContextOptionsBuilder<SqliteMigrationsContext>().UseSqlite(ConnectionString).Options);
        await context.Database.MigrateAsync(cancellationToken);
        if (!UsePostgres) await context.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", cancellationToken);
    }
}

public static class DatabaseRegistration
{
    /// <summary>Registers the DbContext factory and its health check. Settings are read when first needed, after test hosts have applied their configuration.</summary>
    public static void AddTempBalanceDatabase(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton(sp => DatabaseSettings.FromConfiguration(
            sp.GetRequiredService<IConfiguration>(), sp.GetRequiredService<IOptions<TempBalanceWebOptions>>().Value));
        builder.Services.AddDbContextFactory<TempBalanceDbContext>((sp, db) => sp.GetRequiredService<DatabaseSettings>().Configure(db));
        builder.Services.AddHealthChecks().AddDbContextCheck<TempBalanceDbContext>("database");
    }
}
