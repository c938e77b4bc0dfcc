using TempBalance.Web.Live;

namespace TempBalance.Web.Tests.MultiNode;

/// <summary>The role settings are checked at start, with messages that name the setting to change.</summary>
public sealed class NodeRoleSettingsTests
{
    readonly TempBalanceWebOptionsValidation _validation = new();

    [Theory]
    [InlineData("web")]
    [InlineData("worker")]
    public void Web_and_worker_roles_need_the_shared_postgres_database_and_redis(string role)
    {
        var failures = _validation.Validate(null, new TempBalanceWebOptions { Role = role }).Failures!.ToList();

        Assert.Contains($"TempBalance:Role is '{role}', which needs the database and job queue that every node shares: set TempBalance:Database to 'postgres' (and ConnectionStrings:TempBalance); it is 'sqlite'.", failures);
        Assert.Contains($"TempBalance:Role is '{role}', which needs Redis to carry live updates and cancel requests between nodes: set TempBalance:Redis to a connection string such as 'redis:6379'.", failures);
        Assert.True(_validation.Validate(null, new TempBalanceWebOptions { Role = role, Database = "postgres", Redis = "redis:6379" }).Succeeded);
    }

    [Fact]
    public void An_unknown_role_and_a_queue_timeout_shorter_than_the_stale_run_timeout_are_refused()
    {
        var failures = _validation.Validate(null, new TempBalanceWebOptions
        {
            Role = "trainer",
            StaleRunTimeout = TimeSpan.FromMinutes(10),
            Queue = new QueueOptions { InvisibilityTimeout = TimeSpan.FromMinutes(5), PollInterval = TimeSpan.Zero },
        }).Failures!.ToList();

        Assert.Contains("TempBalance:Role is 'trainer'; use 'all', 'web' or 'worker'.", failures);
        Assert.Contains(failures, f => f.StartsWith("TempBalance:Queue:InvisibilityTimeout (00:05:00) must be longer than TempBalance:StaleRunTimeout (00:10:00)", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("TempBalance:Queue:PollInterval is 00:00:00;", StringComparison.Ordinal));
        Assert.True(_validation.Validate(null, new TempBalanceWebOptions()).Succeeded);
    }

    [Theory]
    [InlineData(null, NodeRole.All)]
    [InlineData("ALL", NodeRole.All)]
    [InlineData(" web ", NodeRole.Web)]
    [InlineData("Worker", NodeRole.Worker)]
    public void Roles_are_read_without_regard_to_case(string? value, NodeRole expected)
    {
        Assert.True(NodeRoles.TryParse(value, out var role));
        Assert.Equal(expected, role);
        Assert.Equal(expected != NodeRole.Worker, role.ServesPages());
        Assert.Equal(expected != NodeRole.Web, role.Trains());
    }

    [Fact]
    public void A_message_this_version_cannot_read_is_refused_with_a_json_error()
    {
        Assert.Throws<System.Text.Json.JsonException>(() => RunUpdateCodec.Decode("""{"origin":"x","kind":"Teleported","update":{}}"""));
    }
}
