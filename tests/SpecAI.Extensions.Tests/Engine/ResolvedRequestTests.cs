using System.Reflection;
using SpecAI.Extensions.Drafting;
using SpecAI.Extensions.Engine;
using SpecAI.Extensions.Judge;
using SpecAI.Extensions.Sampling;
using SpecAI.Extensions.Testing;
using SpecAI.Extensions.Tests.TestSupport;
using SpecAI.Extensions.Verification;

namespace SpecAI.Extensions.Tests.Engine;

/// <summary>The rules that turn <see cref="GenerationSettings"/> into one <see cref="ResolvedRequest"/> (internal API), all in one place.</summary>
public class ResolvedRequestTests
{
    private const int Vocabulary = 8;
    private static readonly int[] Prompt = [1, 2, 3];
    private static readonly SamplingOptions Sampled = new() { Temperature = 0.8 };

    private readonly FakeModelSession _target = Session("target", hidden: true);
    private readonly ModelDraftSource _draft = new(Session("draft"));

    [Fact]
    public void Defaults_StandardRule_DraftModelAfterNothing_LimitsFromTheContext()
    {
        var settings = new GenerationSettings();

        var request = Resolve(settings);

        Assert.Same(StandardVerifier.Instance, request.Verifier);
        Assert.Equal(VerifierKind.Standard, request.VerifierKind);
        Assert.True(request.IsLossless);
        Assert.Equal([_draft], request.DraftSources);
        Assert.True(request.UsesDraftModel);
        Assert.Equal(1, request.MaxBranchCount);
        Assert.Equal(256, request.MaxTokens);
        Assert.Equal(4, request.DraftLength);
        Assert.Equal(_target.ContextSize, request.ContextLimit);
        Assert.Equal(request.ContextLimit, request.DraftContextLimit);
        Assert.Equal(Vocabulary, request.VocabularySize);
        Assert.Null(request.Judge);
        Assert.Null(request.Constraint);
        Assert.Empty(request.StopSequences);
        Assert.Null(request.TextDecoder);
        Assert.False(request.MeasuresBound);
    }

    [Fact]
    public void Limits_ContextShare_IsPromptAndAnswer_CappedByTheTargetContext()
    {
        Assert.Equal(Prompt.Length + 10 + 1, Resolve(new GenerationSettings { MaxTokens = 10 }).ContextLimit);
        Assert.Equal(_target.ContextSize, Resolve(new GenerationSettings { MaxTokens = int.MaxValue }).ContextLimit);
    }

    [Fact]
    public void Randomness_SeedGivesTheSameSource_AGivenSourceIsUsedAsIs()
    {
        var first = Resolve(new GenerationSettings { Seed = 42 }).Random;
        var second = Resolve(new GenerationSettings { Seed = 42 }).Random;
        double[] weights = [1, 2, 3, 4, 5];
        Assert.Equal(Enumerable.Range(0, 8).Select(_ => first.NextCategorical(weights)).ToArray(), Enumerable.Range(0, 8).Select(_ => second.NextCategorical(weights)).ToArray());

        var given = new SeededRandomSource(7);
        Assert.Same(given, Resolve(new GenerationSettings { Seed = 42, RandomSource = given }).Random);
    }

    [Fact]
    public void Greedy_EveryLosslessRuleIsGreedyMatching()
    {
        foreach (var kind in new[] { VerifierKind.Standard, VerifierKind.KSeq, VerifierKind.RecursiveRejection, VerifierKind.Lantern })
        {
            var request = Resolve(new GenerationSettings { Sampling = SamplingOptions.Greedy, Verifier = kind });
            Assert.Same(GreedyVerifier.Instance, request.Verifier);
            Assert.Equal(kind, request.VerifierKind);
        }
    }

    [Fact]
    public void MultiDraft_StandardMeansKSeq_ANamedMultiDraftRuleStays_AndDraftCountIsItsBranchCount()
    {
        var standard = Resolve(new GenerationSettings { Sampling = Sampled, Mode = SpeculationMode.MultiDraft, DraftCount = 3 });
        Assert.Same(KSeqVerifier.Instance, standard.Verifier);
        Assert.Equal(VerifierKind.KSeq, standard.VerifierKind);
        Assert.Equal(3, standard.MaxBranchCount);

        var rrs = Resolve(new GenerationSettings { Sampling = Sampled, Mode = SpeculationMode.MultiDraft, DraftCount = 3, Verifier = VerifierKind.RecursiveRejection });
        Assert.Same(RecursiveRejectionVerifier.Instance, rrs.Verifier);
        Assert.Equal(VerifierKind.RecursiveRejection, rrs.VerifierKind);

        // Outside multi-draft one branch is drafted, whatever the count, and the standard rule stays standard.
        var single = Resolve(new GenerationSettings { Sampling = Sampled, DraftCount = 3 });
        Assert.Equal(1, single.MaxBranchCount);
        Assert.Same(StandardVerifier.Instance, single.Verifier);
    }

    [Fact]
    public void CustomVerifier_TakesPrecedenceOverTheNamedRule_TheJudge_AndLantern()
    {
        var custom = new CountingVerifier(TypicalLossy());
        var judgeHead = new JudgeHead(new float[4], bias: 0f);
        var embeddings = new Embeddings(Vocabulary);
        foreach (var settings in new[]
                 {
                     new GenerationSettings { Sampling = Sampled, Verifier = VerifierKind.RecursiveRejection, CustomVerifier = custom },
                     new GenerationSettings { Sampling = Sampled, Mode = SpeculationMode.Judge, Judge = judgeHead, CustomVerifier = custom },
                     new GenerationSettings { Sampling = Sampled, Verifier = VerifierKind.Lantern, TokenEmbeddings = embeddings, CustomVerifier = custom },
                     new GenerationSettings { Sampling = Sampled, Mode = SpeculationMode.MultiDraft, DraftCount = 2, CustomVerifier = custom },
                 })
        {
            var request = Resolve(settings);
            Assert.Same(custom, request.Verifier);
            Assert.Equal(custom.Kind, request.VerifierKind);
            Assert.False(request.IsLossless);
        }

        // The engine's instance overload (tests) comes before the settings' custom rule.
        var forced = new CountingVerifier(StandardVerifier.Instance);
        Assert.Same(forced, ResolvedRequest.Resolve(Prompt, new GenerationSettings { Sampling = Sampled, CustomVerifier = custom }, _target, _draft, forced).Verifier);
    }

    [Fact]
    public void Judge_BuildsTheJudgeRuleFromTheHeadOrTheSettings_AndScoresOnlyInJudgeMode()
    {
        var head = new JudgeHead(new float[4], bias: 0f, threshold: 0.3);

        var byHead = Resolve(new GenerationSettings { Sampling = Sampled, Mode = SpeculationMode.Judge, Judge = head });
        var rule = Assert.IsType<JudgeVerifier>(byHead.Verifier);
        Assert.Equal(0.3, rule.Threshold);
        Assert.Same(head, byHead.Judge);
        Assert.False(byHead.IsLossless);
        Assert.Equal([_draft], byHead.DraftSources);

        var bySettings = Assert.IsType<JudgeVerifier>(Resolve(new GenerationSettings { Sampling = Sampled, Mode = SpeculationMode.Judge, Judge = head, JudgeThreshold = 1, MaxJudgedTokensPerStep = 2 }).Verifier);
        Assert.Equal(1, bySettings.Threshold);
        Assert.Equal(2, bySettings.MaxJudgedTokensPerStep);

        // A head in another mode is not consulted: no hidden states are read for it.
        Assert.Null(Resolve(new GenerationSettings { Sampling = Sampled, Judge = head }).Judge);
    }

    [Fact]
    public void Lantern_AboveTemperatureZero_RelaxesTheModesRule_PlainDecodingNeedsNoEmbeddings()
    {
        var embeddings = new Embeddings(Vocabulary);

        var single = Assert.IsType<LanternVerifier>(Resolve(new GenerationSettings { Sampling = Sampled, Verifier = VerifierKind.Lantern, TokenEmbeddings = embeddings, LanternDelta = 0.2 }).Verifier);
        Assert.Equal(0.2, single.Delta);
        Assert.Null(single.MultiDraft);

        var multi = Assert.IsType<LanternVerifier>(Resolve(new GenerationSettings { Sampling = Sampled, Mode = SpeculationMode.MultiDraft, DraftCount = 2, Verifier = VerifierKind.Lantern, TokenEmbeddings = embeddings }).Verifier);
        Assert.Same(KSeqVerifier.Instance, multi.MultiDraft);

        var plain = Resolve(new GenerationSettings { Sampling = Sampled, Mode = SpeculationMode.None, Verifier = VerifierKind.Lantern });
        Assert.Same(StandardVerifier.Instance, plain.Verifier);
        Assert.True(plain.IsLossless);
        Assert.Empty(plain.DraftSources);
    }

    [Fact]
    public void DraftSources_InDraftingOrder_PerMode()
    {
        int[] predicted = [4, 5, 6];
        var custom = new PromptLookupDraftSource();

        Assert.Empty(Resolve(new GenerationSettings { Mode = SpeculationMode.None }).DraftSources);
        Assert.IsType<PredictionDraftSource>(Assert.Single(Resolve(new GenerationSettings { Mode = SpeculationMode.None, PredictedTokens = predicted }).DraftSources));
        Assert.Empty(Resolve(new GenerationSettings { Mode = SpeculationMode.None, DraftSource = custom }).DraftSources);

        var lookup = Resolve(new GenerationSettings { Mode = SpeculationMode.PromptLookup, PromptLookupMaxNgram = 4, PromptLookupMinNgram = 2 });
        var source = Assert.IsType<PromptLookupDraftSource>(Assert.Single(lookup.DraftSources));
        Assert.Equal((4, 2), (source.MaxNgram, source.MinNgram));
        Assert.False(lookup.UsesDraftModel);

        var combined = Resolve(new GenerationSettings { Mode = SpeculationMode.PromptLookup, CombineLookupWithDraftModel = true });
        Assert.IsType<PromptLookupDraftSource>(combined.DraftSources[0]);
        Assert.Same(_draft, combined.DraftSources[1]);
        Assert.True(combined.UsesDraftModel);

        var predictedThenModel = Resolve(new GenerationSettings { PredictedTokens = predicted });
        Assert.IsType<PredictionDraftSource>(predictedThenModel.DraftSources[0]);
        Assert.Same(_draft, predictedThenModel.DraftSources[1]);

        // A custom source replaces the prediction and drafts before the draft model.
        Assert.Equal([custom, _draft], Resolve(new GenerationSettings { PredictedTokens = predicted, DraftSource = custom }).DraftSources);

        // Multi-draft and judge decoding draft several root branches: the prediction is left out.
        Assert.Equal([_draft], Resolve(new GenerationSettings { Mode = SpeculationMode.MultiDraft, DraftCount = 2, PredictedTokens = predicted }).DraftSources);

        // An engine source that is not the draft model holds no draft KV.
        var engineSource = new PromptLookupDraftSource();
        var other = ResolvedRequest.Resolve(Prompt, new GenerationSettings(), _target, engineSource);
        Assert.Equal([engineSource], other.DraftSources);
        Assert.False(other.UsesDraftModel);
    }

    [Fact]
    public void StopRules_TokensAsGiven_SequencesOnlyWithADecoder()
    {
        var stops = new HashSet<int> { 7 };
        var request = Resolve(new GenerationSettings { StopTokens = stops, StopSequences = ["ab", ""], TextDecoder = () => new NoText() });

        Assert.Same(stops, request.StopTokens);
        Assert.Equal(["ab", ""], request.StopSequences);
        Assert.NotNull(request.TextDecoder);

        var onlyEmpty = Resolve(new GenerationSettings { StopSequences = [""], TextDecoder = () => new NoText() });
        Assert.Empty(onlyEmpty.StopSequences);
        Assert.Null(onlyEmpty.TextDecoder);
    }

    [Fact]
    public void IsLossless_AgreesWithTheSettings_ForEveryModeRuleAndTemperature()
    {
        var head = new JudgeHead(new float[4], bias: 0f);
        var embeddings = new Embeddings(Vocabulary);
        foreach (var mode in Enum.GetValues<SpeculationMode>())
        {
            foreach (var kind in Enum.GetValues<VerifierKind>())
            {
                foreach (var sampling in new[] { SamplingOptions.Greedy, Sampled })
                {
                    foreach (double delta in new[] { 0.0, 0.3 })
                    {
                        var settings = new GenerationSettings
                        {
                            Sampling = sampling, Mode = mode, Verifier = kind, DraftCount = mode == SpeculationMode.MultiDraft ? 2 : 1,
                            Judge = head, TokenEmbeddings = embeddings, LanternDelta = delta,
                        };
                        Assert.True(settings.IsLossless == Resolve(settings).IsLossless, $"{mode} {kind} T={sampling.Temperature} delta={delta}");
                    }
                }
            }
        }
    }

    [Fact]
    public void OutOfRange_ThrowsOnce_NamingTheSetting()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => Resolve(new GenerationSettings { MaxTokens = -1 }));
        Assert.Equal("MaxTokens", ex.ParamName);
        Assert.Contains("MaxTokens", ex.Message);

        Assert.Equal("DraftCount", Assert.Throws<ArgumentOutOfRangeException>(() => Resolve(new GenerationSettings { DraftCount = 0 })).ParamName);
        Assert.Equal("LanternDelta", Assert.Throws<ArgumentOutOfRangeException>(() => Resolve(new GenerationSettings { LanternDelta = 1.5 })).ParamName);
        Assert.Equal("TextDecoder", Assert.Throws<ArgumentException>(() => Resolve(new GenerationSettings { StopSequences = ["x"] })).ParamName);
        Assert.Contains("PredictedTokens", Assert.Throws<ArgumentOutOfRangeException>(() => Resolve(new GenerationSettings { PredictedTokens = [1, Vocabulary] })).Message);
    }

    [Fact]
    public void InvalidPrompt_ThrowsArgumentException_NamedPrompt()
    {
        Assert.Equal("prompt", Assert.Throws<ArgumentException>(() => ResolvedRequest.Resolve([], new GenerationSettings(), _target, _draft)).ParamName);
        Assert.Equal("prompt", Assert.Throws<ArgumentException>(() => ResolvedRequest.Resolve([1, Vocabulary], new GenerationSettings(), _target, _draft)).ParamName);
        Assert.Equal("prompt", Assert.Throws<ArgumentException>(() => ResolvedRequest.Resolve(new int[_target.ContextSize], new GenerationSettings(), _target, _draft)).ParamName);
    }

    [Fact]
    public void InvalidCombinations_ThrowTypedErrors_WithMessagesThatSayWhatIsMissing()
    {
        var head = new JudgeHead(new float[4], bias: 0f);

        var custom = Assert.Throws<ArgumentException>(() => Resolve(new GenerationSettings { Mode = SpeculationMode.MultiDraft, DraftCount = 2, DraftSource = new PromptLookupDraftSource() }));
        Assert.Contains("MultiDraft", custom.Message);

        var noDraft = Assert.Throws<InvalidOperationException>(() => ResolvedRequest.Resolve(Prompt, new GenerationSettings(), _target, draftModel: null));
        Assert.Contains("needs a draft model", noDraft.Message);

        Assert.Contains("judge head", Assert.Throws<InvalidOperationException>(() => Resolve(new GenerationSettings { Mode = SpeculationMode.Judge })).Message);
        var blind = Session("blind");
        Assert.Contains("hidden states", Assert.Throws<InvalidOperationException>(() => ResolvedRequest.Resolve(Prompt, new GenerationSettings { Mode = SpeculationMode.Judge, Judge = head }, blind, _draft)).Message);

        Assert.Contains("token embeddings", Assert.Throws<InvalidOperationException>(() => Resolve(new GenerationSettings { Sampling = Sampled, Verifier = VerifierKind.Lantern })).Message);
        Assert.Contains("rows", Assert.Throws<ArgumentException>(() => Resolve(new GenerationSettings { Sampling = Sampled, Verifier = VerifierKind.Lantern, TokenEmbeddings = new Embeddings(Vocabulary + 1) })).Message);

        var rigid = Session("rigid", rollback: SequenceRollback.None);
        Assert.Contains("mode None", Assert.Throws<NotSupportedException>(() => ResolvedRequest.Resolve(Prompt, new GenerationSettings { Mode = SpeculationMode.PromptLookup }, rigid, null)).Message);
        Assert.Contains("draft model", Assert.Throws<NotSupportedException>(() => ResolvedRequest.Resolve(Prompt, new GenerationSettings(), _target, new ModelDraftSource(rigid))).Message);

        // Plain decoding asks nothing of the models.
        Assert.Empty(ResolvedRequest.Resolve(Prompt, new GenerationSettings { Mode = SpeculationMode.None }, rigid, null).DraftSources);
    }

    [Fact]
    public void Scheduler_TakesTheResolvedRequestAsItIs()
    {
        var kit = new EngineTestKit(12);
        var rule = new CountingVerifier(StandardVerifier.Instance);
        var settings = new GenerationSettings { Seed = 5, Sampling = Sampled, MaxTokens = 20, CustomVerifier = rule };
        var expected = new EngineTestKit(12).Generate([1, 2, 3], settings with { CustomVerifier = null });

        var request = kit.Engine.Resolve([1, 2, 3], settings);
        using var scheduler = new GenerationScheduler(new GenerationSchedulerOptions());
        scheduler.Attach(kit.Engine);
        var answer = scheduler.GenerateAsync(request, new SpeculationStatistics()).ToBlockingEnumerable().ToArray();

        // The resolved rule instance decided every token; the seeded answer is the built-in rule's.
        Assert.Equal(expected, answer);
        Assert.Equal(answer.Length, rule.Calls);
    }

    [Fact]
    public void ResolvedRequest_IsImmutable()
    {
        var writable = typeof(ResolvedRequest).GetProperties(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance).Where(p => p.SetMethod is not null).Select(p => p.Name);
        Assert.Empty(writable);
        Assert.All(typeof(ResolvedRequest).GetFields(BindingFlags.NonPublic | BindingFlags.Instance), f => Assert.True(f.IsInitOnly, f.Name));
    }

    private static FakeModelSession Session(string name, bool hidden = false, SequenceRollback? rollback = null)
        => new(name, Vocabulary, FakeLanguage.Create(Vocabulary, 1), contextSize: 64, hidden: hidden ? _ => new float[4] : null, rollback: rollback);

    private static TypicalVerifier TypicalLossy() => new();

    private ResolvedRequest Resolve(GenerationSettings settings) => ResolvedRequest.Resolve(Prompt, settings, _target, _draft);

    private sealed class Embeddings(int size) : ITokenEmbeddings
    {
        public int VocabularySize => size;

        public int Dimension => 2;

        public ReadOnlyMemory<float> GetRow(int token) => new float[] { MathF.Cos(token), MathF.Sin(token) };
    }

    private sealed class NoText : ITokenTextDecoder
    {
        public void Add(int token)
        {
        }

        public string Read() => string.Empty;
    }
}
