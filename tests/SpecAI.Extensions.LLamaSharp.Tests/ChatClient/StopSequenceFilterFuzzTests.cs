using System.Text;
using SpecAI.Extensions.ChatClient;

namespace SpecAI.Extensions.LLamaSharp.Tests.ChatClient;

/// <summary>Seeded random texts, chunkings and stop sequences: the filter's output never shows a stop sequence and loses nothing.</summary>
public sealed class StopSequenceFilterFuzzTests
{
    [Fact]
    public void RandomTextsAndChunks_KeepTheStreamingContract() =>
        FuzzHarness.Run(cases: 4_000, seed: 90_000, random =>
        {
            const string alphabet = "ab\n\u00e9 ";
            string text = Random(alphabet, random.Next(60), random);
            string[]? stops = random.Next(10) == 0 ? null : Enumerable.Range(0, random.Next(4)).Select(_ => Random(alphabet, random.Next(4), random)).ToArray();
            var filter = new StopSequenceFilter(stops);
            var emitted = new StringBuilder();
            for (int at = 0; at < text.Length && !filter.Stopped;)
            {
                int length = Math.Min(random.Next(5), text.Length - at);
                emitted.Append(filter.Push(text.Substring(at, length)));
                at += length;
            }

            if (!filter.Stopped)
            {
                emitted.Append(filter.Flush());
            }

            string output = emitted.ToString();
            Assert.StartsWith(output, text, StringComparison.Ordinal);
            var real = stops?.Where(s => s.Length > 0).ToArray() ?? [];
            Assert.All(real, s => Assert.DoesNotContain(s, output, StringComparison.Ordinal));
            if (filter.Stopped)
            {
                Assert.Contains(real, s => text.AsSpan(output.Length).StartsWith(s, StringComparison.Ordinal));
            }
            else
            {
                Assert.Equal(text, output);
            }
        }, []);

    private static string Random(string alphabet, int length, Random random) =>
        new(Enumerable.Range(0, length).Select(_ => alphabet[random.Next(alphabet.Length)]).ToArray());
}
