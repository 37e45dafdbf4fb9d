using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;
using OpenAI.Chat;
using SpecAI.Extensions.Hosting.Tests.TestSupport;

namespace SpecAI.Extensions.Hosting.Tests;

/// <summary><c>n</c> > 1 in chat completions and <c>POST /v1/completions</c> over stories260K.</summary>
[Collection(StoriesServerCollection.Name)]
public sealed class ChoicesTests(StoriesServer fixture)
{
    private const string Prompt = "Once upon a time, there was a little girl named";

    [Fact]
    public async Task Chat_NIndependentSamples_ThreeChoicesWithIndicesAndSummedUsage()
    {
        var body = await PostAsync("v1/chat/completions", new JsonObject
        {
            ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = Prompt }),
            ["n"] = 3,
            ["temperature"] = 1.0,
            ["seed"] = 5,
            ["max_tokens"] = 12,
        });

        var choices = body["choices"]!.AsArray();
        Assert.Equal(3, choices.Count);
        Assert.Equal([0, 1, 2], choices.Select(c => (int)c!["index"]!));
        Assert.All(choices, c => Assert.Equal("assistant", (string?)c!["message"]!["role"]));
        var texts = choices.Select(c => (string)c!["message"]!["content"]!).ToList();
        Assert.True(texts.Distinct().Count() >= 2, string.Join(" | ", texts));
        Assert.Equal(36, (int)body["usage"]!["completion_tokens"]!);
    }

    [Fact]
    public async Task Chat_Superposed_ThreeDistinctSuggestions()
    {
        var body = await PostAsync("v1/chat/completions", new JsonObject
        {
            ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = Prompt }),
            ["n"] = 3,
            ["max_tokens"] = 8,
            ["specai.mode"] = "superposed",
        });

        var texts = body["choices"]!.AsArray().Select(c => (string)c!["message"]!["content"]!).ToList();
        Assert.Equal(3, texts.Distinct().Count());
    }

    [Fact]
    public async Task Chat_StreamingN2_ChunksCarryTheChoiceIndex_EachChoiceFinishes()
    {
        var events = await StreamAsync("v1/chat/completions", new JsonObject
        {
            ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = Prompt }),
            ["n"] = 2,
            ["temperature"] = 0,
            ["max_tokens"] = 10,
            ["stream"] = true,
            ["stream_options"] = new JsonObject { ["include_usage"] = true },
        });

        var chunks = events.Where(e => e["choices"]!.AsArray().Count > 0).ToList();
        Assert.All(events, e => Assert.Equal("chat.completion.chunk", (string?)e["object"]));
        for (int index = 0; index < 2; index++)
        {
            var mine = chunks.Where(c => (int)c["choices"]![0]!["index"]! == index).ToList();
            string text = string.Concat(mine.Select(c => (string?)c["choices"]![0]!["delta"]!["content"] ?? string.Empty));
            Assert.False(string.IsNullOrEmpty(text));
            Assert.Equal("length", (string?)mine[^1]["choices"]![0]!["finish_reason"]);
        }

        Assert.Equal(20, (int)events[^1]["usage"]!["completion_tokens"]!);

        // Greedy samples are the same answer: both choices equal the in-process one.
        var local = await fixture.Client.GetResponseAsync(Prompt, new ChatOptions { Temperature = 0, MaxOutputTokens = 10 });
        Assert.Equal(local.Text, string.Concat(chunks.Where(c => (int)c["choices"]![0]!["index"]! == 1).Select(c => (string?)c["choices"]![0]!["delta"]!["content"] ?? string.Empty)));
    }

    [Fact]
    public async Task OpenAISdk_ChatWithN_ParsesTheFirstChoice()
    {
        var options = new ChatCompletionOptions { Temperature = 0, MaxOutputTokenCount = 10 };
        options.Patch.Set("$.n"u8, 2);
        ChatCompletion completion = await fixture.Server.OpenAIChatClient().CompleteChatAsync([new UserChatMessage(Prompt)], options);
        var local = await fixture.Client.GetResponseAsync(Prompt, new ChatOptions { Temperature = 0, MaxOutputTokens = 10 });
        Assert.Equal(local.Text, completion.Content[0].Text);
        Assert.Equal(20, completion.Usage.OutputTokenCount);
    }

    [Fact]
    public async Task Completions_RawPrompt_EqualsInProcessRawAnswer_UnknownFieldsIgnored()
    {
        var body = await PostAsync("v1/completions", new JsonObject
        {
            ["model"] = "stories260K",
            ["prompt"] = Prompt,
            ["max_tokens"] = 12,
            ["temperature"] = 0,
            ["echo"] = false,
            ["logprobs"] = null,
            ["suffix"] = null,
            ["user"] = "someone",
        });

        Assert.Equal("text_completion", (string?)body["object"]);
        var choice = body["choices"]![0]!;
        var local = await fixture.Client.GetResponseAsync(
            [new Microsoft.Extensions.AI.ChatMessage(ChatRole.User, Prompt)],
            new ChatOptions { Temperature = 0, MaxOutputTokens = 12, AdditionalProperties = new() { [SpeculativeChatOptionKeys.RawPrompt] = true } });
        Assert.Equal(local.Text, (string?)choice["text"]);
        Assert.Equal(0, (int)choice["index"]!);
        Assert.Equal("length", (string?)choice["finish_reason"]);
        Assert.Equal(local.Usage!.InputTokenCount, (long)body["usage"]!["prompt_tokens"]!);

        // Raw means no chat template: the prompt is fewer tokens than the templated one.
        var templated = await fixture.Client.GetResponseAsync(Prompt, new ChatOptions { Temperature = 0, MaxOutputTokens = 1 });
        Assert.True(local.Usage.InputTokenCount <= templated.Usage!.InputTokenCount);
    }

    [Fact]
    public async Task Completions_SuperposedN3_ThreeDistinctSuggestions()
    {
        var body = await PostAsync("v1/completions", new JsonObject
        {
            ["prompt"] = new JsonArray(Prompt),
            ["max_tokens"] = 8,
            ["n"] = 3,
            ["specai.mode"] = "superposed",
        });

        var choices = body["choices"]!.AsArray();
        Assert.Equal(3, choices.Select(c => (string)c!["text"]!).Distinct().Count());
        Assert.Equal([0, 1, 2], choices.Select(c => (int)c!["index"]!));
    }

    [Fact]
    public async Task Completions_StreamingN2_TextCompletionChunksWithIndex()
    {
        var events = await StreamAsync("v1/completions", new JsonObject
        {
            ["prompt"] = Prompt,
            ["max_tokens"] = 6,
            ["n"] = 2,
            ["seed"] = 3,
            ["temperature"] = 1,
            ["stream"] = true,
        });

        Assert.All(events, e => Assert.Equal("text_completion", (string?)e["object"]));
        Assert.Equal([0, 1], events.Select(e => (int)e["choices"]![0]!["index"]!).Distinct().Order());
        Assert.Equal(2, events.Count(e => e["choices"]![0]!["finish_reason"] is JsonValue));
    }

    [Theory]
    [InlineData("{\"prompt\":\"Hi\",\"echo\":true}", "echo")]
    [InlineData("{\"prompt\":[\"a\",\"b\"]}", "prompt")]
    [InlineData("{\"prompt\":\"Hi\",\"n\":0}", "n")]
    [InlineData("{\"max_tokens\":3}", "prompt")]
    public async Task Completions_BadRequest_Names(string json, string param)
    {
        using var http = fixture.Server.HttpClient();
        var response = await http.PostAsync("v1/completions", new StringContent(json, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["error"]!;
        Assert.Equal(param, (string?)error["param"]);
    }

    private async Task<JsonNode> PostAsync(string path, JsonObject body)
    {
        using var http = fixture.Server.HttpClient();
        var response = await http.PostAsJsonAsync(path, body);
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        return JsonNode.Parse(text)!;
    }

    private async Task<List<JsonNode>> StreamAsync(string path, JsonObject body)
    {
        using var http = fixture.Server.HttpClient();
        var response = await http.PostAsJsonAsync(path, body);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        string text = await response.Content.ReadAsStringAsync();
        var lines = text.Split('\n').Where(l => l.StartsWith("data: ", StringComparison.Ordinal)).Select(l => l["data: ".Length..]).ToList();
        Assert.Equal("[DONE]", lines[^1]);
        return lines.SkipLast(1).Select(l => JsonNode.Parse(l)!).ToList();
    }
}
