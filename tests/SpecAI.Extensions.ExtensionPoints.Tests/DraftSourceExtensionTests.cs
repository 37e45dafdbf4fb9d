using SpecAI.Extensions.Drafting;
using SpecAI.Extensions.Engine;
using SpecAI.Extensions.Sampling;
using SpecAI.Extensions.Testing;

namespace SpecAI.Extensions.ExtensionPoints.Tests;

/// <summary><see cref="IDraftSource"/> as an extension point: a drafter of one's own, told about every commit.</summary>
public sealed class DraftSourceExtensionTests
{
    private const int Vocabulary = 12;
    private static readonly int[] Prompt = [1, 5, 7];

    [Fact]
    public void ACustomDrafter_AloneOrBeforeTheDraftModel_KeepsTheAnswerAndHearsEveryCommit()
    {
        // An engine owns its sessions' caches: each engine here gets sessions of its own.
        var expected = new SpeculativeEngine(new ContextModelSession("target", Vocabulary, salt: 0))
            .Generate(Prompt, new GenerationSettings { Sampling = SamplingOptions.Greedy, Mode = SpeculationMode.None, MaxTokens = 50 }, new SpeculationStatistics())
            .ToArray();
        var engines = new[]
        {
            (new SpeculativeEngine(new ContextModelSession("target", Vocabulary, salt: 0)), SpeculationMode.PromptLookup),
            (new SpeculativeEngine(new ContextModelSession("target", Vocabulary, salt: 0), new ContextModelSession("draft", Vocabulary, salt: 7)), SpeculationMode.DraftModel),
        };

        foreach (var (engine, mode) in engines)
        {
            var drafter = new ScriptDrafter(expected, wrongEvery: 3);
            var statistics = new SpeculationStatistics();
            var settings = new GenerationSettings { Sampling = SamplingOptions.Greedy, Mode = mode, DraftLength = 4, MaxTokens = 50, DraftSource = drafter };

            var answer = engine.Generate(Prompt, settings, statistics).ToArray();

            Assert.Equal(expected, answer);
            Assert.True(drafter.Drafts > 0 && statistics.AcceptedTokens > 0, $"{mode}: the custom drafter's tokens were never accepted");
            Assert.True(statistics.AcceptedTokens < statistics.DraftedTokens, $"{mode}: every third drafted token is wrong, yet nothing was rejected");
            Assert.Equal(drafter.Drafts, drafter.Commits.Count);
            Assert.Equal([.. Prompt, .. answer], drafter.Commits[^1]);
            for (int i = 1; i < drafter.Commits.Count; i++)
            {
                Assert.True(drafter.Commits[i].Length > drafter.Commits[i - 1].Length, $"{mode}: commit {i} added nothing");
                Assert.Equal(drafter.Commits[i - 1], drafter.Commits[i][..drafter.Commits[i - 1].Length]);
            }
        }
    }

    [Fact]
    public void ACustomDeterministicDrafter_AtTemperatureOne_SamplesTheTargetsLaw()
    {
        using var target = new ContextModelSession("target", Vocabulary, salt: 0, sharpness: 1.5);
        var engine = new SpeculativeEngine(target);
        const int samples = 4000;
        var counts = new long[Vocabulary];
        for (int i = 0; i < samples; i++)
        {
            // Always proposes 4, 4: accepted with probability p(4) at each node, otherwise the residual decides.
            var settings = new GenerationSettings { Mode = SpeculationMode.PromptLookup, DraftLength = 2, MaxTokens = 2, Seed = 5000 + i, DraftSource = new ConstantDrafter(4) };
            counts[engine.Generate(Prompt, settings, new SpeculationStatistics()).ToArray()[1]]++;
        }

        var (_, _, pValue) = ChiSquare.Test(counts, target.LawAt(Prompt, 1));
        Assert.True(pValue > 1e-4, $"chi-square p = {pValue}");
    }

    /// <summary>Drafts the known answer, with every <c>wrongEvery</c>-th drafted token replaced by another.</summary>
    private sealed class ScriptDrafter(int[] script, int wrongEvery) : IDraftSource
    {
        private int _drafted;

        public int Drafts { get; private set; }

        public List<int[]> Commits { get; } = new();

        public void Draft(DraftRequest request, DraftTree tree, int draftLength)
        {
            Drafts++;
            for (int i = 0; i < draftLength && request.GeneratedCount + i < script.Length; i++)
            {
                int token = script[request.GeneratedCount + i];
                tree.Extend(0, ++_drafted % wrongEvery == 0 ? (token + 1) % Vocabulary : token);
            }
        }

        public void Commit(int winnerBranch, int pathLength, ReadOnlySpan<int> committed) => Commits.Add(committed.ToArray());

        public void Reset()
        {
        }
    }

    private sealed class ConstantDrafter(int token) : IDraftSource
    {
        public void Draft(DraftRequest request, DraftTree tree, int draftLength)
        {
            for (int i = 0; i < draftLength; i++)
            {
                tree.Extend(0, token);
            }
        }

        public void Commit(int winnerBranch, int pathLength, ReadOnlySpan<int> committed)
        {
        }

        public void Reset()
        {
        }
    }
}
