using System.Text;
using System.Text.Json;
using Microsoft.Extensions.AI;
using SpecAI.Extensions.Hosting.Protocol;
using Xunit;

namespace SpecAI.Extensions.Hosting.Tests;

/// <summary>
/// The exact bytes of the protocol's bodies and streams (recorded from the hand-written writers the source-generated
/// DTOs replaced): escaping, property order, nulls written or left out, <c>specai</c> counters and <c>timings</c>.
/// </summary>
public class WireFormatTests
{
    private const string Tricky = "Héllo <b>&'\"\\ 😀\n\t\u0001 </script>";

    [Fact]
    public void WholeAnswer_WithCountersAndTimings()
    {
        var response = new ChatResponse(new ChatMessage(ChatRole.Assistant, Tricky)) { FinishReason = ChatFinishReason.Stop, Usage = Usage(true) };
        Assert.Equal(
            """"{"id":"chatcmpl-1","object":"chat.completion","created":1700000000,"model":"m","system_fingerprint":"specai","choices":[{"index":0,"message":{"role":"assistant","content":"H\u00E9llo \u003Cb\u003E\u0026\u0027\u0022\\ \uD83D\uDE00\n\t\u0001 \u003C/script\u003E","refusal":null},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":9,"completion_tokens":5,"total_tokens":14,"prompt_tokens_details":{"cached_tokens":2},"completion_tokens_details":{"reasoning_tokens":1,"accepted_prediction_tokens":11,"rejected_prediction_tokens":6}},"specai":{"drafted_tokens":17,"accepted_tokens":11,"weird\u003Ckey\u003E\u0022\u00E9":2,"first_token_us":12345,"generation_us":987654,"prefill_tokens":7,"generated_tokens":3},"timings":{"prompt_n":7,"prompt_ms":12.345,"prompt_per_token_ms":1.7635714285714286,"prompt_per_second":567.0311867152693,"predicted_n":3,"predicted_ms":987.654,"predicted_per_token_ms":329.218,"predicted_per_second":3.037500987187821,"draft_n":17,"draft_n_accepted":11}}"""",
            JsonSerializer.Serialize(ChatCompletionWriter.Create("chatcmpl-1", 1700000000, "m", response), ProtocolJsonContext.Default.CompletionDtoMessageChoiceDto));
    }

    [Fact]
    public void WholeAnswer_WithToolCall()
    {
        var response = new ChatResponse(new ChatMessage(ChatRole.Assistant, [new TextContent("t"), new FunctionCallContent("c2", "g", null)])) { FinishReason = ChatFinishReason.ToolCalls, Usage = Usage(false) };
        Assert.Equal(
            """"{"id":"chatcmpl-1","object":"chat.completion","created":1700000000,"model":"m","system_fingerprint":"specai","choices":[{"index":0,"message":{"role":"assistant","content":"t","refusal":null,"tool_calls":[{"id":"c2","type":"function","function":{"name":"g","arguments":"{}"}}]},"logprobs":null,"finish_reason":"tool_calls"}],"usage":{"prompt_tokens":9,"completion_tokens":5,"total_tokens":14,"prompt_tokens_details":{"cached_tokens":0},"completion_tokens_details":{"reasoning_tokens":0,"accepted_prediction_tokens":11,"rejected_prediction_tokens":6}},"specai":{"drafted_tokens":17,"accepted_tokens":11,"weird\u003Ckey\u003E\u0022\u00E9":2}}"""",
            JsonSerializer.Serialize(ChatCompletionWriter.Create("chatcmpl-1", 1700000000, "m", response), ProtocolJsonContext.Default.CompletionDtoMessageChoiceDto));
    }

    [Fact]
    public void LegacyCompletion_WithTwoChoices()
    {
        List<ChatResponse> choices =
        [
            new(new ChatMessage(ChatRole.Assistant, Tricky)) { FinishReason = ChatFinishReason.Stop, Usage = Usage(true) },
            new(new ChatMessage(ChatRole.Assistant, "x")) { FinishReason = ChatFinishReason.Length },
        ];
        Assert.Equal(
            """"{"id":"cmpl-1","object":"text_completion","created":1700000000,"model":"m","system_fingerprint":"specai","choices":[{"text":"H\u00E9llo \u003Cb\u003E\u0026\u0027\u0022\\ \uD83D\uDE00\n\t\u0001 \u003C/script\u003E","index":0,"logprobs":null,"finish_reason":"stop"},{"text":"x","index":1,"logprobs":null,"finish_reason":"length"}],"usage":{"prompt_tokens":9,"completion_tokens":5,"total_tokens":14,"prompt_tokens_details":{"cached_tokens":2},"completion_tokens_details":{"reasoning_tokens":0,"accepted_prediction_tokens":11,"rejected_prediction_tokens":6}},"specai":{"drafted_tokens":17,"accepted_tokens":11,"weird\u003Ckey\u003E\u0022\u00E9":2,"first_token_us":12345,"generation_us":987654,"prefill_tokens":7,"generated_tokens":3},"timings":{"prompt_n":7,"prompt_ms":12.345,"prompt_per_token_ms":1.7635714285714286,"prompt_per_second":567.0311867152693,"predicted_n":3,"predicted_ms":987.654,"predicted_per_token_ms":329.218,"predicted_per_second":3.037500987187821,"draft_n":17,"draft_n_accepted":11}}"""",
            JsonSerializer.Serialize(ChoicesWriter.Text("cmpl-1", 1700000000, "m", choices), ProtocolJsonContext.Default.CompletionDtoTextChoiceDto));
    }

    [Fact]
    public void Error_WritesNullParamAndCode()
    {
        var error = new OpenAIRequestException(400, "Invalid 'n': 0 is outside [1, 128].", "n");
        Assert.Equal(
            """"{"error":{"message":"Invalid \u0027n\u0027: 0 is outside [1, 128].","type":"invalid_request_error","param":"n","code":null}}"""",
            JsonSerializer.Serialize(ErrorWriter.Body(error), ProtocolJsonContext.Default.ErrorEnvelopeDto));
    }

    [Fact]
    public async Task ChatStream_WithToolCallsAndUsage()
    {
        using var body = new MemoryStream();
        var writer = new ChatCompletionChunkWriter(body, "chatcmpl-1", 1700000000, "m", includeUsage: true);
        foreach (var update in Updates(tools: true))
        {
            await writer.WriteAsync(update, default);
        }

        await writer.CompleteAsync(default);
        Assert.Equal(
            Events(
            """"{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1700000000,"model":"m","system_fingerprint":"specai","choices":[{"index":0,"delta":{"role":"assistant","content":"H\u00E9llo \u003Cb\u003E\u0026\u0027\u0022\\ \uD83D\uDE00\n\t\u0001 \u003C/script\u003E"},"logprobs":null,"finish_reason":null}],"usage":null,"specai":{"drafted_tokens":3,"accepted_tokens":2}}"""",
            """"{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1700000000,"model":"m","system_fingerprint":"specai","choices":[{"index":0,"delta":{"content":" more"},"logprobs":null,"finish_reason":null}],"usage":null}"""",
            """"{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1700000000,"model":"m","system_fingerprint":"specai","choices":[{"index":0,"delta":{"content":"a"},"logprobs":null,"finish_reason":null}],"usage":null}"""",
            """"{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1700000000,"model":"m","system_fingerprint":"specai","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"c","type":"function","function":{"name":"f","arguments":"{\n  \u0022q\u0022: 1.5\n}"}}]},"logprobs":null,"finish_reason":null}],"usage":null}"""",
            """"{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1700000000,"model":"m","system_fingerprint":"specai","choices":[{"index":0,"delta":{"content":"b"},"logprobs":null,"finish_reason":null}],"usage":null}"""",
            """"{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1700000000,"model":"m","system_fingerprint":"specai","choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"id":"d","type":"function","function":{"name":"g","arguments":"{}"}}]},"logprobs":null,"finish_reason":null}],"usage":null}"""",
            """"{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1700000000,"model":"m","system_fingerprint":"specai","choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"tool_calls"}],"usage":null,"specai":{"drafted_tokens":17,"accepted_tokens":11,"weird\u003Ckey\u003E\u0022\u00E9":2,"first_token_us":12345,"generation_us":987654,"prefill_tokens":7,"generated_tokens":3},"timings":{"prompt_n":7,"prompt_ms":12.345,"prompt_per_token_ms":1.7635714285714286,"prompt_per_second":567.0311867152693,"predicted_n":3,"predicted_ms":987.654,"predicted_per_token_ms":329.218,"predicted_per_second":3.037500987187821,"draft_n":17,"draft_n_accepted":11}}"""",
            """"{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1700000000,"model":"m","system_fingerprint":"specai","choices":[],"usage":{"prompt_tokens":9,"completion_tokens":5,"total_tokens":14,"prompt_tokens_details":{"cached_tokens":2},"completion_tokens_details":{"reasoning_tokens":1,"accepted_prediction_tokens":11,"rejected_prediction_tokens":6}}}"""",
            """"[DONE]""""),
            Encoding.UTF8.GetString(body.ToArray()));
    }

    [Fact]
    public async Task LegacyStream_WithTwoChoicesAndUsage()
    {
        using var body = new MemoryStream();
        var writer = new ChoicesChunkWriter(body, "cmpl-1", 1700000000, "m", 2, legacy: true, includeUsage: true);
        int i = 0;
        foreach (var update in Updates(tools: false))
        {
            await writer.WriteAsync(i++ % 2, update, default);
        }

        await writer.CompleteAsync(default);
        Assert.Equal(
            Events(
            """"{"id":"cmpl-1","object":"text_completion","created":1700000000,"model":"m","system_fingerprint":"specai","choices":[{"text":"H\u00E9llo \u003Cb\u003E\u0026\u0027\u0022\\ \uD83D\uDE00\n\t\u0001 \u003C/script\u003E","index":0,"logprobs":null,"finish_reason":null}],"usage":null}"""",
            """"{"id":"cmpl-1","object":"text_completion","created":1700000000,"model":"m","system_fingerprint":"specai","choices":[{"text":" more","index":1,"logprobs":null,"finish_reason":null}],"usage":null}"""",
            """"{"id":"cmpl-1","object":"text_completion","created":1700000000,"model":"m","system_fingerprint":"specai","choices":[{"text":"","index":0,"logprobs":null,"finish_reason":"length"}],"usage":null}"""",
            """"{"id":"cmpl-1","object":"text_completion","created":1700000000,"model":"m","system_fingerprint":"specai","choices":[{"text":"","index":1,"logprobs":null,"finish_reason":"stop"}],"usage":null}"""",
            """"{"id":"cmpl-1","object":"text_completion","created":1700000000,"model":"m","system_fingerprint":"specai","choices":[],"usage":{"prompt_tokens":9,"completion_tokens":5,"total_tokens":14,"prompt_tokens_details":{"cached_tokens":2},"completion_tokens_details":{"reasoning_tokens":0,"accepted_prediction_tokens":11,"rejected_prediction_tokens":6}}}"""",
            """"[DONE]""""),
            Encoding.UTF8.GetString(body.ToArray()));
    }

    [Fact]
    public async Task ChatChoicesStream_EndsWithAnErrorEvent()
    {
        using var body = new MemoryStream();
        var writer = new ChoicesChunkWriter(body, "chatcmpl-1", 1700000000, "m", 2, legacy: false, includeUsage: false);
        int i = 0;
        foreach (var update in Updates(tools: false))
        {
            await writer.WriteAsync(i++ % 2, update, default);
        }

        await writer.WriteErrorAsync(new OpenAIRequestException(503, "The server shut down.", null, OpenAIRequestException.ServerError, "server_shutting_down"), default);
        Assert.Equal(
            Events(
            """"{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1700000000,"model":"m","system_fingerprint":"specai","choices":[{"index":0,"delta":{"role":"assistant","content":"H\u00E9llo \u003Cb\u003E\u0026\u0027\u0022\\ \uD83D\uDE00\n\t\u0001 \u003C/script\u003E"},"logprobs":null,"finish_reason":null}]}"""",
            """"{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1700000000,"model":"m","system_fingerprint":"specai","choices":[{"index":1,"delta":{"role":"assistant","content":" more"},"logprobs":null,"finish_reason":null}]}"""",
            """"{"error":{"message":"The server shut down.","type":"server_error","param":null,"code":"server_shutting_down"}}""""),
            Encoding.UTF8.GetString(body.ToArray()));
    }

    private static string Events(params string[] events) => string.Concat(events.Select(e => "data: " + e + "\n\n"));

    private static UsageDetails Usage(bool timings, long extra = 0)
    {
        var counts = new AdditionalPropertiesDictionary<long>
        {
            ["specai.drafted_tokens"] = 17 + extra,
            ["specai.accepted_tokens"] = 11,
            ["other"] = 4,
            ["specai.weird<key>\"é"] = 2,
        };
        if (timings)
        {
            counts["specai.first_token_us"] = 12345 + extra;
            counts["specai.generation_us"] = 987654;
            counts["specai.prefill_tokens"] = 7;
            counts["specai.generated_tokens"] = 3;
        }

        return new UsageDetails { InputTokenCount = 9, OutputTokenCount = 5 + extra, TotalTokenCount = 14 + extra, CachedInputTokenCount = timings ? 2 : null, ReasoningTokenCount = timings ? 1 : null, AdditionalCounts = counts };
    }

    private static List<ChatResponseUpdate> Updates(bool tools)
    {
        var first = new ChatResponseUpdate(ChatRole.Assistant, Tricky);
        first.AdditionalProperties = new() { ["specai.drafted_tokens"] = 3L, ["specai.accepted_tokens"] = 2, ["specai.note"] = "text", ["x"] = 1L };
        var list = new List<ChatResponseUpdate> { first, new(ChatRole.Assistant, " more") };
        if (tools)
        {
            list.Add(new ChatResponseUpdate(ChatRole.Assistant, [new TextContent("a"), new FunctionCallContent("c", "f", new Dictionary<string, object?> { ["q"] = 1.5 }), new TextContent("b"), new FunctionCallContent("d", "g", null)]));
        }

        list.Add(new ChatResponseUpdate(ChatRole.Assistant, [new UsageContent(Usage(true))]) { FinishReason = tools ? null : ChatFinishReason.Length });
        return list;
    }
}
