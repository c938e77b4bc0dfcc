using System.Net;
using TempBalance.Web.Tests.Backend;
using TorchSharp;

namespace TempBalance.Web.Tests;

public sealed class HealthTests : IDisposable
{
    readonly string dataDirectory = TempBalanceAppFactory.CreateDataDirectory();
    readonly TempBalanceAppFactory factory;

    public HealthTests() => factory = new TempBalanceAppFactory(dataDirectory);

    [Fact]
    public async Task Health_endpoint_answers_healthy_and_the_database_file_is_created()
    {
        using var client = factory.CreateClient();
        var response = await client.GetAsync("/health");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Healthy", await response.Content.ReadAsStringAsync());
        Assert.True(File.Exists(Path.Combine(dataDirectory, "tempbalance.db")));
    }

    [Fact]
    public void Web_output_loads_libtorch_and_computes_singular_values()
    {
        using var scope = torch.NewDisposeScope();
        var m = torch.eye(3, dtype: torch.float64) * 4.0;
        Assert.All(torch.linalg.svdvals(m).data<double>().ToArray(), s => Assert.Equal(4.0, s, 12));
    }

    public void Dispose()
    {
        factory.Dispose();
        TempBalanceAppFactory.DeleteDataDirectory(dataDirectory);
    }
}
