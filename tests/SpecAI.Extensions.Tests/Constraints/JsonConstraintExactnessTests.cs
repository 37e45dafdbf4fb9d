using SpecAI.Extensions.Constraints;
using SpecAI.Extensions.Engine;
using SpecAI.Extensions.Sampling;
using SpecAI.Extensions.Tests.Engine;
using SpecAI.Extensions.Tests.TestSupport;

namespace SpecAI.Extensions.Tests.Constraints;

public class JsonConstraintExactnessTests
{
    private static readonly string[] Texts = ["{", "}", "\"a\"", ":", "1", ",", " ", ""];
    private const int Eos = 7;

    /// <summary>Exact law of constrained target sequences: walks the target with the same processor and constraint, stopping at EOS.</summary>
    private static Dictionary<string, double> ConstrainedLaw(EngineTestKit kit, int[] prompt, int maxTokens, SamplingOptions options, ITokenConstraint constraint)
    {
        var law = new Dictionary<string, double>();
        var processor = new LogitProcessor(options, constraint);
        void Walk(List<int> history, double probability, int depth)
        {
            if (depth == maxTokens || (depth > 0 && history[^1] == Eos))
            {
                string key = EngineTestKit.Key(history.Skip(prompt.Length));
                law[key] = law.GetValueOrDefault(key) + probability;
                return;
            }

            var p = new double[kit.VocabularySize];
            processor.Process(kit.TargetLogits(history), history.ToArray(), depth, p);
            for (int v = 0; v < p.Length; v++)
            {
                if (p[v] > 0)
                {
                    history.Add(v);
                    Walk(history, probability * p[v], depth + 1);
                    history.RemoveAt(history.Count - 1);
                }
            }
        }

        Walk(prompt.ToList(), 1.0, 0);
        return law;
    }

    [Theory]
    [InlineData(2, 1.0, 5, false)]
    [InlineData(3, 0.8, 6, false)]
    [InlineData(2, 1.0, 6, true)]
    public void ExactEnumeration_ConstrainedSpeculation_EqualsConstrainedTargetLaw(int draftLength, double temperature, int maxTokens, bool withSchema)
    {
        var kit = new EngineTestKit(Texts.Length, draftNoise: 2.0, seed: 3);
        var schema = withSchema
            ? JsonSchemaSubset.Parse("""{"type":"object","properties":{"a":{"type":"integer"}},"required":["a"],"additionalProperties":false}""")
            : null;
        var constraint = new JsonTokenConstraint(Texts, [Eos], schema);
        var sampling = new SamplingOptions { Temperature = temperature };
        int[] prompt = [6, 2];
        var expected = ConstrainedLaw(kit, prompt, maxTokens, sampling, new JsonTokenConstraint(Texts, [Eos], schema));
        var actual = new Dictionary<string, double>();
        foreach (var (sequence, probability) in EnumeratingRandomSource.Enumerate(random =>
                     kit.Generate(prompt, new GenerationSettings
                     {
                         Sampling = sampling,
                         MaxTokens = maxTokens,
                         DraftLength = draftLength,
                         Mode = SpeculationMode.DraftModel,
                         Constraint = constraint,
                         StopTokens = new HashSet<int> { Eos },
                         RandomSource = random,
                     })))
        {
            string key = EngineTestKit.Key(sequence);
            actual[key] = actual.GetValueOrDefault(key) + probability;
        }

        Assert.Equal(1.0, actual.Values.Sum(), 12);
        Assert.True(expected.Count > 5, $"only {expected.Count} sequences");
        Assert.Contains(expected.Keys, k => k.EndsWith($",{Eos}", StringComparison.Ordinal));
        foreach (var (key, probability) in expected)
        {
            Assert.True(Math.Abs(probability - actual.GetValueOrDefault(key)) <= 1e-12, $"sequence {key}: target {probability:R}, engine {actual.GetValueOrDefault(key):R}");
        }

        Assert.All(actual.Keys, k => Assert.True(expected.ContainsKey(k), $"engine produced impossible sequence {k}"));
        foreach (string key in expected.Keys)
        {
            var tokens = key.Split(',').Select(int.Parse).Where(t => t != Eos);
            Assert.True(JsonTokenConstraint.IsValidPrefix(string.Concat(tokens.Select(t => Texts[t])), schema), key);
        }
    }
}
