namespace TempBalance.Web.Tests.Browser;

/// <summary>
/// Browser tests run one class at a time and after the parallel collections: Hangfire keeps its log provider
/// in a process-wide global that points at the last started host, and a host of another test class disposed
/// meanwhile makes job creation fail. Alone, they also get the CPU the live charts need.
/// </summary>
[CollectionDefinition("Browser", DisableParallelization = true)]
public sealed class BrowserCollection;
