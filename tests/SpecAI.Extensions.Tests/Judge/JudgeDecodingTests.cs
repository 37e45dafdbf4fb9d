using SpecAI.Extensions.Drafting;
using SpecAI.Extensions.Engine;
using SpecAI.Extensions.Judge;
using SpecAI.Extensions.Sampling;
using SpecAI.Extensions.Tests.Engine;
using SpecAI.Extensions.Tests.TestSupport;
using SpecAI.Extensions.Verification;

namespace SpecAI.Extensions.Tests.Judge;

public class JudgeDecodingTests
{
    private const int Vocabulary = 4;

    /// <summary>Hidden state at a token: one-hot of the token id, so a head can learn per-token acceptability.</summary>
    private static float[] OneHotOfLast(IReadOnlyList<int> history)
    {
        var h = new float[Vocabulary];
        h[history[^1]] = 1;
        return h;
    }

    private static (SpeculativeEngine Engine, FakeModelSession Target) Create()
    {
        var targetLogits = FakeLanguage.Create(Vocabulary, 1);
        var target = new FakeModelSession("target", Vocabulary, targetLogits, hidden: OneHotOfLast);
        var draft = new FakeModelSession("draft", Vocabulary, FakeLanguage.Perturbed(targetLogits, 101, 2.0));
        return (new SpeculativeEngine(target, new ModelDraftSource(draft)), target);
    }

    [Fact]
    public void JudgeThatRejectsEverything_ExactEnumeration_EqualsTargetLaw()
    {
        var (engine, _) = Create();
        var never = new JudgeHead(new float[Vocabulary], bias: -50f);
        var kit = new EngineTestKit(Vocabulary);
        var expected = kit.ExactLaw([0, 1], 3, new SamplingOptions());
        var actual = new Dictionary<string, double>();
        foreach (var (sequence, probability) in EnumeratingRandomSource.Enumerate(random =>
                     engine.Generate([0, 1], new GenerationSettings { Mode = SpeculationMode.Judge, Judge = never, MaxTokens = 3, DraftLength = 2, RandomSource = random }, new SpeculationStatistics()).ToArray()))
        {
            string key = EngineTestKit.Key(sequence);
            actual[key] = actual.GetValueOrDefault(key) + probability;
        }

        foreach (var (key, p) in expected)
        {
            Assert.True(Math.Abs(p - actual.GetValueOrDefault(key)) < 1e-12, $"{key}: {p} vs {actual.GetValueOrDefault(key)}");
        }
    }

    [Fact]
    public void JudgeThatAcceptsEverything_KeepsEveryDraft_AndIsReportedLossy()
    {
        var (engine, _) = Create();
        var always = new JudgeHead(new float[Vocabulary], bias: 50f);
        var statistics = new SpeculationStatistics();
        engine.Generate([0, 1], new GenerationSettings { Mode = SpeculationMode.Judge, Judge = always, MaxTokens = 30, DraftLength = 4, Seed = 3 }, statistics).ToArray();
        Assert.Equal(statistics.DraftedTokens, statistics.AcceptedTokens);
        Assert.True(statistics.LossySteps > 0);
        Assert.False(new JudgeVerifier(0.5).IsLossless);
    }

    [Fact]
    public void JudgeWithoutHiddenStates_ThrowsClearError()
    {
        var kit = new EngineTestKit(Vocabulary);
        var ex = Assert.Throws<InvalidOperationException>(() => kit.Engine.Generate([0, 1], new GenerationSettings { Mode = SpeculationMode.Judge, Judge = new JudgeHead([1f, 1f, 1f, 1f], 0f) }, new SpeculationStatistics()));
        Assert.Contains("hidden states", ex.Message);
        Assert.Throws<InvalidOperationException>(() => kit.Engine.Generate([0, 1], new GenerationSettings { Mode = SpeculationMode.Judge }, new SpeculationStatistics()));
    }

    [Fact]
    public void Trainer_SeparableData_LearnsTheRule()
    {
        var rng = new Random(1);
        var examples = new List<(float[], bool)>();
        for (int i = 0; i < 400; i++)
        {
            var h = Enumerable.Range(0, 8).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
            examples.Add((h, h[0] + 0.5f * h[3] > 0.4f));
        }

        var head = JudgeTrainer.Train(examples);
        double accuracy = examples.Count(e => head.Score(e.Item1) > 0.5 == e.Item2) / (double)examples.Count;
        Assert.True(accuracy > 0.93, $"accuracy {accuracy}");
    }

    [Fact]
    public void Head_SaveLoad_RoundTrips_AndRejectsBadFiles()
    {
        string path = Path.GetTempFileName();
        try
        {
            var head = new JudgeHead([0.5f, -1f, 2f], 0.25f, threshold: 0.8);
            head.Save(path);
            var loaded = JudgeHead.Load(path);
            Assert.Equal(head.Weights, loaded.Weights);
            Assert.Equal(0.25f, loaded.Bias);
            Assert.Equal(0.8, loaded.Threshold);
            Assert.Equal(1 / (1 + Math.Exp(-(0.5 - 2 + 2 + 0.25))), loaded.Score([1f, 2f, 1f]), 6);
            Assert.Throws<ArgumentException>("hidden", () => loaded.Score([1f]));

            File.WriteAllBytes(path, [1, 2, 3, 4, 5]);
            Assert.Throws<InvalidDataException>(() => JudgeHead.Load(path));
            File.WriteAllBytes(path, "SPJH"u8.ToArray());
            Assert.Throws<InvalidDataException>(() => JudgeHead.Load(path));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
