using System.Text.Json;
using Microsoft.Extensions.AI;

namespace SpecAI.Extensions.Hosting.Protocol;

/// <summary>
/// Writes a whole answer with several choices: a <c>chat.completion</c> (message per choice) or a legacy
/// <c>text_completion</c> (text per choice). Usage counts the prompt once and every choice's tokens.
/// </summary>
internal static class ChoicesWriter
{
    /// <summary>Writes the answer.</summary>
    public static void Write(Utf8JsonWriter writer, string id, long created, string model, IReadOnlyList<ChatResponse> choices, bool legacy)
    {
        writer.WriteStartObject();
        writer.WriteString("id", id);
        writer.WriteString("object", legacy ? "text_completion" : "chat.completion");
        writer.WriteNumber("created", created);
        writer.WriteString("model", model);
        writer.WriteString("system_fingerprint", "specai");
        writer.WriteStartArray("choices");
        for (int i = 0; i < choices.Count; i++)
        {
            writer.WriteStartObject();
            if (legacy)
            {
                writer.WriteString("text", choices[i].Text);
                writer.WriteNumber("index", i);
            }
            else
            {
                writer.WriteNumber("index", i);
                writer.WriteStartObject("message");
                writer.WriteString("role", "assistant");
                writer.WriteString("content", choices[i].Text);
                writer.WriteNull("refusal");
                writer.WriteEndObject();
            }

            writer.WriteNull("logprobs");
            writer.WriteString("finish_reason", ResponseJson.FinishReason(choices[i].FinishReason, hasToolCalls: false));
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        var usage = Sum(choices.Select(c => c.Usage));
        ResponseJson.WriteUsage(writer, usage);
        if (usage.AdditionalCounts is { } counts)
        {
            ResponseJson.WriteCounters(writer, counts);
        }

        writer.WriteEndObject();
    }

    /// <summary>The choices' usage together: the prompt (and its cached part) once, every choice's output, counters summed.</summary>
    public static UsageDetails Sum(IEnumerable<UsageDetails?> usages)
    {
        var list = usages.ToList();
        var first = list.FirstOrDefault(u => u is not null);
        long output = list.Sum(u => u?.OutputTokenCount ?? 0);
        var counts = new AdditionalPropertiesDictionary<long>();
        foreach (var usage in list)
        {
            foreach (var (key, value) in usage?.AdditionalCounts ?? [])
            {
                counts[key] = counts.TryGetValue(key, out long sum) ? sum + value : value;
            }
        }

        return new UsageDetails
        {
            InputTokenCount = first?.InputTokenCount ?? 0,
            CachedInputTokenCount = first?.CachedInputTokenCount,
            OutputTokenCount = output,
            TotalTokenCount = (first?.InputTokenCount ?? 0) + output,
            AdditionalCounts = counts.Count > 0 ? counts : null,
        };
    }
}
