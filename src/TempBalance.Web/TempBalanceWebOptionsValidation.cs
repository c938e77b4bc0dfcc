using System.Net;
using Microsoft.Extensions.Options;

namespace TempBalance.Web;

/// <summary>Checks the "TempBalance" section at start; every message names the setting to change and its value.</summary>
public sealed class TempBalanceWebOptionsValidation : IValidateOptions<TempBalanceWebOptions>
{
    const string S = TempBalanceWebOptions.Section;

    public ValidateOptionsResult Validate(string? name, TempBalanceWebOptions options)
    {
        var errors = new List<string>();
        void Check(bool ok, string message)
        {
            if (!ok) errors.Add(message);
        }

        Check(!string.IsNullOrWhiteSpace(options.DataDirectory), $"{S}:DataDirectory is empty; set it to a writable folder such as 'data'.");
        Check(options.UsesSqlite || options.UsesPostgres,
            $"{S}:Database is '{options.Database}'; use 'sqlite' or 'postgres'.");
        Check(options.Workers is null or >= 1, $"{S}:Workers is {options.Workers}; use 1 or more, or leave it empty for one per CUDA device.");
        Check(options.HeartbeatInterval > TimeSpan.Zero, $"{S}:HeartbeatInterval is {options.HeartbeatInterval}; use a positive time such as 00:00:10.");
        Check(options.StaleRunTimeout > options.HeartbeatInterval,
            $"{S}:StaleRunTimeout ({options.StaleRunTimeout}) must be longer than {S}:HeartbeatInterval ({options.HeartbeatInterval}), or every run would look stale.");
        Check(options.SweepInterval > TimeSpan.Zero, $"{S}:SweepInterval is {options.SweepInterval}; use a positive time such as 00:00:30.");
        Check(options.ShutdownTimeout >= TimeSpan.Zero, $"{S}:ShutdownTimeout is {options.ShutdownTimeout}; use 0 or a positive time such as 00:01:00.");
        Check(options.Queue.PollInterval > TimeSpan.Zero, $"{S}:Queue:PollInterval is {options.Queue.PollInterval}; use a positive time such as 00:00:15.");
        // A job handed to another worker before the run's heartbeat is stale would find the run still claimed
        // and leave it; the run would wait for a person to resume it.
        Check(options.Queue.InvisibilityTimeout > options.StaleRunTimeout,
            $"{S}:Queue:InvisibilityTimeout ({options.Queue.InvisibilityTimeout}) must be longer than {S}:StaleRunTimeout ({options.StaleRunTimeout}), or a killed worker's run would not be resumed by another.");
        if (!NodeRoles.TryParse(options.Role, out var role))
            errors.Add($"{S}:Role is '{options.Role}'; use 'all', 'web' or 'worker'.");
        else if (role != NodeRole.All)
        {
            Check(options.UsesPostgres,
                $"{S}:Role is '{options.Role}', which needs the database and job queue that every node shares: set {S}:Database to 'postgres' (and ConnectionStrings:TempBalance); it is '{options.Database}'.");
            Check(!string.IsNullOrWhiteSpace(options.Redis),
                $"{S}:Role is '{options.Role}', which needs Redis to carry live updates and cancel requests between nodes: set {S}:Redis to a connection string such as 'redis:6379'.");
        }
        Check(options.MinFreeSpaceMegabytes >= 0, $"{S}:MinFreeSpaceMegabytes is {options.MinFreeSpaceMegabytes}; use 0 or more.");

        var limits = options.Limits;
        const string L = S + ":Limits";
        Check(limits.MaxEpochs >= 1, $"{L}:MaxEpochs is {limits.MaxEpochs}; use 1 or more.");
        Check(limits.MaxWidthFactor > 0 && double.IsFinite(limits.MaxWidthFactor), $"{L}:MaxWidthFactor is {limits.MaxWidthFactor}; use a positive number such as 8.");
        Check(limits.MaxBatchSize >= 1, $"{L}:MaxBatchSize is {limits.MaxBatchSize}; use 1 or more.");
        Check(limits.MaxSubset >= 1, $"{L}:MaxSubset is {limits.MaxSubset}; use 1 or more.");
        Check(limits.MaxSeeds >= 1, $"{L}:MaxSeeds is {limits.MaxSeeds}; use 1 or more.");
        Check(limits.MaxQueuedRunsPerUser >= 1, $"{L}:MaxQueuedRunsPerUser is {limits.MaxQueuedRunsPerUser}; use 1 or more.");
        Check(limits.RunCreationsPerMinute >= 1, $"{L}:RunCreationsPerMinute is {limits.RunCreationsPerMinute}; use 1 or more.");
        Check(limits.MaxRequestBodyBytes >= 1024, $"{L}:MaxRequestBodyBytes is {limits.MaxRequestBodyBytes}; use at least 1024 (a run request is a few KB).");

        Check(options.Diagnosis.MaxUploadBytes is >= 1024 and <= 1L << 40,
            $"{S}:Diagnosis:MaxUploadBytes is {options.Diagnosis.MaxUploadBytes}; use a size in bytes from 1024 to 1099511627776 (1 TiB), such as 2147483648.");

        foreach (var proxy in options.ForwardedHeaders.KnownProxies)
            Check(IPAddress.TryParse(proxy, out _), $"{S}:ForwardedHeaders:KnownProxies has '{proxy}', which is not an IP address.");
        foreach (var network in options.ForwardedHeaders.KnownNetworks)
            Check(System.Net.IPNetwork.TryParse(network, out var parsed) && parsed.PrefixLength > 0,
                $"{S}:ForwardedHeaders:KnownNetworks has '{network}', which is not a network in CIDR notation other than the whole internet (such as 10.0.0.0/8).");

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
