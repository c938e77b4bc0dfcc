using System.Diagnostics;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;
using TempBalance.Web.Data;
using TempBalance.Web.Tests.Backend;
using TempBalance.Web.Tests.Browser;

namespace TempBalance.Web.Tests.Hardening;

/// <summary>
/// The app's build output started as a process, with a data folder that is read-only, full, or left behind by a
/// start that died inside a migration: it must say what is wrong and where, exit 1 without a crash dump, and
/// start normally once the fault is gone.
/// </summary>
[Collection(TrainingCollection.Name)]
public sealed class StartupFaultTests
{
    [MountFact]
    public async Task A_read_only_data_folder_stops_the_start_with_a_message_naming_it()
    {
        using var mount = new TmpfsMount(1024, readOnly: true);
        var data = Path.Combine(mount.Path, "data");

        var start = await AppProcess.RunAsync(data);

        Assert.Equal(1, start.ExitCode);
        Assert.Contains($"TempBalance cannot start: the data folder {data} (TempBalance:DataDirectory) is not writable", start.Errors);
        AssertNoCrashDump(start);
    }

    [MountFact]
    public async Task A_full_data_folder_stops_the_start_with_a_message_naming_it()
    {
        using var mount = new TmpfsMount(256);
        mount.FillLeaving(0);

        var start = await AppProcess.RunAsync(mount.Path);

        Assert.Equal(1, start.ExitCode);
        Assert.Contains($"TempBalance cannot start: the data folder {mount.Path} (TempBalance:DataDirectory) is full", start.Errors);
        AssertNoCrashDump(start);
    }

    [MountFact]
    public async Task A_start_that_died_inside_the_first_migration_does_not_hang_the_next_one()
    {
        // Room for the database file and EF Core's lock row, not for all migrations: the first start fails midway.
        using var mount = new TmpfsMount(96);
        var first = await AppProcess.RunAsync(mount.Path);
        Assert.Equal(1, first.ExitCode);
        Assert.Contains($"the data folder {mount.Path} (TempBalance:DataDirectory) is full", first.Errors);
        AssertNoCrashDump(first);

        mount.Remount("size=64m");
        var second = await AppProcess.RunAsync(mount.Path, serveFor: TimeSpan.FromSeconds(1));
        Assert.True(second.Listening, $"the second start did not serve: exit {second.ExitCode}, {second.Errors}");
    }

    [Fact]
    public async Task A_lock_row_left_in_the_migration_lock_table_is_released_at_the_next_start()
    {
        var data = TempBalanceAppFactory.CreateDataDirectory();
        try
        {
            var connection = $"Data Source={Path.Combine(data, "tempbalance.db")}";
            await new DatabaseSettings(false, connection).MigrateAsync();
            // What a process killed inside MigrateAsync leaves behind (EF Core's SQLite migration lock).
            await using (var db = new SqliteConnection(connection))
            {
                await db.OpenAsync();
                await using var insert = db.CreateCommand();
                insert.CommandText = "CREATE TABLE IF NOT EXISTS \"__EFMigrationsLock\" (\"Id\" INTEGER NOT NULL PRIMARY KEY, \"Timestamp\" TEXT NOT NULL); " +
                                     "INSERT INTO \"__EFMigrationsLock\" VALUES (1, '2026-12-01 12:00:00+00:00');";
                await insert.ExecuteNonQueryAsync();
            }
            SqliteConnection.ClearAllPools();

            await using var app = new TempBalanceAppFactory(data);
            using var client = await Task.Run(app.StartAndCreateClient).WaitAsync(TimeSpan.FromSeconds(60));
            Assert.Equal("Healthy", await client.GetStringAsync("/health"));
        }
        finally
        {
            TempBalanceAppFactory.DeleteDataDirectory(data);
        }
    }

    [Fact]
    public async Task Invalid_settings_stop_the_start_with_messages_naming_each_setting()
    {
        var data = TempBalanceAppFactory.CreateDataDirectory();
        try
        {
            var start = await AppProcess.RunAsync(data, extraArguments: ["--TempBalance:Limits:MaxEpochs=0", "--TempBalance:StaleRunTimeout=00:00:01", "--TempBalance:ForwardedHeaders:KnownProxies:0=proxy.local"]);
            Assert.Equal(1, start.ExitCode);
            Assert.Contains("TempBalance cannot start: the configuration is invalid:", start.Errors);
            Assert.Contains("TempBalance:Limits:MaxEpochs is 0; use 1 or more.", start.Errors);
            Assert.Contains("TempBalance:StaleRunTimeout (00:00:01) must be longer than TempBalance:HeartbeatInterval (00:00:10)", start.Errors);
            Assert.Contains("TempBalance:ForwardedHeaders:KnownProxies has 'proxy.local', which is not an IP address.", start.Errors);
            AssertNoCrashDump(start);
        }
        finally
        {
            TempBalanceAppFactory.DeleteDataDirectory(data);
        }
    }

    [Fact]
    public void Options_validation_accepts_the_defaults_and_names_every_bad_setting()
    {
        var validation = new TempBalanceWebOptionsValidation();
        Assert.True(validation.Validate(null, new TempBalanceWebOptions()).Succeeded);
        var bad = new TempBalanceWebOptions
        {
            Database = "mysql",
            Workers = 0,
            HeartbeatInterval = TimeSpan.Zero,
            Limits = new RunLimits { MaxWidthFactor = double.NaN, MaxBatchSize = 0, MaxSubset = 0, MaxSeeds = 0, MaxQueuedRunsPerUser = 0, RunCreationsPerMinute = 0, MaxRequestBodyBytes = 10 },
            ForwardedHeaders = new ProxyOptions { KnownNetworks = ["0.0.0.0/0"] },
        };
        var failures = validation.Validate(null, bad).Failures!.ToList();
        foreach (var setting in new[] { "Database", "Workers", "HeartbeatInterval", "Limits:MaxWidthFactor", "Limits:MaxBatchSize", "Limits:MaxSubset", "Limits:MaxSeeds",
                     "Limits:MaxQueuedRunsPerUser", "Limits:RunCreationsPerMinute", "Limits:MaxRequestBodyBytes", "ForwardedHeaders:KnownNetworks" })
            Assert.Contains(failures, f => f.StartsWith($"TempBalance:{setting} ", StringComparison.Ordinal));
    }

    static void AssertNoCrashDump(AppProcess.Result start)
    {
        Assert.DoesNotContain("Unhandled exception", start.Errors);
        Assert.DoesNotContain("   at ", start.Errors);
        Assert.DoesNotContain("   at ", start.Output);
    }
}
