using SpecAI.Extensions.Drafting;
using SpecAI.Extensions.Engine;
using SpecAI.Extensions.Sampling;
using SpecAI.Extensions.Tests.TestSupport;

namespace SpecAI.Extensions.Tests.Engine;

public class GenerationSchedulerTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(60);

    [Theory]
    [InlineData(SpeculationMode.None, 1)]
    [InlineData(SpeculationMode.DraftModel, 1)]
    [InlineData(SpeculationMode.MultiDraft, 3)]
    public async Task ConcurrentGreedyRequests_EachEqualsItsOwnRunAlone(SpeculationMode mode, int draftCount)
    {
        var prompts = Enumerable.Range(0, 8).Select(i => new[] { 1 + i % 5, 2, 3 + i % 3, i % 7 }).ToArray();
        GenerationSettings Settings(int i) => new()
        {
            Sampling = SamplingOptions.Greedy,
            MaxTokens = 24,
            Mode = mode,
            DraftLength = 1 + i % 4,
            DraftCount = draftCount,
            Verifier = draftCount > 1 ? VerifierKind.KSeq : VerifierKind.Standard,
            Adaptive = i % 2 == 1,
        };

        // Alone: the engine driven on this thread, one request at a time.
        var alone = new EngineTestKit(16, draftNoise: 1.0);
        var expected = prompts.Select((p, i) => alone.Generate(p, Settings(i))).ToArray();

        var kit = new EngineTestKit(16, draftNoise: 1.0);
        using var scheduler = Start(kit.Engine);
        var results = await Task.WhenAll(prompts.Select((p, i) => Collect(scheduler.GenerateAsync(p, Settings(i), new SpeculationStatistics())))).WaitAsync(Limit);
        for (int i = 0; i < prompts.Length; i++)
        {
            Assert.Equal(expected[i], results[i]);
        }

        // The requests really shared batches: some target batch carried rows of several requests.
        Assert.True(kit.Target.BatchSizes.Max() > (mode == SpeculationMode.None ? 1 : 1 + 4 * draftCount), string.Join(",", kit.Target.BatchSizes));
        Assert.Equal(0, scheduler.RunningCount);
    }

    [Fact]
    public async Task ConcurrentSeededRequests_WithFixedDraftLengths_AreReproducible()
    {
        // Without adaptive drafting a request drafts exactly as configured, alone or not, so a seed fixes its answer.
        var prompts = Enumerable.Range(0, 6).Select(i => new[] { 2 + i % 5, 1, i % 7 }).ToArray();
        GenerationSettings Settings(int i) => new()
        {
            Sampling = new SamplingOptions { Temperature = 1.0, TopP = i % 2 == 0 ? 1.0 : 0.9 },
            Seed = 500 + i,
            MaxTokens = 30,
            Mode = SpeculationMode.DraftModel,
            DraftLength = 1 + i % 4,
        };

        var alone = new EngineTestKit(16, draftNoise: 1.0);
        var expected = prompts.Select((p, i) => alone.Generate(p, Settings(i))).ToArray();
        var kit = new EngineTestKit(16, draftNoise: 1.0);
        using var scheduler = Start(kit.Engine);
        var results = await Task.WhenAll(prompts.Select((p, i) => Collect(scheduler.GenerateAsync(p, Settings(i), new SpeculationStatistics())))).WaitAsync(Limit);
        Assert.Equal(expected, results);
    }

    [Fact]
    public async Task CallFromInsideAStream_RunsAlongside()
    {
        var kit = new EngineTestKit(12);
        using var scheduler = Start(kit.Engine);
        var settings = new GenerationSettings { Sampling = SamplingOptions.Greedy, MaxTokens = 10, Mode = SpeculationMode.DraftModel };
        var expectedInner = kit.Engine.Generate([5, 6], settings, new SpeculationStatistics()).ToArray();
        int[]? inner = null;
        var outer = new List<int>();
        await foreach (int token in scheduler.GenerateAsync([1, 2, 3], settings, new SpeculationStatistics()).WithCancellation(new CancellationTokenSource(Limit).Token))
        {
            outer.Add(token);
            if (outer.Count == 2)
            {
                inner = await Collect(scheduler.GenerateAsync([5, 6], settings, new SpeculationStatistics())).WaitAsync(Limit);
            }
        }

        Assert.Equal(10, outer.Count);
        Assert.Equal(expectedInner, inner);
    }

    [Fact]
    public async Task AbandonedStream_DoesNotBlockOthers_AndIsFreedWhenCollected()
    {
        var kit = new EngineTestKit(12);
        using var scheduler = Start(kit.Engine, maxUnread: 4);
        var settings = new GenerationSettings { Sampling = SamplingOptions.Greedy, MaxTokens = 200, Mode = SpeculationMode.None };
        await AbandonAfterOneToken(scheduler, settings);

        // Later requests run while the abandoned one is paused behind its unread tokens.
        var other = await Collect(scheduler.GenerateAsync([3, 4], settings with { MaxTokens = 20 }, new SpeculationStatistics())).WaitAsync(Limit);
        Assert.Equal(20, other.Length);

        var deadline = DateTime.UtcNow + Limit;
        while (scheduler.RunningCount > 0 && DateTime.UtcNow < deadline)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            await Task.Delay(20);
        }

        Assert.Equal(0, scheduler.RunningCount);
    }

    [Fact]
    public async Task Dispose_DuringStream_EndsItAndFailsQueued_Promptly()
    {
        var kit = new EngineTestKit(12);
        var scheduler = Start(kit.Engine, maxConcurrent: 1);
        var settings = new GenerationSettings { Sampling = SamplingOptions.Greedy, MaxTokens = 100_000, Mode = SpeculationMode.None };
        var running = scheduler.GenerateAsync([1, 2], settings, new SpeculationStatistics()).GetAsyncEnumerator();
        Assert.True(await running.MoveNextAsync());
        var queued = Collect(scheduler.GenerateAsync([2, 3], settings, new SpeculationStatistics()));
        await Task.Delay(50);

        var disposing = Task.Run(scheduler.Dispose);
        await disposing.WaitAsync(Limit);
        var error = await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            while (await running.MoveNextAsync())
            {
            }
        });
        Assert.True(error is OperationCanceledException or ObjectDisposedException, error.ToString());
        await Assert.ThrowsAsync<ObjectDisposedException>(() => queued.WaitAsync(Limit));
        Assert.Throws<ObjectDisposedException>(() => scheduler.GenerateAsync([1], settings, new SpeculationStatistics()));
        await running.DisposeAsync();
    }

    [Fact]
    public async Task Dispose_FromInsideAStream_DoesNotDeadlock()
    {
        var kit = new EngineTestKit(12);
        var scheduler = Start(kit.Engine);
        var settings = new GenerationSettings { Sampling = SamplingOptions.Greedy, MaxTokens = 1000, Mode = SpeculationMode.None };
        var seen = 0;
        var consume = Task.Run(async () =>
        {
            await foreach (int token in scheduler.GenerateAsync([1, 2], settings, new SpeculationStatistics()))
            {
                if (++seen == 3)
                {
                    scheduler.Dispose();
                }
            }
        });
        var error = await Assert.ThrowsAnyAsync<Exception>(() => consume.WaitAsync(Limit));
        Assert.True(error is OperationCanceledException or ObjectDisposedException, error.ToString());
    }

    [Fact]
    public async Task FullQueue_ThrowsTypedException()
    {
        using var gate = new ManualResetEventSlim(false);
        var kit = new EngineTestKit(12, onTargetDecode: _ => gate.Wait(Limit));
        using var scheduler = Start(kit.Engine, maxConcurrent: 1, maxQueued: 1);
        var settings = new GenerationSettings { Sampling = SamplingOptions.Greedy, MaxTokens = 3, Mode = SpeculationMode.None };
        var first = Collect(scheduler.GenerateAsync([1, 2], settings, new SpeculationStatistics()));
        var second = Collect(scheduler.GenerateAsync([2, 3], settings, new SpeculationStatistics()));
        await WaitUntil(() => scheduler.RunningCount == 1 && scheduler.QueuedCount == 1);
        await Assert.ThrowsAsync<RequestQueueFullException>(() => Collect(scheduler.GenerateAsync([3, 4], settings, new SpeculationStatistics())));
        gate.Set();
        Assert.Equal(3, (await first.WaitAsync(Limit)).Length);
        Assert.Equal(3, (await second.WaitAsync(Limit)).Length);
    }

    [Fact]
    public async Task Cancellation_EndsOnlyThatRequest_AndFreesItsSequences()
    {
        // A millisecond per decode: the cancelled request is still running when its token fires.
        var kit = new EngineTestKit(12, onTargetDecode: _ => Thread.Sleep(1));
        using var scheduler = Start(kit.Engine);
        var settings = new GenerationSettings { Sampling = SamplingOptions.Greedy, MaxTokens = 100_000, Mode = SpeculationMode.DraftModel };
        using var cancel = new CancellationTokenSource();
        var cancelled = Collect(scheduler.GenerateAsync([1, 2], settings, new SpeculationStatistics(), cancel.Token));
        var kept = Collect(scheduler.GenerateAsync([4, 5], settings with { MaxTokens = 30 }, new SpeculationStatistics()));
        await Task.Delay(30);
        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled.WaitAsync(Limit));
        Assert.Equal(30, (await kept.WaitAsync(Limit)).Length);
        await WaitUntil(() => scheduler.RunningCount == 0);
        Assert.Equal(kit.Target.MaxSequences, kit.Engine.TargetMemory.AvailableSequences);
    }

    [Fact]
    public async Task RequestsThatDoNotFitTheKvCache_WaitTheirTurn()
    {
        // 4 requests of up to 8 + 100 tokens each in a 256-cell cache: two fit at a time, never three.
        int peak = 0;
        var kit = new EngineTestKit(12, contextSize: 256, onTargetDecode: batch =>
        {
            var sequences = Enumerable.Range(0, batch.Count).SelectMany(i => batch.SequencesAt(i).ToArray()).Distinct().Count();
            peak = Math.Max(peak, sequences);
        });
        using var scheduler = Start(kit.Engine, maxConcurrent: 4);
        var settings = new GenerationSettings { Sampling = SamplingOptions.Greedy, MaxTokens = 100, Mode = SpeculationMode.DraftModel, DraftLength = 4 };
        var results = await Task.WhenAll(Enumerable.Range(0, 4).Select(i => Collect(scheduler.GenerateAsync([1 + i, 2, 3, 4, 5, 6, 7, 8], settings, new SpeculationStatistics())))).WaitAsync(Limit);
        Assert.All(results, r => Assert.Equal(100, r.Length));
        Assert.Equal(2, peak);
    }

    [Fact]
    public async Task Stress_SixteenRequestsWithRandomCancellationAndDispose()
    {
        var kit = new EngineTestKit(16, draftNoise: 1.0);
        var scheduler = Start(kit.Engine, maxConcurrent: 6, maxQueued: 64);
        var random = new Random(7);
        var tasks = new List<Task<int[]>>();
        var sources = new List<CancellationTokenSource>();
        for (int i = 0; i < 16; i++)
        {
            var cancel = new CancellationTokenSource();
            sources.Add(cancel);
            var settings = new GenerationSettings
            {
                Sampling = new SamplingOptions { Temperature = 0.8 },
                Seed = i,
                MaxTokens = 20 + random.Next(60),
                Mode = (SpeculationMode)(i % 3 == 0 ? 0 : i % 3 == 1 ? 1 : 2),
                DraftLength = 1 + random.Next(4),
                DraftCount = 2,
                Verifier = i % 3 == 2 ? VerifierKind.RecursiveRejectionWithoutReplacement : VerifierKind.Standard,
            };
            tasks.Add(Collect(scheduler.GenerateAsync([1 + i % 9, 2, 3], settings, new SpeculationStatistics(), cancel.Token)));
            if (random.Next(3) == 0)
            {
                cancel.CancelAfter(random.Next(1, 40));
            }
        }

        await Task.Delay(200);
        scheduler.Dispose();
        foreach (var task in tasks)
        {
            try
            {
                await task.WaitAsync(Limit);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
            {
            }
        }

        Assert.All(tasks, t => Assert.True(t.IsCompleted));
        foreach (var source in sources)
        {
            source.Dispose();
        }
    }

    private static GenerationScheduler Start(SpeculativeEngine engine, int maxConcurrent = 8, int maxQueued = 32, int maxUnread = 256)
    {
        var scheduler = new GenerationScheduler(new GenerationSchedulerOptions { MaxConcurrentRequests = maxConcurrent, MaxQueuedRequests = maxQueued, MaxUnreadTokens = maxUnread });
        scheduler.Attach(engine);
        return scheduler;
    }

    private static async Task<int[]> Collect(IAsyncEnumerable<int> tokens)
    {
        var list = new List<int>();
        await foreach (int token in tokens.ConfigureAwait(false))
        {
            list.Add(token);
        }

        return list.ToArray();
    }

    private static async Task AbandonAfterOneToken(GenerationScheduler scheduler, GenerationSettings settings)
        => Assert.True(await FirstToken(scheduler, settings));

    // Not async and not inlined: nothing but the scheduler's weak reference sees the enumerator once this returns.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static Task<bool> FirstToken(GenerationScheduler scheduler, GenerationSettings settings)
        => scheduler.GenerateAsync([1, 2], settings, new SpeculationStatistics()).GetAsyncEnumerator().MoveNextAsync().AsTask();

    private static async Task WaitUntil(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + Limit;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "Timed out waiting for the scheduler.");
            await Task.Delay(5);
        }
    }
}
