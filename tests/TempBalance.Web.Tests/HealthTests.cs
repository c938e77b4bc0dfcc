using System.Net;
using Microsoft.AspNetCore.Mvc.Testing;
using TorchSharp;

namespace TempBalance.Web.Tests;

public class HealthTests(WebApplicationFactory<Program> factory) : IClassFixture<WebApplicationFactory<Program>>
{
    [Fact]
    public async Task Health_endpoint_answers_healthy()
    {
        using var client = factory.CreateClient();
        var response = await client.GetAsync("/health");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Healthy", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public void Web_output_loads_libtorch_and_computes_singular_values()
    {
        using var scope = torch.NewDisposeScope();
        var m = torch.eye(3, dtype: torch.float64) * 4.0;
        Assert.All(torch.linalg.svdvals(m).data<double>().ToArray(), s => Assert.Equal(4.0, s, 12));
    }
}
