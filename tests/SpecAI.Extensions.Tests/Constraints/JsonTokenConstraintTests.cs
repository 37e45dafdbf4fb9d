using System.Diagnostics;
using System.Text;
using System.Text.Json;
using SpecAI.Extensions.Constraints;
using SpecAI.Extensions.Testing;
using SpecAI.Extensions.Sampling;

namespace SpecAI.Extensions.Tests.Constraints;

[Collection(nameof(JsonPerfCollection))]
public class JsonTokenConstraintTests
{
    private const string SchemaText = """
        {
          "type": "object",
          "properties": {
            "name": { "type": "string" },
            "age": { "type": "integer" },
            "kind": { "enum": ["alpha", "beta"] },
            "tags": { "type": "array", "items": { "type": "string" } },
            "inner": {
              "type": "object",
              "properties": { "x": { "type": "number" }, "y": { "type": "boolean" } },
              "required": ["x"],
              "additionalProperties": false
            }
          },
          "required": ["name", "kind"],
          "additionalProperties": false
        }
        """;

    /// <summary>Single characters plus a few multi-character tokens; id 0 is an empty control token, the last is EOS.</summary>
    internal static List<string> ToyVocabulary()
    {
        var texts = new List<string> { "" };
        foreach (char c in "{}[]:,\"\\-+.eE0123456789 \ntrufalsnbcdhpkgimxy/")
        {
            if (!texts.Contains(c.ToString()))
            {
                texts.Add(c.ToString());
            }
        }

        texts.AddRange(["\"name\"", "\"kind\": \"", "true", "null", "\": ", "\"}", "12", "{\"", "\\u00e9", "\\n", "0.5e-3", "}]", "\"alpha\"", ", "]);
        texts.Add("</s>");
        return texts;
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void RandomGeneration_AlwaysParses_AndFollowsTheSchema(bool withSchema)
    {
        var texts = ToyVocabulary();
        int eos = texts.Count - 1;
        var schema = withSchema ? JsonSchemaSubset.Parse(SchemaText) : null;
        var constraint = new JsonTokenConstraint(texts, [eos], schema, new JsonTokenConstraintOptions { MaxDepth = 8 });
        var processor = new LogitProcessor(new SamplingOptions(), constraint);
        var logits = new float[texts.Count];
        var p = new double[texts.Count];
        for (int run = 0; run < 1000; run++)
        {
            var random = new SeededRandomSource(run);
            var generated = new List<int>();
            while (true)
            {
                for (int v = 0; v < logits.Length; v++)
                {
                    logits[v] = (float)(random.NextDouble() * 4);
                }

                processor.Process(logits, generated.ToArray(), generated.Count, p);
                int token = random.NextCategorical(p);
                Assert.NotEqual(0, token);
                if (token == eos)
                {
                    break;
                }

                generated.Add(token);
                Assert.True(generated.Count < 20_000, $"run {run} did not finish");
            }

            string text = string.Concat(generated.Select(t => texts[t]));
            Assert.True(constraint.IsComplete(generated.ToArray()), text);
            using var document = JsonDocument.Parse(text);
            Assert.Equal(JsonValueKind.Object, document.RootElement.ValueKind);
            if (withSchema)
            {
                CheckSchema(document.RootElement, text);
            }
        }
    }

    private static void CheckSchema(JsonElement root, string text)
    {
        var names = root.EnumerateObject().Select(p => p.Name).ToList();
        Assert.Equal(names.Count, names.Distinct().Count());
        Assert.Contains("name", names);
        Assert.Contains("kind", names);
        Assert.All(names, n => Assert.Contains(n, new[] { "name", "age", "kind", "tags", "inner" }));
        Assert.Equal(JsonValueKind.String, root.GetProperty("name").ValueKind);
        Assert.Contains(root.GetProperty("kind").GetString(), new[] { "alpha", "beta" });
        if (root.TryGetProperty("age", out var age))
        {
            Assert.True(age.ValueKind == JsonValueKind.Number && age.TryGetInt64(out _) || age.GetRawText().Length > 18, text);
            Assert.DoesNotContain('.', age.GetRawText());
        }

        if (root.TryGetProperty("tags", out var tags))
        {
            Assert.All(tags.EnumerateArray(), t => Assert.Equal(JsonValueKind.String, t.ValueKind));
        }

        if (root.TryGetProperty("inner", out var inner))
        {
            Assert.Equal(JsonValueKind.Number, inner.GetProperty("x").ValueKind);
            Assert.All(inner.EnumerateObject(), p => Assert.Contains(p.Name, new[] { "x", "y" }));
            if (inner.TryGetProperty("y", out var y))
            {
                Assert.True(y.ValueKind is JsonValueKind.True or JsonValueKind.False);
            }
        }
    }

    [Fact]
    public void Apply_MasksExactlyTheValidContinuations()
    {
        var texts = ToyVocabulary();
        int eos = texts.Count - 1;
        var constraint = new JsonTokenConstraint(texts, [eos]);
        int[] prefix = [texts.IndexOf("{"), texts.IndexOf("\"name\""), texts.IndexOf(":"), texts.IndexOf(" "), texts.IndexOf("1")];
        string text = string.Concat(prefix.Select(t => texts[t]));
        var logits = new double[texts.Count + 3];
        constraint.Apply(prefix, logits);
        for (int v = 0; v < logits.Length; v++)
        {
            bool expected = v < texts.Count && v != eos && texts[v].Length > 0 && JsonTokenConstraint.IsValidPrefix(text + texts[v]);
            Assert.Equal(expected, logits[v] == 0);
        }

        // EOS only once complete; after the document only bounded whitespace.
        var complete = prefix.Append(texts.IndexOf("}")).ToArray();
        Assert.False(constraint.IsAllowed(prefix, eos));
        Assert.True(constraint.IsAllowed(complete, eos));
        Assert.True(constraint.IsAllowed(complete, texts.IndexOf(" ")));
        Assert.False(constraint.IsAllowed(complete, texts.IndexOf(",")));
        Assert.False(constraint.IsAllowed(complete, 0));
        var twoSpaces = complete.Append(texts.IndexOf(" ")).Append(texts.IndexOf("\n")).ToArray();
        Assert.False(constraint.IsAllowed(twoSpaces, texts.IndexOf(" ")));
        Assert.True(constraint.IsAllowed(twoSpaces, eos));

        // Shrinking and growing the sequence reuses the cache consistently.
        Assert.False(constraint.IsAllowed(prefix, eos));
        Assert.True(constraint.IsAllowed(prefix[..1], texts.IndexOf("}")));
        Assert.Throws<InvalidOperationException>(() => constraint.IsAllowed([texts.IndexOf("}")], eos));
    }

    [PerfFact]
    [Trait("Category", "Perf")]
    public void Perf_32kRandomTokens_MidDocument()
    {
        var random = new Random(12345);
        const string alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 {}[]:,\"\\.-+_/\n";
        var texts = new List<string>(32_000);
        for (int i = 0; i < 32_000; i++)
        {
            var sb = new StringBuilder();
            int length = 1 + random.Next(8);
            for (int j = 0; j < length; j++)
            {
                sb.Append(alphabet[random.Next(alphabet.Length)]);
            }

            texts.Add(random.Next(50) == 0 ? "" : sb.ToString());
        }

        texts[0] = "{\"key\": [1, {\"s\": \"hello";
        texts[1] = "\", \"n\": 12";
        var constraint = new JsonTokenConstraint(texts, [31_999]);
        var logits = new double[texts.Count];
        constraint.Apply([0], logits); // warm-up (JIT)

        var times = new List<double>();
        int[][] positions = [[0], [0, 1]];
        foreach (int[] position in positions)
        {
            for (int rep = 0; rep < 5; rep++)
            {
                var fresh = new JsonTokenConstraint(texts, [31_999]);
                logits.AsSpan().Clear();
                var stopwatch = Stopwatch.StartNew();
                fresh.Apply(position, logits);
                stopwatch.Stop();
                times.Add(stopwatch.Elapsed.TotalMilliseconds);
                Assert.Contains(logits, l => l == 0);
            }
        }

        // Median per position: robust to a GC pause or to tests running in parallel.
        double best = times.Min();
        double inString = times.Take(5).Order().ElementAt(2);
        double afterNumber = times.Skip(5).Order().ElementAt(2);
        Assert.True(inString < 100 && afterNumber < 100, $"ms per position: {string.Join(", ", times.Select(t => t.ToString("F2")))}");
        Console.WriteLine($"JSON constraint, V=32000, ms per position: {string.Join(", ", times.Select(t => t.ToString("F2")))} (best {best:F2}, medians {inString:F2} in a string, {afterNumber:F2} after a number)");
    }
}

/// <summary>Runs the timing test without other tests in parallel.</summary>
[CollectionDefinition(nameof(JsonPerfCollection), DisableParallelization = true)]
public sealed class JsonPerfCollection;
