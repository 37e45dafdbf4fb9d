using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.AI;

namespace SpecAI.Extensions.Hosting.Protocol;

/// <summary>Pieces shared by whole responses and stream chunks: usage, tool calls, finish reasons, speculation counters, as DTOs.</summary>
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
    /// OpenAI's <c>usage</c>: prompt and completion tokens, and as <c>completion_tokens_details.accepted_prediction_tokens</c>
    /// / <c>rejected_prediction_tokens</c> the accepted and rejected draft tokens (<c>specai.accepted_tokens</c>,
    /// <c>specai.drafted_tokens</c> - accepted; 0 for a client that does not speculate).
    /// </summary>
    public static UsageDto Usage(UsageDetails? usage)
    {
        long input = usage?.InputTokenCount ?? 0;
        long output = usage?.OutputTokenCount ?? 0;
        long accepted = Count(usage, SpecAIKeys.AcceptedTokens);
        long drafted = Count(usage, SpecAIKeys.DraftedTokens);
        return new UsageDto
        {
            PromptTokens = input,
            CompletionTokens = output,
            TotalTokens = usage?.TotalTokenCount ?? input + output,
            PromptTokensDetails = new() { CachedTokens = usage?.CachedInputTokenCount ?? 0 },
            CompletionTokensDetails = new()
            {
                ReasoningTokens = usage?.ReasoningTokenCount ?? 0,
                AcceptedPredictionTokens = accepted,
                RejectedPredictionTokens = Math.Max(0, drafted - accepted),
            },
        };
    }

    /// <summary>
    /// The <c>"specai"</c> object (the <c>specai.*</c> counters, prefix removed; null when there are none) and, with it,
    /// <c>"timings"</c> when the counters hold an answer's times.
    /// </summary>
    public static (Dictionary<string, long>? Specai, TimingsDto? Timings) SpecAIObject(IEnumerable<KeyValuePair<string, long>>? counters)
    {
        Dictionary<string, long>? specai = null;
        foreach (var (key, value) in counters ?? [])
        {
            if (key.StartsWith(SpecAIKeys.Prefix, StringComparison.Ordinal))
            {
                (specai ??= new(StringComparer.Ordinal))[key[SpecAIKeys.Prefix.Length..]] = value;
            }
        }

        return specai is null ? (null, null) : (specai, Timings(counters!));
    }

    /// <summary>
    /// <c>"timings"</c> as llama-server writes them (prompt and generation tokens, ms, ms per token, tokens per second;
    /// drafted and accepted tokens) when the counters hold an answer's times (the final usage of a speculative client).
    /// The prompt's time is the time to the first token (a short prompt is decoded in the same batch as the first
    /// speculative step, so its own share cannot be told apart); <c>prompt_n</c> counts prompt tokens decoded, cached
    /// ones excluded.
    /// </summary>
    private static TimingsDto? Timings(IEnumerable<KeyValuePair<string, long>> counters)
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
            return null;
        }

        double promptMs = prompt / 1000.0, predictedMs = generation / 1000.0;
        return new TimingsDto
        {
            PromptN = promptN,
            PromptMs = promptMs,
            PromptPerTokenMs = promptN > 0 ? promptMs / promptN : 0,
            PromptPerSecond = promptMs > 0 ? promptN * 1000.0 / promptMs : 0,
            PredictedN = predictedN,
            PredictedMs = predictedMs,
            PredictedPerTokenMs = predictedN > 0 ? predictedMs / predictedN : 0,
            PredictedPerSecond = predictedMs > 0 ? predictedN * 1000.0 / predictedMs : 0,
            DraftN = drafted,
            DraftNAccepted = accepted,
        };
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

    /// <summary>One tool call (<c>{"id", "type": "function", "function": {"name", "arguments"}}</c>), with its index in a stream.</summary>
    public static ToolCallDto ToolCall(FunctionCallContent call, int? index) => new()
    {
        Index = index,
        Id = call.CallId,
        Function = new()
        {
            Name = call.Name,
            Arguments = call.Arguments is null ? "{}" : JsonSerializer.Serialize(call.Arguments, AIJsonUtilities.DefaultOptions.GetTypeInfo(typeof(IDictionary<string, object?>))),
        },
    };

    /// <summary>Serializes <paramref name="value"/> as the whole response body (status and content type set first).</summary>
    public static async Task WriteAsync<T>(HttpResponse response, int status, T value, JsonTypeInfo<T> typeInfo, CancellationToken cancellationToken)
    {
        response.StatusCode = status;
        response.ContentType = "application/json";
        using var buffer = new MemoryStream();
        JsonSerializer.Serialize(buffer, value, typeInfo);
        await response.Body.WriteAsync(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), cancellationToken).ConfigureAwait(false);
    }

    private static long Count(UsageDetails? usage, string key)
        => usage?.AdditionalCounts is { } counts && counts.TryGetValue(key, out long value) ? value : 0;
}
