using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Components.Server;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using TempBalance.Web.Data;
using TempBalance.Web.Runs;

namespace TempBalance.Web.Tests.Backend;

/// <summary>
/// The real app on a loopback Kestrel socket, with its SQLite file and run folders in <paramref name="dataDirectory"/>;
/// <paramref name="settings"/> add to or override its configuration (for example a PostgreSQL database).
/// </summary>
public sealed class TempBalanceAppFactory(string dataDirectory, IReadOnlyDictionary<string, string?>? settings = null) : WebApplicationFactory<Program>
{
    public Uri BaseAddress { get; private set; } = null!;

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.ConfigureAppConfiguration((_, config) => config.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["TempBalance:DataDirectory"] = dataDirectory,
            ["TempBalance:HeartbeatInterval"] = "00:00:01",
            ["TempBalance:Workers"] = "1",
            // Tests stop the app often; a stop that hangs should cost seconds (host timeout: this + 5 s).
            ["TempBalance:ShutdownTimeout"] = "00:00:05",
        }).AddInMemoryCollection(settings));
        // A JS call that a page had pending when it unloaded is never answered (dotnet/aspnetcore#68714): its
        // circuit's disposal, and with it the request that ends the circuit and so the host's stop, waits for
        // the call's timeout. Browser tests navigate away mid-render all the time; a minute per stop is too long.
        builder.ConfigureServices(services => services.Configure<CircuitOptions>(circuit =>
            circuit.JSInteropDefaultCallTimeout = TimeSpan.FromSeconds(10)));
    }

    /// <summary>Starts Kestrel on a free loopback port and returns a client for it.</summary>
    public HttpClient StartAndCreateClient()
    {
        UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        StartServer();
        var address = Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        BaseAddress = new Uri(address);
        return new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
    }

    public HubConnection CreateHubConnection() =>
        new HubConnectionBuilder()
            .WithUrl(new Uri(BaseAddress, "/hubs/training"))
            .AddJsonProtocol(json => RunJson.Configure(json.PayloadSerializerOptions))
            .Build();

    public static string CreateDataDirectory() => Directory.CreateTempSubdirectory("tempbalance-web-tests-").FullName;

    public static void DeleteDataDirectory(string path)
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(path, recursive: true); }
        catch (IOException) { }
    }
}

/// <summary>
/// The app started on a data folder of its own, with a client: what most test classes start in InitializeAsync.
/// Disposing stops it and deletes the folder.
/// </summary>
public sealed class StartedApp : IAsyncDisposable
{
    public StartedApp(IReadOnlyDictionary<string, string?>? settings = null)
    {
        Factory = new TempBalanceAppFactory(DataDirectory, settings);
        Client = Factory.StartAndCreateClient();
    }

    public string DataDirectory { get; } = TempBalanceAppFactory.CreateDataDirectory();
    public TempBalanceAppFactory Factory { get; }
    public HttpClient Client { get; }
    public IServiceProvider Services => Factory.Services;

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await Factory.DisposeAsync();
        TempBalanceAppFactory.DeleteDataDirectory(DataDirectory);
    }
}

public static class ApiClient
{
    public static readonly JsonSerializerOptions Json = RunJson.Configure(new JsonSerializerOptions(JsonSerializerDefaults.Web));

    public static async Task<T> GetJsonAsync<T>(this HttpClient client, string url)
    {
        using var response = await client.GetAsync(url);
        Assert.True(response.IsSuccessStatusCode, $"GET {url}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return (await response.Content.ReadFromJsonAsync<T>(Json))!;
    }

    public static async Task<IReadOnlyList<long>> CreateRunsAsync(this HttpClient client, object request)
    {
        using var response = await client.PostAsJsonAsync("/api/runs", request, Json);
        return await ReadCreatedIdsAsync(response);
    }

    /// <summary>The run ids of a 201 answer from POST /api/runs or /api/quickstart.</summary>
    public static async Task<IReadOnlyList<long>> ReadCreatedIdsAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"{response.RequestMessage?.RequestUri?.AbsolutePath}: {(int)response.StatusCode} {body}");
        return JsonDocument.Parse(body).RootElement.GetProperty("ids").EnumerateArray().Select(e => e.GetInt64()).ToList();
    }

    /// <summary>Polls the run until <paramref name="done"/> holds; fails with the run's last state after <paramref name="timeout"/>.</summary>
    public static async Task<RunDetails> WaitForRunAsync(this HttpClient client, long id, Func<RunDetails, bool> done, TimeSpan timeout, TimeSpan? poll = null)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var run = await client.GetJsonAsync<RunDetails>($"/api/runs/{id}");
            if (done(run)) return run;
            if (DateTime.UtcNow > deadline)
                Assert.Fail($"Run {id} did not reach the expected state within {timeout}: {run.Summary.Status}, epochs {run.Summary.CompletedEpochs}, error '{run.Summary.ErrorMessage}'.");
            await Task.Delay(poll ?? TimeSpan.FromMilliseconds(200));
        }
    }
}

/// <summary>Tests that train are serialised: two cores cannot train two runs at once quickly.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TrainingCollection
{
    public const string Name = "Training";
}
