using System.ClientModel;
using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.AI;
using OpenAI.Chat;
using SpecAI.Extensions.Hosting.Protocol;
using SpecAI.Extensions.Hosting.Tests.TestSupport;
using ChatFinishReason = Microsoft.Extensions.AI.ChatFinishReason;
using ChatMessage = Microsoft.Extensions.AI.ChatMessage;

namespace SpecAI.Extensions.Hosting.Tests;

/// <summary>The wire protocol over a fake chat client: what reaches the client, what goes back, errors.</summary>
public sealed class ProtocolTests : IAsyncLifetime
{
    private readonly FakeChatClient _fake = new();
    private LoopbackServer _server = null!;

    public async Task InitializeAsync() => _server = await LoopbackServer.StartAsync(_fake, metrics: true);

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task OpenAISdk_EveryOption_ReachesTheChatClient()
    {
        var client = _server.OpenAIChatClient("any-model");
        var options = new ChatCompletionOptions
        {
            Temperature = 0.5f,
            TopP = 0.9f,
            MaxOutputTokenCount = 33,
            Seed = 42,
            FrequencyPenalty = 0.25f,
            PresencePenalty = -0.5f,
            ToolChoice = ChatToolChoice.CreateFunctionChoice("get_weather"),
            ResponseFormat = OpenAI.Chat.ChatResponseFormat.CreateJsonSchemaFormat("mood", BinaryData.FromString("""{"type":"object","properties":{"mood":{"type":"string"}}}""")),
            OutputPrediction = ChatOutputPrediction.CreateStaticContentPrediction("It is sunny."),
        };
        options.StopSequences.Add("END");
        options.Tools.Add(ChatTool.CreateFunctionTool("get_weather", "Weather of a city", BinaryData.FromString("""{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}""")));
        options.Patch.Set("$.specai.mode"u8, "none");
        OpenAI.Chat.ChatMessage[] messages =
        [
            new SystemChatMessage("Be brief."),
            new DeveloperChatMessage("Answer in English."),
            new UserChatMessage("Weather in Paris?"),
            new AssistantChatMessage([ChatToolCall.CreateFunctionToolCall("call_1", "get_weather", BinaryData.FromString("""{"city":"Paris"}"""))]),
            new ToolChatMessage("call_1", "sunny"),
        ];

        ChatCompletion completion = await client.CompleteChatAsync(messages, options);

        Assert.Equal("Hello world", completion.Content[0].Text);
        var o = _fake.Options!;
        Assert.Equal(0.5f, o.Temperature);
        Assert.Equal(0.9f, o.TopP);
        Assert.Equal(33, o.MaxOutputTokens);
        Assert.Equal(42, o.Seed);
        Assert.Equal(0.25f, o.FrequencyPenalty);
        Assert.Equal(-0.5f, o.PresencePenalty);
        Assert.Equal(["END"], o.StopSequences!);
        Assert.Equal("any-model", o.ModelId);
        var tool = Assert.IsAssignableFrom<AIFunctionDeclaration>(Assert.Single(o.Tools!));
        Assert.Equal("get_weather", tool.Name);
        Assert.Equal("Weather of a city", tool.Description);
        Assert.Equal("string", tool.JsonSchema.GetProperty("properties").GetProperty("city").GetProperty("type").GetString());
        Assert.Equal("get_weather", Assert.IsType<RequiredChatToolMode>(o.ToolMode).RequiredFunctionName);
        var format = Assert.IsType<ChatResponseFormatJson>(o.ResponseFormat);
        Assert.Equal("mood", format.SchemaName);
        Assert.Equal("object", format.Schema!.Value.GetProperty("type").GetString());
        Assert.Equal("It is sunny.", o.AdditionalProperties![SpecAIKeys.Prediction]);
        Assert.Equal("none", o.AdditionalProperties!["specai.mode"]);

        var m = _fake.Messages!;
        Assert.Equal([ChatRole.System, ChatRole.System, ChatRole.User, ChatRole.Assistant, ChatRole.Tool], m.Select(x => x.Role));
        Assert.Equal("Answer in English.", m[1].Text);
        var call = Assert.IsType<FunctionCallContent>(Assert.Single(m[3].Contents));
        Assert.Equal(("call_1", "get_weather", "Paris"), (call.CallId, call.Name, call.Arguments!["city"]!.ToString()));
        var result = Assert.IsType<FunctionResultContent>(Assert.Single(m[4].Contents));
        Assert.Equal(("call_1", "sunny"), (result.CallId, result.Result?.ToString()));
    }

    [Fact]
    public async Task AnyChatClient_WithoutSpeculationCounters_ReportsZeroPredictionTokens()
    {
        ChatCompletion completion = await _server.OpenAIChatClient().CompleteChatAsync([new UserChatMessage("Hi")]);
        Assert.Equal("fake-model", completion.Model);
        Assert.Equal(OpenAI.Chat.ChatFinishReason.Stop, completion.FinishReason);
        Assert.Equal((3, 2, 5), (completion.Usage.InputTokenCount, completion.Usage.OutputTokenCount, completion.Usage.TotalTokenCount));
        Assert.Equal(0, completion.Usage.OutputTokenDetails.AcceptedPredictionTokenCount);
        Assert.Equal(0, completion.Usage.OutputTokenDetails.RejectedPredictionTokenCount);
    }

    [Fact]
    public async Task SpeculationCounters_BecomePredictionTokens_AndTheSpecaiObject()
    {
        _fake.Script = () =>
        [
            new(ChatRole.Assistant, "Hi") { AdditionalProperties = new() { ["specai.generated_tokens"] = 1L, ["specai.accepted_tokens"] = 0L } },
            new(ChatRole.Assistant, [new UsageContent(new UsageDetails
            {
                InputTokenCount = 4,
                OutputTokenCount = 9,
                AdditionalCounts = new() { [SpecAIKeys.DraftedTokens] = 12, [SpecAIKeys.AcceptedTokens] = 7, ["specai.target_calls"] = 3 },
            })]) { FinishReason = ChatFinishReason.Length },
        ];
        using var http = _server.HttpClient();
        using var response = await http.PostAsync("v1/chat/completions", Json("""{"messages":[{"role":"user","content":"Hi"}]}"""));
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var root = body.RootElement;
        Assert.Equal("length", root.GetProperty("choices")[0].GetProperty("finish_reason").GetString());
        var details = root.GetProperty("usage").GetProperty("completion_tokens_details");
        Assert.Equal(7, details.GetProperty("accepted_prediction_tokens").GetInt32());
        Assert.Equal(5, details.GetProperty("rejected_prediction_tokens").GetInt32());
        Assert.Equal(3, root.GetProperty("specai").GetProperty("target_calls").GetInt32());

        string sse = await (await http.PostAsync("v1/chat/completions", Json("""{"messages":[{"role":"user","content":"Hi"}],"stream":true}"""))).Content.ReadAsStringAsync();
        Assert.Contains("\"specai\":{\"generated_tokens\":1,\"accepted_tokens\":0}", sse);
        Assert.EndsWith("data: [DONE]\n\n", sse);
        Assert.DoesNotContain("\"usage\":{", sse);
    }

    [Fact]
    public async Task StreamedToolCall_ReachesTheOpenAISdkAsToolCallUpdate()
    {
        _fake.Script = () =>
        [
            new(ChatRole.Assistant, [new FunctionCallContent("call_9", "add", new Dictionary<string, object?> { ["a"] = 2, ["b"] = 3 })]),
            new(ChatRole.Assistant, []) { FinishReason = ChatFinishReason.ToolCalls },
        ];
        var options = new ChatCompletionOptions();
        options.Tools.Add(ChatTool.CreateFunctionTool("add"));
        var calls = new List<StreamingChatToolCallUpdate>();
        OpenAI.Chat.ChatFinishReason? finish = null;
        await foreach (var update in _server.OpenAIChatClient().CompleteChatStreamingAsync([new UserChatMessage("2+3")], options))
        {
            calls.AddRange(update.ToolCallUpdates);
            finish ??= update.FinishReason;
        }

        var call = Assert.Single(calls);
        Assert.Equal(("call_9", "add", 0), (call.ToolCallId, call.FunctionName, call.Index));
        using var arguments = JsonDocument.Parse(call.FunctionArgumentsUpdate);
        Assert.Equal(5, arguments.RootElement.GetProperty("a").GetInt32() + arguments.RootElement.GetProperty("b").GetInt32());
        Assert.Equal(OpenAI.Chat.ChatFinishReason.ToolCalls, finish);
    }

    public static TheoryData<string, string?> BadRequests => new()
    {
        { """{"messages":[{"role":"user","content":"x"}],"n":129}""", "n" },
        { """{"messages":[{"role":"user","content":"x"}],"n":2,"tools":[{"type":"function","function":{"name":"f"}}]}""", "n" },
        { """{"messages":[{"role":"user","content":"x"}],"temperature":2.5}""", "temperature" },
        { """{"messages":[{"role":"user","content":"x"}],"top_p":"high"}""", "top_p" },
        { """{"messages":[{"role":"user","content":"x"}],"max_tokens":0}""", "max_tokens" },
        { """{"messages":[{"role":"user","content":"x"}],"max_completion_tokens":-1}""", "max_completion_tokens" },
        { """{"messages":[{"role":"user","content":"x"}],"presence_penalty":3}""", "presence_penalty" },
        { """{"messages":[{"role":"user","content":"x"}],"stop":[""]}""", "stop" },
        { """{"model":"m"}""", "messages" },
        { """{"messages":[]}""", "messages" },
        { """{"messages":[{"role":"wizard","content":"x"}]}""", "messages[0].role" },
        { """{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"x"}}]}]}""", "messages[0].content[0].type" },
        { """{"messages":[{"role":"tool","content":"x"}]}""", "messages[0].tool_call_id" },
        { """{"messages":[{"role":"assistant","tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"{oops"}}]}]}""", "messages[0].tool_calls[0].function.arguments" },
        { """{"messages":[{"role":"user","content":"x"}],"tools":[{"type":"function","function":{"name":"bad name"}}]}""", "tools[0].function.name" },
        { """{"messages":[{"role":"user","content":"x"}],"tool_choice":"required"}""", "tool_choice" },
        { """{"messages":[{"role":"user","content":"x"}],"tools":[{"type":"function","function":{"name":"f"}}],"tool_choice":{"type":"function","function":{"name":"g"}}}""", "tool_choice.function.name" },
        { """{"messages":[{"role":"user","content":"x"}],"response_format":{"type":"xml"}}""", "response_format.type" },
        { """{"messages":[{"role":"user","content":"x"}],"response_format":{"type":"json_schema"}}""", "response_format.json_schema" },
        { """{"messages":[{"role":"user","content":"x"}],"stream_options":{"include_usage":true}}""", "stream_options" },
        { """{"messages":[{"role":"user","content":"x"}],"prediction":{"type":"file","content":"x"}}""", "prediction.type" },
        { """{"messages":[{"role":"user","content":"x"}],"logprobs":true}""", "logprobs" },
        { """{"messages":[{"role":"user","content":"x"}],"specai.constraint":"x"}""", "specai.constraint" },
        { """{"messages":[{"role":"user","content":"x"}],"specai":{"mode":["draft"]}}""", "specai.mode" },
        { """{"messages": [""", null },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task BadRequest_Is400InOpenAIShape_NamingTheParameter(string body, string? param)
    {
        using var http = _server.HttpClient();
        using var response = await http.PostAsync("v1/chat/completions", Json(body));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = await ErrorOf(response);
        Assert.Equal(param, error.GetProperty("param").GetString());
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
        Assert.False(string.IsNullOrEmpty(error.GetProperty("message").GetString()));
        Assert.True(error.TryGetProperty("code", out _));
    }

    [Fact]
    public async Task BadRequest_ThroughTheOpenAISdk_IsAClientResultWithStatus400()
    {
        var options = new ChatCompletionOptions { Temperature = 3 };
        var error = await Assert.ThrowsAsync<ClientResultException>(() => _server.OpenAIChatClient().CompleteChatAsync([new UserChatMessage("x")], options));
        Assert.Equal(400, error.Status);
        Assert.Contains("temperature", error.Message);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task QueueFull_Is503WithRetryAfter(bool stream)
    {
        _fake.ThrowOnRequest = new RequestQueueFullException("The request queue is full (64 waiting).");
        using var http = _server.HttpClient();
        using var response = await http.PostAsync("v1/chat/completions", Json($$"""{"messages":[{"role":"user","content":"x"}],"stream":{{(stream ? "true" : "false")}}}"""));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.True(response.Headers.RetryAfter is not null);
        var error = await ErrorOf(response);
        Assert.Equal("queue_full", error.GetProperty("code").GetString());
        Assert.Equal("server_error", error.GetProperty("type").GetString());
        Assert.Contains("64 waiting", error.GetProperty("message").GetString());
    }

    [Fact]
    public async Task ClientRejectsASetting_Is400_AndAFailureMidStream_IsAnErrorEvent()
    {
        _fake.ThrowOnRequest = new ArgumentException("ChatOptions.AdditionalProperties['specai.mode'] = 'fast' is not a valid value.", "options");
        using var http = _server.HttpClient();
        using var rejected = await http.PostAsync("v1/chat/completions", Json("""{"messages":[{"role":"user","content":"x"}],"specai.mode":"fast","stream":true}"""));
        Assert.Equal(HttpStatusCode.BadRequest, rejected.StatusCode);
        Assert.Contains("specai.mode", (await ErrorOf(rejected)).GetProperty("message").GetString());

        _fake.ThrowOnRequest = null;
        _fake.ThrowAfterFirstUpdate = new InvalidDataException("model file damaged");
        using var failed = await http.PostAsync("v1/chat/completions", Json("""{"messages":[{"role":"user","content":"x"}],"stream":true}"""));
        string sse = await failed.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, failed.StatusCode);
        Assert.Contains("\"content\":\"Hello\"", sse);
        Assert.Contains("\"error\":{\"message\":\"The server failed to answer: model file damaged\",\"type\":\"server_error\"", sse);
        Assert.DoesNotContain("[DONE]", sse);
    }

    [Fact]
    public async Task Models_Health_ChatPage_And_Metrics_AreServed()
    {
        using var http = _server.HttpClient();
        using var models = JsonDocument.Parse(await http.GetStringAsync("v1/models"));
        Assert.Equal("fake-model", models.RootElement.GetProperty("data")[0].GetProperty("id").GetString());
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("v1/models/fake-model")).StatusCode);
        using var missing = await http.GetAsync("v1/models/gpt-4o");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal("model_not_found", (await ErrorOf(missing)).GetProperty("code").GetString());
        Assert.Contains("\"status\":\"ok\"", await http.GetStringAsync("health"));

        using var page = await http.GetAsync("");
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        Assert.Contains("<title>SpecAI chat</title>", await page.Content.ReadAsStringAsync());

        await _server.OpenAIChatClient().CompleteChatAsync([new UserChatMessage("Hi")]);
        string metrics = await http.GetStringAsync("metrics");
        Assert.Contains("specai_server_requests", metrics);
        Assert.Contains("outcome=\"ok\"", metrics);
    }

    [Fact]
    public void SpecAIKeys_AgreeWithTheChatClientsKeys()
    {
        Assert.Equal(SpeculativeChatOptionKeys.Prediction, SpecAIKeys.Prediction);
        Assert.Equal(SpeculativeChatOptionKeys.Constraint, SpecAIKeys.Constraint);
        Assert.Equal(SpeculativeChatOptionKeys.DraftedTokens, SpecAIKeys.DraftedTokens);
        Assert.Equal(SpeculativeChatOptionKeys.AcceptedTokens, SpecAIKeys.AcceptedTokens);
        Assert.Equal(SpeculativeChatOptionKeys.Mode, SpecAIKeys.Mode);
        Assert.Equal(SpeculativeChatOptionKeys.SuperposedMode, SpecAIKeys.SuperposedMode);
        Assert.Equal(SpeculativeChatOptionKeys.Suggestions, SpecAIKeys.Suggestions);
        Assert.Equal(SpeculativeChatOptionKeys.SuggestionResponses, SpecAIKeys.SuggestionResponses);
        Assert.Equal(SpeculativeChatOptionKeys.RawPrompt, SpecAIKeys.RawPrompt);
        Assert.StartsWith(SpecAIKeys.Prefix, SpeculativeChatOptionKeys.Mode);
    }

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    private static async Task<JsonElement> ErrorOf(HttpResponseMessage response)
    {
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Single(document.RootElement.EnumerateObject());
        return document.RootElement.GetProperty("error").Clone();
    }
}
