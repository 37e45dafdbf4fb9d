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
        }
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
