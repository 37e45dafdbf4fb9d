using System.Text.Json;
using Microsoft.Extensions.AI;

namespace SpecAI.Extensions.Hosting.Protocol;

/// <summary>Pieces shared by whole responses and stream chunks: usage, tool calls, finish reasons, speculation counters.</summary>
internal static class ResponseJson
{
    /// <summary>OpenAI's finish reason for an answer.</summary>
    public static string FinishReason(ChatFinishReason? reason, bool hasToolCalls)
    {
        if (reason == ChatFinishReason.Length)
        {
            return "length";
        }

        if (reason == ChatFinishReason.ContentFilter)
        {
            return "content_filter";
        }

        return reason == ChatFinishReason.ToolCalls || (hasToolCalls && reason is null) ? "tool_calls" : "stop";
    }

    /// <summary>
    /// Writes <c>"usage"</c>: prompt and completion tokens, and as <c>completion_tokens_details.accepted_prediction_tokens</c>
    /// / <c>rejected_prediction_tokens</c> the accepted and rejected draft tokens (<c>specai.accepted_tokens</c>,
    /// <c>specai.drafted_tokens</c> - accepted; 0 for a client that does not speculate).
    /// </summary>
    public static void WriteUsage(Utf8JsonWriter writer, UsageDetails? usage)
    {
        long input = usage?.InputTokenCount ?? 0;
        long output = usage?.OutputTokenCount ?? 0;
        long accepted = Count(usage, SpecAIKeys.AcceptedTokens);
        long drafted = Count(usage, SpecAIKeys.DraftedTokens);
        writer.WriteStartObject("usage");
        writer.WriteNumber("prompt_tokens", input);
        writer.WriteNumber("completion_tokens", output);
        writer.WriteNumber("total_tokens", usage?.TotalTokenCount ?? input + output);
        writer.WriteStartObject("prompt_tokens_details");
        writer.WriteNumber("cached_tokens", usage?.CachedInputTokenCount ?? 0);
        writer.WriteEndObject();
        writer.WriteStartObject("completion_tokens_details");
        writer.WriteNumber("reasoning_tokens", usage?.ReasoningTokenCount ?? 0);
        writer.WriteNumber("accepted_prediction_tokens", accepted);
        writer.WriteNumber("rejected_prediction_tokens", Math.Max(0, drafted - accepted));
        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    /// <summary>Writes <c>"specai": {...}</c> with the <c>specai.*</c> counters (prefix removed) when there are any.</summary>
    public static void WriteCounters(Utf8JsonWriter writer, IEnumerable<KeyValuePair<string, long>> counters)
    {
        bool started = false;
        foreach (var (key, value) in counters)
        {
            if (!key.StartsWith(SpecAIKeys.Prefix, StringComparison.Ordinal))
            {
                continue;
            }

            if (!started)
            {
                writer.WriteStartObject("specai");
                started = true;
            }

            writer.WriteNumber(key[SpecAIKeys.Prefix.Length..], value);
        }

        if (started)
        {
            writer.WriteEndObject();
            WriteTimings(writer, counters);
        }
    }

    /// <summary>
    /// Writes <c>"timings"</c> as llama-server does (prompt and generation tokens, ms, ms per token, tokens per second;
    /// drafted and accepted tokens) when the counters hold an answer's times (the final usage of a speculative client).
    /// The prompt's time is the time to the first token (a short prompt is decoded in the same batch as the first
    /// speculative step, so its own share cannot be told apart); <c>prompt_n</c> counts prompt tokens decoded, cached
    /// ones excluded.
    /// </summary>
    private static void WriteTimings(Utf8JsonWriter writer, IEnumerable<KeyValuePair<string, long>> counters)
    {
        long? promptUs = null, generationUs = null;
        long promptN = 0, predictedN = 0, drafted = 0, accepted = 0;
        foreach (var (key, value) in counters)
        {
            switch (key)
            {
                case SpecAIKeys.FirstTokenMicroseconds: promptUs = value; break;
                case SpecAIKeys.GenerationMicroseconds: generationUs = value; break;
                case SpecAIKeys.PrefillTokens: promptN = value; break;
                case SpecAIKeys.GeneratedTokens: predictedN = value; break;
                case SpecAIKeys.DraftedTokens: drafted = value; break;
                case SpecAIKeys.AcceptedTokens: accepted = value; break;
            }
        }

        if (promptUs is not { } prompt || generationUs is not { } generation)
        {
            return;
        }

        writer.WriteStartObject("timings");
        WritePhase(writer, "prompt", promptN, prompt / 1000.0);
        WritePhase(writer, "predicted", predictedN, generation / 1000.0);
        writer.WriteNumber("draft_n", drafted);
        writer.WriteNumber("draft_n_accepted", accepted);
        writer.WriteEndObject();
    }

    private static void WritePhase(Utf8JsonWriter writer, string phase, long tokens, double milliseconds)
    {
        writer.WriteNumber(phase + "_n", tokens);
        writer.WriteNumber(phase + "_ms", milliseconds);
        writer.WriteNumber(phase + "_per_token_ms", tokens > 0 ? milliseconds / tokens : 0);
        writer.WriteNumber(phase + "_per_second", milliseconds > 0 ? tokens * 1000.0 / milliseconds : 0);
    }

    /// <summary>The numeric <c>specai.*</c> values of an update's additional properties (running counters).</summary>
    public static IEnumerable<KeyValuePair<string, long>> Counters(AdditionalPropertiesDictionary? properties)
    {
        if (properties is null)
        {
            yield break;
        }

        foreach (var (key, value) in properties)
        {
            if (value is long or int or short or byte or uint or ulong or ushort)
            {
                yield return new(key, Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture));
            }
        }
    }

    /// <summary>Writes one tool call (<c>{"id", "type": "function", "function": {"name", "arguments"}}</c>), with its index in a stream.</summary>
    public static void WriteToolCall(Utf8JsonWriter writer, FunctionCallContent call, int? index)
    {
        writer.WriteStartObject();
        if (index is { } i)
        {
            writer.WriteNumber("index", i);
        }

        writer.WriteString("id", call.CallId);
        writer.WriteString("type", "function");
        writer.WriteStartObject("function");
        writer.WriteString("name", call.Name);
        writer.WriteString("arguments", call.Arguments is null ? "{}" : JsonSerializer.Serialize(call.Arguments, AIJsonUtilities.DefaultOptions.GetTypeInfo(typeof(IDictionary<string, object?>))));
        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    private static long Count(UsageDetails? usage, string key)
        => usage?.AdditionalCounts is { } counts && counts.TryGetValue(key, out long value) ? value : 0;
}
