using SpecAI.Extensions.Engine;
using SpecAI.Extensions.Sampling;
using SpecAI.Extensions.Testing;

namespace SpecAI.Extensions.ExtensionPoints.Tests;

/// <summary>
/// <see cref="IModelSession"/> as an extension point: another backend plugged into the public
/// <see cref="SpeculativeEngine"/>, for both the target and the draft model.
/// </summary>
public sealed class ModelSessionExtensionTests
{
    private const int Vocabulary = 12;
    private static readonly int[] Prompt = [1, 5, 7];

    [Fact]
    public void PlainDecoding_OnACustomBackend_FollowsItsGreedyChain()
    {
        using var target = new ContextModelSession("target", Vocabulary, salt: 0);
        var engine = new SpeculativeEngine(target);
        var settings = new GenerationSettings { Sampling = SamplingOptions.Greedy, Mode = SpeculationMode.None, MaxTokens = 40 };

        var answer = engine.Generate(Prompt, settings, new SpeculationStatistics()).ToArray();

        Assert.Equal(GreedyChain(target, 40), answer);
    }

    [Theory]
    [InlineData(SpeculationMode.DraftModel, 1)]
    [InlineData(SpeculationMode.MultiDraft, 3)]
    public void Speculation_WithACustomDraftSession_KeepsTheGreedyAnswerAndUsesTheDrafts(SpeculationMode mode, int draftCount)
    {
        using var target = new ContextModelSession("target", Vocabulary, salt: 0);
        using var draft = new ContextModelSession("draft", Vocabulary, salt: 7);
        var engine = new SpeculativeEngine(target, draft);
        var statistics = new SpeculationStatistics();
        var settings = new GenerationSettings
        {
            Sampling = SamplingOptions.Greedy,
            Mode = mode,
            DraftLength = 4,
            DraftCount = draftCount,
            MaxTokens = 60,
        };

        var answer = engine.Generate(Prompt, settings, statistics).ToArray();

        Assert.Equal(GreedyChain(target, 60), answer);
        Assert.True(statistics.DraftedTokens > 0, "the draft session drafted nothing");
        Assert.InRange(statistics.AcceptedTokens, 1, statistics.DraftedTokens - 1);
        Assert.True(statistics.TargetCalls < 60, $"{statistics.TargetCalls} target calls for 60 tokens: no draft was ever accepted in a batch");
    }

    [Fact]
    public void DraftModelSpeculation_WithCustomSessions_SamplesTheTargetsLaw()
    {
        // Third token after a two-token draft: its law mixes accepted and rejected drafts of the first two.
        using var target = new ContextModelSession("target", Vocabulary, salt: 0, sharpness: 1.5);
        using var draft = new ContextModelSession("draft", Vocabulary, salt: 7, sharpness: 1.5);
        var engine = new SpeculativeEngine(target, draft);
        const int samples = 4000;
        var counts = new long[Vocabulary];
        var statistics = new SpeculationStatistics();
        for (int i = 0; i < samples; i++)
        {
            var settings = new GenerationSettings { Mode = SpeculationMode.DraftModel, DraftLength = 3, MaxTokens = 3, Seed = 1000 + i };
            var answer = engine.Generate(Prompt, settings, statistics).ToArray();
            counts[answer[2]]++;
        }

        var law = target.LawAt(Prompt, 2);
        var (_, _, pValue) = ChiSquare.Test(counts, law);
        Assert.True(pValue > 1e-4, $"chi-square p = {pValue}");
        Assert.True(statistics.AcceptedTokens > 0 && statistics.AcceptedTokens < statistics.DraftedTokens);
    }

    [Fact]
    public void ABackendThatCannotRollBack_IsRefusedWithATypedException()
    {
        using var target = new NoRollbackSession(new ContextModelSession("target", Vocabulary, salt: 0));
        using var draft = new ContextModelSession("draft", Vocabulary, salt: 7);
        var engine = new SpeculativeEngine(target, draft);
        var settings = new GenerationSettings { Sampling = SamplingOptions.Greedy, Mode = SpeculationMode.DraftModel, MaxTokens = 8 };

        var error = Assert.Throws<NotSupportedException>(() => engine.Generate(Prompt, settings, new SpeculationStatistics()).ToArray());
        Assert.Contains("target", error.Message, StringComparison.Ordinal);
    }

    private static int[] GreedyChain(ContextModelSession model, int count)
    {
        var context = new List<int>(Prompt);
        for (int i = 0; i < count; i++)
        {
            var logits = model.LogitsAfter(context);
            int best = 0;
            for (int t = 1; t < logits.Length; t++)
            {
                if (logits[t] > logits[best])
                {
                    best = t;
                }
            }

            context.Add(best);
        }

        return context.Skip(Prompt.Length).ToArray();
    }

    /// <summary>A backend that can neither remove the tail of a sequence nor checkpoint it.</summary>
    private sealed class NoRollbackSession(ContextModelSession inner) : IModelSession
    {
        public string ModelName => inner.ModelName;
        public int VocabularySize => inner.VocabularySize;
        public int ContextSize => inner.ContextSize;
        public int MaxBatchSize => inner.MaxBatchSize;
        public int MaxSequences => inner.MaxSequences;
        public bool HasUnifiedKvCache => true;
        public bool ProvidesHiddenStates => false;
        public bool SupportsPartialRemoval => false;
        public void Decode(DecodeBatch batch) => inner.Decode(batch);
        public ReadOnlySpan<float> GetLogits(int batchIndex) => inner.GetLogits(batchIndex);
        public ReadOnlySpan<float> GetHiddenState(int batchIndex) => inner.GetHiddenState(batchIndex);
        public bool RemoveTokens(int sequence, int fromPosition) => fromPosition == 0 && inner.RemoveTokens(sequence, 0);
        public void CopySequence(int source, int destination) => inner.CopySequence(source, destination);
        public void Dispose() => inner.Dispose();
    }
}
