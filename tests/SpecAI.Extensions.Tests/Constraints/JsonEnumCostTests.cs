using System.Diagnostics;
using System.Text;
using SpecAI.Extensions.Constraints;
using SpecAI.Extensions.Testing;

namespace SpecAI.Extensions.Tests.Constraints;

/// <summary>
/// A large enum (or closed key set) costs about what a small one does per token: enum values and keys are tries, not
/// lists scanned per character. Prints per-position mask times for 5 and 5,000 values.
/// </summary>
[Collection(nameof(JsonPerfCollection))]
public class JsonEnumCostTests
{
    [PerfFact]
    [Trait("Category", "Perf")]
    public void Perf_FiveThousandEnumValues_CostAboutAsMuchAsFive()
    {
        var random = new Random(2024);
        const string alphabet = "abcdefghijklmnopqrstuvwxyz_0123456789 {}[]:,\"\\.-";
        var texts = new List<string>(32_000);
        for (int i = 0; i < 32_000; i++)
        {
            var token = new StringBuilder();
            int length = 1 + random.Next(6);
            for (int j = 0; j < length; j++)
            {
                token.Append(alphabet[random.Next(alphabet.Length)]);
            }

            texts.Add(token.ToString());
        }

        texts[0] = "{\"kind\": \"";
        texts[1] = "value_";
        texts[2] = "3\"";
        texts[3] = "{\"";
        int eos = texts.Count - 1;

        double[] Measure(int values, bool keys)
        {
            // An enum of "value_0", "value_1", ... or a closed object whose keys are those strings.
            string names = string.Join(",", Enumerable.Range(0, values).Select(v => keys ? $"\"value_{v}\":{{}}" : $"\"value_{v}\""));
            var schema = JsonSchemaSubset.Parse(keys
                ? "{\"type\":\"object\",\"properties\":{" + names + "},\"additionalProperties\":false}"
                : "{\"type\":\"object\",\"properties\":{\"kind\":{\"enum\":[" + names + "]}},\"required\":[\"kind\"],\"additionalProperties\":false}");
            int open = keys ? 3 : 0;
            int[][] positions = [[open], [open, 1], [open, 1, 2]];
            var logits = new double[texts.Count];
            new JsonTokenConstraint(texts, [eos], schema).Apply([open, 1], logits); // JIT warm-up
            var medians = new double[positions.Length];
            for (int p = 0; p < positions.Length; p++)
            {
                var times = new List<double>();
                for (int rep = 0; rep < 5; rep++)
                {
                    var constraint = new JsonTokenConstraint(texts, [eos], schema);
                    var clock = Stopwatch.StartNew();
                    constraint.Apply(positions[p], logits);
                    times.Add(clock.Elapsed.TotalMilliseconds);
                }

                medians[p] = times.Order().ElementAt(2);
            }

            return medians;
        }

        foreach (bool keys in new[] { false, true })
        {
            double[] small = Measure(5, keys);
            double[] large = Measure(5_000, keys);
            string what = keys ? "closed key set" : "enum";
            Console.WriteLine($"JSON {what} mask, V=32000, median ms per position (string start, after 'value_', after the string): 5 strings {string.Join(" / ", small.Select(t => t.ToString("F2")))}, 5000 strings {string.Join(" / ", large.Select(t => t.ToString("F2")))}");

            // Loose on purpose (timing on shared CI machines): a linear scan per character costs hundreds of times more.
            Assert.True(large.Sum() < 5 * small.Sum() + 20, $"{what}, 5000 strings: {string.Join(", ", large)} ms; 5 strings: {string.Join(", ", small)} ms");
        }
    }
}
