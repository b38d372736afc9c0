using Images.Application.Common;
using Images.Application.Images.Process;
using Microsoft.Extensions.Options;

namespace Images.Tests.Application;

public class ProcessingGateTests
{
    private const long MiB = 1024 * 1024;

    private static ProcessingGate Gate(int workers = 4, int memoryMegabytes = 512) =>
        new(Options.Create(new ProcessingOptions { MaxWorkers = workers, MaxDecodeMemoryMegabytes = memoryMegabytes }));

    [Fact]
    public async Task DecodesWhoseMemoryDoesNotFitTogetherWaitForEachOther_NFR8()
    {
        var gate = Gate();
        var first = await gate.EnterAsync(400 * MiB, CancellationToken.None);
        var second = gate.EnterAsync(300 * MiB, CancellationToken.None);
        var small = gate.EnterAsync(1 * MiB, CancellationToken.None);

        // Nothing else releases memory here: a waiter that was not admitted at once is still waiting.
        Assert.False(second.IsCompleted, "400 + 300 MiB is over the 512 MiB pool");
        Assert.False(small.IsCompleted, "waiters are served in order: a small decode does not overtake a large one");

        first.Dispose();
        using var admitted = await second.WaitAsync(TimeSpan.FromSeconds(5));
        using var alsoAdmitted = await small.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(2, gate.InUse);
    }

    [Fact]
    public async Task SlotsBoundConcurrencyWhateverTheMemory_NFR3()
    {
        var gate = Gate(workers: 2);
        using var a = await gate.EnterAsync(MiB, CancellationToken.None);
        using var b = await gate.EnterAsync(MiB, CancellationToken.None);
        var c = gate.EnterAsync(MiB, CancellationToken.None);
        Assert.False(c.IsCompleted);
        a.Dispose();
        (await c.WaitAsync(TimeSpan.FromSeconds(5))).Dispose();
    }

    [Fact]
    public async Task ACancelledWaiterLeavesTheQueueAndLetsTheNextIn()
    {
        var gate = Gate(memoryMegabytes: 100);
        var held = await gate.EnterAsync(80 * MiB, CancellationToken.None);
        using var cancel = new CancellationTokenSource();
        var large = gate.EnterAsync(90 * MiB, cancel.Token);
        var small = gate.EnterAsync(10 * MiB, CancellationToken.None);

        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => large);
        (await small.WaitAsync(TimeSpan.FromSeconds(5))).Dispose();
        held.Dispose();
        Assert.Equal(0, gate.InUse);
    }
}
