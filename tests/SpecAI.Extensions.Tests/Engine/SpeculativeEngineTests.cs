using SpecAI.Extensions.Engine;
using SpecAI.Extensions.Sampling;
using SpecAI.Extensions.Tests.TestSupport;

namespace SpecAI.Extensions.Tests.Engine;

public class SpeculativeEngineTests
{
    [Theory]
    [InlineData(1, 1)]
    [InlineData(4, 1)]
    [InlineData(3, 3)]
    [InlineData(5, 4)]
    public void Greedy_SpeculativeEqualsPlainDecoding(int draftLength, int draftCount)
    {
        var plain = new EngineTestKit(16, draftNoise: 1.0);
        var speculative = new EngineTestKit(16, draftNoise: 1.0);
        int[] prompt = [3, 1, 4];
        var baseline = plain.Generate(prompt, new GenerationSettings { Sampling = SamplingOptions.Greedy, MaxTokens = 40, Mode = SpeculationMode.None });
        var statistics = new SpeculationStatistics();
        var result = speculative.Generate(prompt, new GenerationSettings
        {
            Sampling = SamplingOptions.Greedy,
            MaxTokens = 40,
            Mode = draftCount > 1 ? SpeculationMode.MultiDraft : SpeculationMode.DraftModel,
            DraftLength = draftLength,
            DraftCount = draftCount,
        }, statistics);
        Assert.Equal(baseline, result);
        Assert.True(statistics.TargetCalls < 40, statistics.ToString());
        Assert.Equal(40, statistics.GeneratedTokens);
    }

    [Fact]
    public void ModeNone_OneTargetCallPerToken()
    {
        var kit = new EngineTestKit(8);
        var statistics = new SpeculationStatistics();
        var tokens = kit.Generate([1, 2], new GenerationSettings { Mode = SpeculationMode.None, MaxTokens = 10, Seed = 1 }, statistics);
        Assert.Equal(10, tokens.Length);
        Assert.Equal(10, statistics.TargetCalls);
        Assert.Equal(0, statistics.DraftedTokens);
        Assert.Equal(0, kit.Draft.DecodeCalls);
    }

    [Fact]
    public void StopToken_EndsGenerationAfterCommittingIt()
    {
        var kit = new EngineTestKit(8);
        var all = kit.Generate([1, 2], new GenerationSettings { Sampling = SamplingOptions.Greedy, MaxTokens = 30 });
        int stop = all[5];
        int first = Array.IndexOf(all, stop);
        var stopped = kit.Generate([1, 2], new GenerationSettings { Sampling = SamplingOptions.Greedy, MaxTokens = 30, StopTokens = new HashSet<int> { stop } });
        Assert.Equal(all.Take(first + 1), stopped);
    }

    [Fact]
    public void FollowUpTurn_DecodesOnlyTheNewTokens()
    {
        var kit = new EngineTestKit(8);
        int[] prompt = Enumerable.Range(0, 40).Select(i => i % 8).ToArray();
        var first = kit.Generate(prompt, new GenerationSettings { Sampling = SamplingOptions.Greedy, MaxTokens = 5 });
        int decodedBefore = kit.Target.DecodedTokens;
        int[] followUp = prompt.Concat(first).Concat(new[] { 1, 2, 3 }).ToArray();
        var statistics = new SpeculationStatistics();
        kit.Generate(followUp, new GenerationSettings { Sampling = SamplingOptions.Greedy, MaxTokens = 1, Mode = SpeculationMode.None }, statistics);

        // 3 new prompt tokens (the last one as the pending token), plus the last answer token that the cache held back.
        Assert.True(kit.Target.DecodedTokens - decodedBefore <= 4, $"decoded {kit.Target.DecodedTokens - decodedBefore} tokens");
    }

    [Fact]
    public void StoppingEnumerationEarly_LeavesCacheConsistentForNextCall()
    {
        var kit = new EngineTestKit(8);
        var settings = new GenerationSettings { Sampling = new SamplingOptions(), Seed = 4, MaxTokens = 50, DraftLength = 4 };
        var partial = kit.Engine.Generate([1, 2, 3], settings, new SpeculationStatistics()).Take(7).ToArray();
        Assert.Equal(7, partial.Length);

        // Positions are checked by the fake cache; a stale entry would throw here.
        var again = kit.Generate([1, 2, 3], settings);
        var fresh = new EngineTestKit(8).Generate([1, 2, 3], settings);
        Assert.Equal(fresh, again);
    }

    [Fact]
    public void Cancellation_ThrowsAndEngineStillWorks()
    {
        var kit = new EngineTestKit(8);
        using var cts = new CancellationTokenSource();
        var settings = new GenerationSettings { Seed = 2, MaxTokens = 100 };
        var enumerator = kit.Engine.Generate([1, 2], settings, new SpeculationStatistics(), cts.Token).GetEnumerator();
        Assert.True(enumerator.MoveNext());
        cts.Cancel();
        Assert.Throws<OperationCanceledException>(() =>
        {
            while (enumerator.MoveNext())
            {
            }
        });
        enumerator.Dispose();
        Assert.Equal(new EngineTestKit(8).Generate([1, 2], settings with { MaxTokens = 10 }), kit.Generate([1, 2], settings with { MaxTokens = 10 }));
    }

    [Fact]
    public void MultiDraft_NonUnifiedCache_ThrowsTypedErrorWithoutCopying()
    {
        var kit = new EngineTestKit(8, unified: false);
        var ex = Assert.Throws<InvalidOperationException>(() => kit.Generate([1, 2], new GenerationSettings
        {
            Sampling = SamplingOptions.Greedy, Mode = SpeculationMode.MultiDraft, DraftCount = 3, MaxTokens = 5,
        }));
        Assert.Contains("unified", ex.Message);

        // The engine recovers: single-draft speculation still works on the same sessions.
        Assert.Equal(5, kit.Generate([1, 2], new GenerationSettings { Sampling = SamplingOptions.Greedy, MaxTokens = 5 }).Length);
    }

    [Fact]
    public void BadInput_ThrowsTypedExceptions()
    {
        var kit = new EngineTestKit(8);
        Assert.Throws<ArgumentException>("prompt", () => kit.Engine.Generate([], new GenerationSettings(), new SpeculationStatistics()));
        Assert.Throws<ArgumentOutOfRangeException>("DraftLength", () => kit.Engine.Generate([1], new GenerationSettings { DraftLength = -1 }, new SpeculationStatistics()));
        Assert.Throws<ArgumentOutOfRangeException>("Temperature", () => kit.Engine.Generate([1], new GenerationSettings { Sampling = new SamplingOptions { Temperature = -1 } }, new SpeculationStatistics()));
        var noDraft = new SpeculativeEngine(kit.Target);
        Assert.Throws<InvalidOperationException>(() => noDraft.Generate([1], new GenerationSettings { Mode = SpeculationMode.DraftModel }, new SpeculationStatistics()));
    }

    [Fact]
    public void SmallBatch_DraftLengthShrinksToFit()
    {
        var kit = new EngineTestKit(8, maxBatchSize: 3);
        var statistics = new SpeculationStatistics();
        kit.Generate([1, 2, 3, 4, 5, 6], new GenerationSettings { Seed = 1, MaxTokens = 20, DraftLength = 8 }, statistics);
        Assert.All(kit.Target.BatchSizes, size => Assert.True(size <= 3));
        Assert.Equal(20, statistics.GeneratedTokens);
    }
}
