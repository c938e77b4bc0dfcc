using System.Net;
using Npgsql;
using TempBalance.Web.Data;
using TempBalance.Web.Runs;

namespace TempBalance.Web.Tests.Backend;

/// <summary>
/// The team set-up: runs, metrics and the Hangfire queue in PostgreSQL (TempBalance:Database = postgres), against
/// a real server. Both migration sets are otherwise only checked against SQLite.
/// </summary>
[Collection(TrainingCollection.Name)]
public sealed class PostgresTests(PostgresServer postgres) : IClassFixture<PostgresServer>
{
    [PostgresFact]
    public async Task A_run_trains_through_the_postgres_queue_and_its_history_outlives_the_app()
    {
        var dataDirectory = TempBalanceAppFactory.CreateDataDirectory();
        var settings = new Dictionary<string, string?>
        {
            ["TempBalance:Database"] = "postgres",
            ["ConnectionStrings:TempBalance"] = postgres.ConnectionString,
        };
        try
        {
            long id;
            await using (var app = new TempBalanceAppFactory(dataDirectory, settings))
            {
                var client = app.StartAndCreateClient();
                id = (await client.CreateRunsAsync(TrainedRunFixture.SmallRunRequest(epochs: 1, subset: 256, tags: ["team"]))).Single();
                var done = await client.WaitForRunAsync(id, r => r.Summary.Status.IsFinished(), TimeSpan.FromSeconds(150));
                Assert.True(done.Summary.Status == RunStatus.Completed, $"{done.Summary.Status}: {done.Summary.ErrorMessage}");
            }

            // A new app on the same database (a restart, or a teammate's instance) sees the whole run.
            await using (var app = new TempBalanceAppFactory(dataDirectory, settings))
            {
                var client = app.StartAndCreateClient();
                var run = Assert.Single((await client.GetJsonAsync<RunPage>("/api/runs?tag=team")).Items);
                Assert.Equal(id, run.Id);
                Assert.Equal(RunStatus.Completed, run.Status);
                Assert.Equal(1, run.CompletedEpochs);
                Assert.InRange(run.BestTestAccuracy ?? -1, 0.05, 1);

                var epochs = await client.GetJsonAsync<List<EpochPoint>>($"/api/runs/{id}/epochs");
                Assert.Equal([0, 1], epochs.Select(e => e.Epoch));
                var layers = await client.GetJsonAsync<List<LayerPoint>>($"/api/runs/{id}/layers");
                Assert.Equal(["conv1", "conv2", "fc1", "fc2"], layers.Where(l => l.Epoch == 1).Select(l => l.Name));
                Assert.All(layers, l => Assert.True(l.Alpha is > 1 || l.FitError is not null, $"{l.Name}: alpha {l.Alpha}"));

                var export = await client.GetStringAsync($"/api/runs/{id}/export?format=csv");
                Assert.Equal(3, export.Trim().Split('\n').Length); // header and two epochs
                using var conflict = await client.PostAsync($"/api/runs/{id}/cancel", null);
                Assert.Equal(HttpStatusCode.Conflict, conflict.StatusCode);
            }

            // It was all in PostgreSQL: the spectra of both epochs, and the training job in Hangfire's schema.
            await using var db = new NpgsqlConnection(postgres.ConnectionString);
            await db.OpenAsync();
            Assert.Equal(8L, await ScalarAsync(db, $"SELECT count(*) FROM \"LayerSpectra\" WHERE \"RunId\" = {id}"));
            Assert.Equal(1L, await ScalarAsync(db, "SELECT count(*) FROM hangfire.job WHERE statename = 'Succeeded'"));
        }
        finally
        {
            TempBalanceAppFactory.DeleteDataDirectory(dataDirectory);
        }
    }

    static async Task<long> ScalarAsync(NpgsqlConnection db, string sql)
    {
        await using var command = new NpgsqlCommand(sql, db);
        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }
}
