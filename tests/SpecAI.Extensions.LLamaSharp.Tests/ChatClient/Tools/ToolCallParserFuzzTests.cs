using System.Text;
using SpecAI.Extensions.ChatClient.Tools;

namespace SpecAI.Extensions.LLamaSharp.Tests.ChatClient.Tools;

/// <summary>Seeded mutations of model answers: the parser and the stream buffer never throw, and text is never lost.</summary>
public sealed class ToolCallParserFuzzTests
{
    private static readonly HashSet<string> Declared = new(StringComparer.Ordinal) { "get_weather", "add" };

    private static readonly string[] Answers =
    [
        "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call>",
        "Sure.<tool_call>{\"name\": \"add\", \"arguments\": \"{\\\"a\\\": 1}\"}</tool_call> and <tool_call>{\"name\": \"x\"}</tool_call>",
        "{\"name\": \"get_weather\", \"parameters\": {\"city\": [1, {\"deep\": null}]}}",
        "<|python_tag|>{\"name\": \"add\", \"arguments\": {\"a\": 1e400, \"b\": -0}}",
        "{\"name\": \"Alice\", \"age\": 7}",
        "Once upon a time {\"name\": \"get_weather\"",
    ];

    private const string Noise = "<>/{}[]\":,\\ _|tool_callnamearguments\u00e9\ud83d\ude00\u0000\n";

    [Theory]
    [InlineData(ToolCallFormat.Hermes)]
    [InlineData(ToolCallFormat.Llama31)]
    [InlineData(ToolCallFormat.Generic)]
    public void MutatedAnswers_ParseWithoutThrowing_AndKeepTheirText(ToolCallFormat format) =>
        FuzzHarness.Run(cases: 2_000, seed: 60_000 + (int)format * 10_000, random =>
        {
            string answer = Mutate(Answers[random.Next(Answers.Length)], random);
            _ = ToolCallParser.MayStartCall(answer, format);
            var (text, calls) = ToolCallParser.Parse(answer, format, Declared);
            if (calls.Count == 0)
            {
                Assert.Equal(answer, text);
            }

            if (format == ToolCallFormat.Llama31)
            {
                Assert.All(calls, c => Assert.Contains(c.Name, Declared));
            }

            // Streamed in random chunks, the buffer gives back exactly the answer (as text or calls).
            var buffer = new ToolCallBuffer(Declared, format);
            var streamed = new StringBuilder();
            for (int at = 0; at < answer.Length;)
            {
                int length = Math.Min(1 + random.Next(6), answer.Length - at);
                streamed.Append(buffer.Push(answer.Substring(at, length)));
                at += length;
            }

            var (held, parsed) = buffer.Complete();
            if (parsed.Count == 0)
            {
                Assert.Equal(answer, streamed + held);
            }
        }, []);

    private static string Mutate(string text, Random random)
    {
        var chars = new StringBuilder(text);
        int edits = random.Next(6);
        for (int e = 0; e < edits; e++)
        {
            int at = random.Next(chars.Length + 1);
            switch (random.Next(4))
            {
                case 0 when at < chars.Length:
                    chars[at] = Noise[random.Next(Noise.Length)];
                    break;
                case 1:
                    chars.Insert(at, Noise[random.Next(Noise.Length)]);
                    break;
                case 2 when at < chars.Length:
                    chars.Remove(at, Math.Min(1 + random.Next(8), chars.Length - at));
                    break;
                default:
                    // Deep nesting: the JSON reader's depth limit must surface as text, not as an exception.
                    chars.Insert(at, new string('[', random.Next(100)));
                    break;
            }
        }

        return chars.ToString();
    }
}
