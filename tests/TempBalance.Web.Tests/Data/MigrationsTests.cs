using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore;
using TempBalance.Web.Data;

namespace TempBalance.Web.Tests.Data;

/// <summary>A changed entity without its migration would only fail on a user's database, at start-up.</summary>
public class MigrationsTests
{
    [Fact]
    public void The_sqlite_migrations_match_the_model()
    {
        using var db = new SqliteMigrationsContextFactory().CreateDbContext([]);
        Assert.False(db.Database.HasPendingModelChanges(), "run: dotnet ef migrations add <Name> --context SqliteMigrationsContext (see MigrationsContexts.cs)");
    }

    [Fact]
    public void The_postgres_migrations_match_the_model()
    {
        using var db = new PostgresMigrationsContextFactory().CreateDbContext([]);
        Assert.False(db.Database.HasPendingModelChanges(), "run: dotnet ef migrations add <Name> --context PostgresMigrationsContext (see MigrationsContexts.cs)");
    }
}

/// <summary>The RecipesAndTracker migration keeps what old rows meant, on a database written by the previous version.</summary>
public sealed class RecipesAndTrackerMigrationTests : IDisposable
{
    readonly string folder = Directory.CreateTempSubdirectory("tb-migration-").FullName;

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(folder, recursive: true);
    }

    [Fact]
    public async Task Old_runs_get_the_canonical_method_a_name_and_learning_rates_of_the_epoch_they_trained_in()
    {
        var options = new DbContextOptionsBuilder<SqliteMigrationsContext>().UseSqlite($"Data Source={Path.Combine(folder, "old.db")}").Options;
        await using var db = new SqliteMigrationsContext(options);
        var migrator = db.GetService<Microsoft.EntityFrameworkCore.Migrations.IMigrator>();
        await migrator.MigrateAsync("20261123185435_BatchLosses");
        // (ExecuteSqlRaw formats the text: braces are doubled.)
        await db.Database.ExecuteSqlRawAsync("""
            INSERT INTO "Runs" ("Id", "ConfigJson", "Method", "Model", "Dataset", "Seed", "Epochs", "Status", "CreatedAt", "Tags", "LastSequence")
            VALUES (7, '{{"method":"tempbalance","model":"smallcnn","epochs":2}}', 'tempbalance', 'smallcnn', 'fashion-mnist', 3, 2, 'Completed', '2026-11-20 10:00:00', '[]', 0);
            INSERT INTO "EpochMetrics" ("RunId", "Epoch", "LearningRate", "EpochSeconds", "EsdSeconds", "RecordedAt") VALUES
              (7, 0, 0.05, 1, 0.1, '2026-11-20 10:00:00'), (7, 1, 0.05, 1, 0.1, '2026-11-20 10:01:00'), (7, 2, 0.025, 1, 0.1, '2026-11-20 10:02:00');
            INSERT INTO "LayerMetrics" ("RunId", "Epoch", "LayerIndex", "Name", "Kind", "EigsNum", "LearningRate", "Tuned") VALUES
              (7, 0, 1, 'conv2', 'Conv2d', 288, 0.025, 1), (7, 1, 1, 'conv2', 'Conv2d', 288, 0.0375, 1), (7, 2, 1, 'conv2', 'Conv2d', 288, 0.0, 1);
            """);

        await migrator.MigrateAsync();

        var run = await db.Runs.SingleAsync();
        Assert.Equal("tb", run.Method);
        Assert.Equal("tb · smallcnn · fashion-mnist · seed 3", run.Name);
        Assert.True(run.Config.TempBalance.Enabled);
        Assert.Equal([null, 0.05, 0.025], await db.EpochMetrics.OrderBy(e => e.Epoch).Select(e => e.LearningRate).ToListAsync());
        var layers = await db.LayerMetrics.OrderBy(l => l.Epoch).ToListAsync();
        Assert.Equal([null, 0.025, 0.0375], layers.Select(l => l.LearningRate));
        Assert.Equal([0.025, 0.0375, 0.0], layers.Select(l => l.NextLearningRate));
    }
}
