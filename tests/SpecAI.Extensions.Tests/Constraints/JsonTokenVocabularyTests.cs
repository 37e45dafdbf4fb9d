using System.Diagnostics;
using SpecAI.Extensions.Constraints;
using SpecAI.Extensions.Testing;

namespace SpecAI.Extensions.Tests.Constraints;

public class JsonTokenVocabularyTests
{
    [Fact]
    public void ConstraintsFromOnePreparedVocabulary_ShareIt_AndMaskLikeAFreshOne()
    {
        var texts = JsonTokenConstraintTests.ToyVocabulary();
        int eos = texts.Count - 1;
        var vocabulary = new JsonTokenVocabulary(texts, [eos]);
        var schema = JsonSchemaSubset.Parse("""{"type":"object","properties":{"kind":{"enum":["alpha","beta"]}},"required":["kind"]}""");
        var first = new JsonTokenConstraint(vocabulary, schema);
        var second = new JsonTokenConstraint(vocabulary);
        Assert.Same(first.Vocabulary, second.Vocabulary);

        int[] prefix = [texts.IndexOf("{"), texts.IndexOf("\"kind\": \"")];
        var shared = new double[texts.Count];
        var fresh = new double[texts.Count];
        first.Apply(prefix, shared);
        new JsonTokenConstraint(texts, [eos], schema).Apply(prefix, fresh);
        Assert.Equal(fresh, shared);
    }

    [PerfFact]
    [Trait("Category", "Perf")]
    public void Perf_PreparedVocabulary_SkipsTheTrieBuild()
    {
        var random = new Random(5);
        var texts = Enumerable.Range(0, 50_000).Select(_ => new string(Enumerable.Range(0, 1 + random.Next(8)).Select(_ => (char)('a' + random.Next(26))).ToArray())).ToList();
        var vocabulary = new JsonTokenVocabulary(texts, [0]);
        var clock = Stopwatch.StartNew();
        _ = new JsonTokenConstraint(texts, [0]);
        double rebuilt = clock.Elapsed.TotalMilliseconds;
        clock.Restart();
        _ = new JsonTokenConstraint(vocabulary);
        double prepared = clock.Elapsed.TotalMilliseconds;
        Console.WriteLine($"JSON constraint per request, V=50000: {rebuilt:F1} ms building the trie, {prepared:F3} ms from a prepared vocabulary");
        Assert.True(prepared < rebuilt, $"{prepared} ms vs {rebuilt} ms");
    }
}
