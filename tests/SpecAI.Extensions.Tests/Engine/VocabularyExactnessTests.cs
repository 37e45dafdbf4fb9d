using SpecAI.Extensions.Drafting;
using SpecAI.Extensions.Engine;
using SpecAI.Extensions.Sampling;
using SpecAI.Extensions.Tests.TestSupport;
using SpecAI.Extensions.Vocabulary;

namespace SpecAI.Extensions.Tests.Engine;

/// <summary>
/// Lossless with a draft of another vocabulary: token-level intersection (TLI) and string-level exact match
/// (SLEM), by exact enumeration of every random choice (1e-12), with every lossless verifier.
/// </summary>
public class VocabularyExactnessTests
{
    // The target has "ab", which the draft lacks; the draft has "ba" and "bb", which the target lacks; ids differ.
    private static readonly string[] TargetTexts = ["<s>", "a", "b", "ab", "c"];
    private static readonly string[] DraftTexts = ["c", "b", "<s>", "a", "ba", "bb"];

    public static TheoryData<VocabularyMapping, VerifierKind, int, double, int, double> Cases
    {
        get
        {
            var data = new TheoryData<VocabularyMapping, VerifierKind, int, double, int, double>();
            foreach (var mapping in new[] { VocabularyMapping.Intersection, VocabularyMapping.Text })
            {
                // mapping, verifier, draft length, temperature, top-k, top-p
                data.Add(mapping, VerifierKind.Standard, 1, 1.0, 0, 1.0);
                data.Add(mapping, VerifierKind.Standard, 2, 1.0, 0, 1.0);
                data.Add(mapping, VerifierKind.Standard, 2, 0.7, 3, 1.0);
                data.Add(mapping, VerifierKind.Standard, 3, 1.3, 0, 0.85);
                data.Add(mapping, VerifierKind.RecursiveRejectionWithoutReplacement, 2, 0.8, 0, 0.9);

                // Text drafts a single branch whatever the count: short drafts keep the enumeration small.
                int length = mapping == VocabularyMapping.Text ? 1 : 2;
                data.Add(mapping, VerifierKind.KSeq, length, 1.0, 0, 1.0);
                data.Add(mapping, VerifierKind.TopK, length, 1.0, 0, 1.0);
            }

            return data;
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void ExactEnumeration_DraftOfAnotherVocabulary_SequenceLawEqualsTarget(VocabularyMapping mapping, VerifierKind verifier, int draftLength, double temperature, int topK, double topP)
    {
        var kit = new Kit(mapping);
        var sampling = new SamplingOptions { Temperature = temperature, TopK = topK, TopP = topP };
        bool multi = verifier != VerifierKind.Standard;
        var settings = new GenerationSettings
        {
            Sampling = sampling,
            MaxTokens = 3,
            DraftLength = draftLength,
            DraftCount = multi ? 2 : 1,
            Mode = multi ? SpeculationMode.MultiDraft : SpeculationMode.DraftModel,
            Verifier = verifier,
            MeasureOptimalAcceptance = false,
        };

        AssertExact(kit, [0, 1, 3], settings);
    }

    [Theory]
    [InlineData(VocabularyMapping.Intersection)]
    [InlineData(VocabularyMapping.Text)]
    public void ExactEnumeration_WithPenalties_SequenceLawEqualsTarget(VocabularyMapping mapping)
    {
        var sampling = new SamplingOptions { RepetitionPenalty = 1.3, FrequencyPenalty = 0.4, PresencePenalty = 0.2, LogitBias = new Dictionary<int, double> { [3] = 1.5 } };
        AssertExact(new Kit(mapping), [0, 3, 3, 1], new GenerationSettings { Sampling = sampling, MaxTokens = 3, DraftLength = 2 });
    }

    [Theory]
    [InlineData(VocabularyMapping.Intersection)]
    [InlineData(VocabularyMapping.Text)]
    public void ExactEnumeration_LookupThenDraftModel_SequenceLawEqualsTarget(VocabularyMapping mapping)
    {
        // Prompt lookup proposes target tokens first; the draft model continues below them when it has every one
        // (never in text drafting).
        // The last token's earlier occurrence leaves two tokens to look up: the model drafts the third.
        var settings = new GenerationSettings { MaxTokens = 4, DraftLength = 3, Mode = SpeculationMode.PromptLookup, CombineLookupWithDraftModel = true };
        AssertExact(new Kit(mapping), [0, 1, 4, 2, 4], settings);
    }

    [Theory]
    [InlineData(VocabularyMapping.Intersection, 3)]
    [InlineData(VocabularyMapping.Text, 2)]
    public void Draft_BelowALookedUpPrefix_ContinuesOnlyInTheTargetsTokenSpace(VocabularyMapping mapping, int expected)
    {
        var kit = new Kit(mapping);
        var tree = new DraftTree();
        var committed = new List<int> { 0, 1, 4 };
        tree.Reset(committed[^1], 1, TargetTexts.Length);
        tree.Extend(0, 2);
        tree.Extend(0, 1);
        var request = new DraftRequest(committed, 0, DraftScheme.Independent, new LogitProcessor(new SamplingOptions()), new SeededRandomSource(1), new SpeculationStatistics());

        kit.Drafter.Draft(request, tree, 3);

        Assert.Equal(expected, tree.PathOf(0).Count);
        Assert.Equal([0, 1, 4], committed);
    }

    [Theory]
    [InlineData(VocabularyMapping.Intersection, SpeculationMode.DraftModel)]
    [InlineData(VocabularyMapping.Intersection, SpeculationMode.MultiDraft)]
    [InlineData(VocabularyMapping.Text, SpeculationMode.DraftModel)]
    public void Greedy_DraftOfAnotherVocabulary_EqualsPlainDecoding_AndAcceptsSomething(VocabularyMapping mapping, SpeculationMode mode)
    {
        var kit = new Kit(mapping, draftNoise: 0.3);
        int[] prompt = [0, 1, 3, 4];
        var plain = kit.Engine.Generate(prompt, new GenerationSettings { Sampling = SamplingOptions.Greedy, MaxTokens = 40, Mode = SpeculationMode.None }, new SpeculationStatistics()).ToArray();
        var statistics = new SpeculationStatistics();
        var speculative = kit.Engine.Generate(prompt, new GenerationSettings { Sampling = SamplingOptions.Greedy, MaxTokens = 40, Mode = mode, DraftCount = 3, DraftLength = 3, Verifier = VerifierKind.TopK }, statistics).ToArray();

        Assert.Equal(plain, speculative);
        Assert.True(statistics.AcceptedTokens > 0, statistics.ToString());
    }

    private static void AssertExact(Kit kit, int[] prompt, GenerationSettings settings)
    {
        int length = settings.MaxTokens;
        var expected = kit.ExactLaw(prompt, length, settings.Sampling);
        var actual = new Dictionary<string, double>();
        var statistics = new SpeculationStatistics();
        foreach (var (sequence, probability) in EnumeratingRandomSource.Enumerate(random =>
                     kit.Engine.Generate(prompt, settings with { RandomSource = random }, statistics).ToArray()))
        {
            string key = EngineTestKit.Key(sequence);
            actual[key] = actual.GetValueOrDefault(key) + probability;
        }

        Assert.Equal(1.0, actual.Values.Sum(), 12);
        foreach (var (key, probability) in expected)
        {
            Assert.True(Math.Abs(probability - actual.GetValueOrDefault(key)) <= 1e-12, $"sequence {key}: target {probability:R}, engine {actual.GetValueOrDefault(key):R}");
        }

        Assert.All(actual.Keys, k => Assert.True(expected.ContainsKey(k), $"engine produced impossible sequence {k}"));

        // The draft proposed tokens and some were accepted: the mapping was exercised, not bypassed.
        Assert.True(statistics.AcceptedTokens > 0 && statistics.AcceptedTokens < statistics.DraftedTokens, statistics.ToString());
    }

    /// <summary>A target and a draft of different vocabularies; the draft's logits follow the target's where their tokens agree.</summary>
    private sealed class Kit
    {
        private readonly Func<IReadOnlyList<int>, float[]> _targetLogits;

        public Kit(VocabularyMapping mapping, double draftNoise = 1.5)
        {
            var target = new FakeVocabulary(TargetTexts);
            var draft = new FakeVocabulary(DraftTexts);
            Assert.True(VocabularyBridge.TryCreate(target.Vocabulary, draft.Vocabulary, target, draft, mapping, out var bridge, out string? failure), failure);
            Assert.Equal(mapping == VocabularyMapping.Text ? VocabularyCompatibilityKind.Text : VocabularyCompatibilityKind.Intersection, bridge.Compatibility.Kind);
            _targetLogits = FakeLanguage.Create(TargetTexts.Length, 1);
            var noise = FakeLanguage.Create(DraftTexts.Length, 77, draftNoise);
            var map = bridge.Map!;

            // Draft logits: the target's after the target reading of the same text, where the tokens are shared.
            float[] DraftLogits(IReadOnlyList<int> history)
            {
                var reading = new List<int>();
                foreach (int d in history)
                {
                    int t = map.ToTarget(d);
                    if (t >= 0)
                    {
                        reading.Add(t);
                    }
                }

                var shared = _targetLogits(reading);
                var logits = noise(history);
                for (int d = 0; d < logits.Length; d++)
                {
                    logits[d] += map.ToTarget(d) is int t and >= 0 ? shared[t] : -1f;
                }

                return logits;
            }

            Drafter = new ModelDraftSource(new FakeModelSession("draft", DraftTexts.Length, DraftLogits), bridge);
            Engine = new SpeculativeEngine(new FakeModelSession("target", TargetTexts.Length, _targetLogits), Drafter);
        }

        public SpeculativeEngine Engine { get; }

        public ModelDraftSource Drafter { get; }

        public Dictionary<string, double> ExactLaw(int[] prompt, int length, SamplingOptions options)
        {
            var law = new Dictionary<string, double>();
            var processor = new LogitProcessor(options);
            var p = new double[TargetTexts.Length];
            void Walk(List<int> history, double probability, int depth)
            {
                if (depth == length)
                {
                    law[EngineTestKit.Key(history.Skip(prompt.Length))] = probability;
                    return;
                }

                processor.Process(_targetLogits(history), history.ToArray(), depth, p);
                var copy = (double[])p.Clone();
                for (int v = 0; v < copy.Length; v++)
                {
                    if (copy[v] > 0)
                    {
                        history.Add(v);
                        Walk(history, probability * copy[v], depth + 1);
                        history.RemoveAt(history.Count - 1);
                    }
                }
            }

            Walk(prompt.ToList(), 1.0, 0);
            return law;
        }
    }
}
