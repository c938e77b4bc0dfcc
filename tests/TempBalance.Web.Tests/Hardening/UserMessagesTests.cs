using TempBalance.Web.Runs;

namespace TempBalance.Web.Tests.Hardening;

public sealed class UserMessagesTests
{
    static readonly string[] Roots = ["/srv/tb/datasets", "/usr/share/datasets", "/srv/tb/data"];

    [Theory]
    [InlineData("Dataset 'cifar100' is missing /srv/tb/datasets/cifar-100-python/train. Put its files into /srv/tb/datasets/cifar-100-python or /usr/share/datasets/cifar-100-python (source: https://www.cs.toronto.edu/~kriz/cifar.html).",
        "Dataset 'cifar100' is missing cifar-100-python/train. Put its files into cifar-100-python (source: https://www.cs.toronto.edu/~kriz/cifar.html).")]
    [InlineData("Could not find a part of the path '/srv/tb/data/runs/12/checkpoint.bin'.", "Could not find a part of the path 'runs/12/checkpoint.bin'.")]
    [InlineData("libtorch failed in /opt/app/native/libtorch_cpu.so: bad alloc", "libtorch failed in libtorch_cpu.so: bad alloc")]
    [InlineData("lr 1/2 of 0.1 and ratio 0.5/1.5 stay", "lr 1/2 of 0.1 and ratio 0.5/1.5 stay")]
    [InlineData("InvalidOperationException: boom\n   at TempBalance.Core.Training.Trainer.Run(CancellationToken token)\n   at X.Y()", "InvalidOperationException: boom")]
    public void Messages_keep_their_words_and_lose_server_paths_and_traces(string message, string expected) =>
        Assert.Equal(expected, UserMessages.Clean(message, Roots));

    [Fact]
    public void Long_messages_are_cut_to_what_the_database_stores()
    {
        var cleaned = UserMessages.Clean(new string('x', 10_000), Roots);
        Assert.Equal(UserMessages.MaxLength, cleaned.Length);
        Assert.EndsWith("…", cleaned);
    }
}
