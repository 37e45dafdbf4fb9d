using SpecAI.Extensions.Drafting;
using SpecAI.Extensions.Engine;
using SpecAI.Extensions.Sampling;

namespace SpecAI.Extensions.Tests.Engine;

/// <summary>A draft source of the caller's own, plugged in through <see cref="GenerationSettings.DraftSource"/> (public API only).</summary>
public class CustomDraftSourceTests
{
    [Theory]
    [InlineData(SpeculationMode.DraftModel, 0)]
    [InlineData(SpeculationMode.DraftModel, 2)]
    [InlineData(SpeculationMode.PromptLookup, 2)]
    public void CustomSource_IsDraftedFrom_AndHearsEveryCommit(SpeculationMode mode, int proposals)
    {
        var settings = new GenerationSettings { Seed = 11, MaxTokens = 30, Mode = mode, DraftLength = 4, Verifier = VerifierKind.RecursiveRejection, Sampling = new SamplingOptions { Temperature = 0.8 } };
        var source = new RecordingSource(proposals);
        var statistics = new SpeculationStatistics();
        var kit = new EngineTestKit(12);
        var answer = kit.Generate([1, 2, 3], settings with { DraftSource = source }, statistics);

        Assert.Equal(30, answer.Length);
        Assert.True(source.Drafts > 0);

        // It hears the commit of every step (also those where nothing was drafted), each carrying all committed tokens.
        Assert.True(source.Commits.Count >= source.Drafts);
        Assert.Equal([1, 2, 3], source.Commits[0][..3]);
        for (int i = 1; i < source.Commits.Count; i++)
        {
            Assert.True(source.Commits[i].Length > source.Commits[i - 1].Length);
            Assert.Equal(source.Commits[i - 1], source.Commits[i][..source.Commits[i - 1].Length]);
        }

        Assert.Equal([1, 2, 3, .. answer], source.Commits[^1]);
        if (proposals == 0)
        {
            // A source that proposes nothing leaves the draft model's answer as it was (same draws).
            Assert.Equal(new EngineTestKit(12).Generate([1, 2, 3], settings), answer);
        }
        else if (mode == SpeculationMode.PromptLookup)
        {
            // It replaces prompt lookup: every drafted token is its own.
            Assert.True(source.Proposed > 0);
            Assert.Equal(source.Proposed, statistics.DraftedTokens);
        }
        else
        {
            // The draft model fills the rest of the length below its proposals.
            Assert.True(statistics.DraftedTokens > source.Proposed, $"{statistics.DraftedTokens} drafted, {source.Proposed} by the custom source");
        }
    }

    [Theory]
    [InlineData(SpeculationMode.MultiDraft)]
    [InlineData(SpeculationMode.Judge)]
    public void CustomSource_WithSeveralRootBranches_IsRejected(SpeculationMode mode)
    {
        var settings = new GenerationSettings { Mode = mode, DraftCount = 2, DraftSource = new RecordingSource(1) };
        Assert.Throws<ArgumentException>(() => new EngineTestKit(12).Generate([1, 2], settings));
    }

    [Fact]
    public async Task SharedBatchedSource_DraftsForConcurrentRequestsInOnePass_AndHearsEachCommit()
    {
        var prompts = Enumerable.Range(0, 6).Select(i => new[] { 1 + i % 5, 2, 3 + i % 3, i % 7 }).ToArray();
        var settings = new GenerationSettings { Sampling = SamplingOptions.Greedy, MaxTokens = 20, Mode = SpeculationMode.DraftModel, DraftLength = 3 };

        // Greedy verification keeps the target's greedy answer whatever is drafted.
        var plain = new EngineTestKit(16);
        var expected = prompts.Select(p => plain.Generate(p, settings with { Mode = SpeculationMode.None })).ToArray();

        var source = new RepeatingBatchSource();
        var engine = new SpeculativeEngine(new EngineTestKit(16).Target, source);
        var scheduler = new GenerationScheduler(new GenerationSchedulerOptions { MaxConcurrentRequests = 8 });
        using (scheduler)
        {
            scheduler.Attach(engine);
            var answers = await Task.WhenAll(prompts.Select(p => Collect(scheduler.GenerateAsync(p, settings, new SpeculationStatistics())))).WaitAsync(TimeSpan.FromSeconds(60));
            for (int i = 0; i < prompts.Length; i++)
            {
                Assert.Equal(expected[i], answers[i]);
            }
        }

        Assert.True(source.LargestPass > 1, $"largest pass {source.LargestPass}");
        Assert.True(source.Drafted > 0);
        Assert.Empty(source.Unheard);
        Assert.Equal(0, source.HeardTwice);
    }

    private static async Task<int[]> Collect(IAsyncEnumerable<int> tokens)
    {
        var list = new List<int>();
        await foreach (int token in tokens.ConfigureAwait(false))
        {
            list.Add(token);
        }

        return [.. list];
    }

    /// <summary>One instance for every request (the engine's source): drafts for all in one call and checks each drafted step is committed once.</summary>
    private sealed class RepeatingBatchSource : IDraftSource
    {
        public int LargestPass { get; private set; }

        public int Drafted { get; private set; }

        public int HeardTwice { get; private set; }

        public HashSet<DraftStep> Unheard { get; } = [];

        private readonly HashSet<DraftStep> _heard = [];

        public void DraftBatch(IReadOnlyList<DraftStep> steps)
        {
            LargestPass = Math.Max(LargestPass, steps.Count(s => s.DraftLength > 0));
            foreach (var step in steps)
            {
                if (step.DraftLength > 0)
                {
                    Draft(step.Request, step.Tree, step.DraftLength);
                    Unheard.Add(step);
                }
            }
        }

        public void Commit(DraftStep step, int winnerBranch, int pathLength, ReadOnlySpan<int> committed)
        {
            Unheard.Remove(step);
            HeardTwice += _heard.Add(step) ? 0 : 1;
        }

        public void Draft(DraftRequest request, DraftTree tree, int draftLength)
        {
            Drafted++;
            for (int i = 0; i < draftLength; i++)
            {
                tree.Extend(0, request.Committed[^1]);
            }
        }

        public void Commit(int winnerBranch, int pathLength, ReadOnlySpan<int> committed) => throw new InvalidOperationException("The engine reports commits per step.");

        public void Reset()
        {
        }
    }

    /// <summary>Proposes the next token ids after the last committed one and records every call.</summary>
    private sealed class RecordingSource(int proposals) : IDraftSource
    {
        public int Drafts { get; private set; }

        public int Proposed { get; private set; }

        public List<int[]> Commits { get; } = [];

        public void Draft(DraftRequest request, DraftTree tree, int draftLength)
        {
            Drafts++;
            int last = request.Committed[^1];
            for (int i = 0; i < Math.Min(proposals, draftLength); i++)
            {
                tree.Extend(0, (last + 1 + i) % 12);
                Proposed++;
            }
        }

        public void Commit(int winnerBranch, int pathLength, ReadOnlySpan<int> committed) => Commits.Add(committed.ToArray());

        public void Reset()
        {
        }
    }
}
