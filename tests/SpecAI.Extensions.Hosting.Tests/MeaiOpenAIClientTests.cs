using System.ComponentModel;
using System.Net;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.AI;
using SpecAI.Extensions.Hosting.Tests.TestSupport;

namespace SpecAI.Extensions.Hosting.Tests;

/// <summary>Microsoft.Extensions.AI.OpenAI's <c>AsIChatClient()</c> against the server over stories260K.</summary>
[Collection(StoriesServerCollection.Name)]
public sealed class MeaiOpenAIClientTests(StoriesServer fixture)
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ToolCall_RoundTripsUnderFunctionInvocation(bool streaming)
    {
        // stories260K cannot call tools: a grammar makes it write the call, then the answer (as the LLamaSharp tests do).
        string call = "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call>";
        var constraint = new ScriptedTextConstraint(fixture.Client.TokenTexts, new HashSet<int> { 2 }, call, "It is sunny in Paris.");
        var seen = new List<IList<ChatMessage>>();
        var tools = new List<IList<AITool>?>();
        fixture.Intercept = (messages, options) =>
        {
            seen.Add(messages);
            tools.Add(options.Tools);
            (options.AdditionalProperties ??= new())[SpeculativeChatOptionKeys.Constraint] = constraint;
        };
        try
        {
            string? calledWith = null;
            var tool = AIFunctionFactory.Create(([Description("City name")] string city) => { calledWith = city; return "sunny, 21 C"; }, "get_weather", "Current weather of a city");
            using var client = new ChatClientBuilder(fixture.Server.MeaiChatClient()).UseFunctionInvocation().Build();
            var options = new ChatOptions { Tools = [tool], Temperature = 0, MaxOutputTokens = 250 };
            var response = streaming
                ? await client.GetStreamingResponseAsync("What is the weather in Paris?", options).ToChatResponseAsync()
                : await client.GetResponseAsync("What is the weather in Paris?", options);

            Assert.Equal("Paris", calledWith);
            Assert.Equal("It is sunny in Paris.", response.Text.Trim());
            Assert.Equal(2, seen.Count);
            var sentCall = seen[1].SelectMany(m => m.Contents).OfType<FunctionCallContent>().Single();
            var result = seen[1].SelectMany(m => m.Contents).OfType<FunctionResultContent>().Single();
            Assert.Equal("get_weather", sentCall.Name);
            Assert.Equal(sentCall.CallId, result.CallId);
            Assert.Contains("sunny, 21 C", result.Result?.ToString());
            var declared = Assert.IsAssignableFrom<AIFunctionDeclaration>(Assert.Single(tools[0]!));
            Assert.Equal(("get_weather", "Current weather of a city"), (declared.Name, declared.Description));
            Assert.Contains("city", declared.JsonSchema.GetRawText());
        }
        finally
        {
            fixture.Intercept = null;
        }
    }

    [Fact]
    public async Task JsonSchemaFormat_OutputParses()
    {
        var schema = JsonDocument.Parse("""
            {"type": "object", "properties": {"mood": {"type": "string", "enum": ["happy", "sad", "angry"]}, "done": {"type": "boolean"}},
             "required": ["mood", "done"], "additionalProperties": false}
            """).RootElement;
        var response = await fixture.Server.MeaiChatClient().GetResponseAsync("Lily felt", new ChatOptions
        {
            Temperature = 0,
            MaxOutputTokens = 300,
            ResponseFormat = ChatResponseFormat.ForJsonSchema(schema, "mood"),
        });

        using var answer = JsonDocument.Parse(response.Text);
        Assert.Contains(answer.RootElement.GetProperty("mood").GetString(), new[] { "happy", "sad", "angry" });
        Assert.True(answer.RootElement.GetProperty("done").ValueKind is JsonValueKind.True or JsonValueKind.False);
        Assert.Equal(ChatFinishReason.Stop, response.FinishReason);
    }

    [Fact]
    public async Task SixConcurrentStreams_EqualSingleRequests()
    {
        string[] prompts = ["Tom had a ball.", "The sun was hot.", "Sue saw a cat.", "A bird sang.", "Ben was sad.", "Mom made a big cake for Lily."];
        var client = fixture.Server.MeaiChatClient();
        // Different lengths too: stories260K often continues different prompts alike, and a mix-up must show.
        async Task<string> StreamAsync(string prompt)
        {
            var options = new ChatOptions { Temperature = 0, MaxOutputTokens = 16 + (3 * Array.IndexOf(prompts, prompt)) };
            var text = new StringBuilder();
            await foreach (var update in client.GetStreamingResponseAsync(prompt, options))
            {
                text.Append(update.Text);
            }

            return text.ToString();
        }

        var single = new List<string>();
        foreach (string prompt in prompts)
        {
            single.Add(await StreamAsync(prompt));
        }

        string[] concurrent = await Task.WhenAll(prompts.Select(p => Task.Run(() => StreamAsync(p))));
        Assert.Equal(single, concurrent);
        Assert.True(single.Distinct().Count() == prompts.Length, "answers differ, so a mix-up would show: " + string.Join(" | ", single).ReplaceLineEndings("\\n"));
    }

    [Fact]
    public async Task ClientDisconnect_CancelsItsGeneration_AndTheNextRequestIsServed()
    {
        // A slow consumer between the server and the model, so the answer is still streaming when the client leaves.
        var slow = new SlowStreamingChatClient(fixture.Client, TimeSpan.FromMilliseconds(40));
        await using var server = await LoopbackServer.StartAsync(slow);
        long generatedBefore = fixture.Client.Statistics.GeneratedTokens;
        using (var http = server.HttpClient())
        {
            var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions")
            {
                Content = new StringContent("""{"messages":[{"role":"user","content":"Once upon a time"}],"stream":true,"max_tokens":1000,"temperature":0}""", Encoding.UTF8, "application/json"),
            };
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
            Assert.StartsWith("data: ", await reader.ReadLineAsync());
        }

        // Disposing the response closed the connection: the server's enumeration ends early, cancelled.
        bool completed = await slow.Ended.Task.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.False(completed, "the generation was cancelled, not run to the end");
        long generated = fixture.Client.Statistics.GeneratedTokens - generatedBefore;
        Assert.True(generated < 200, $"{generated} tokens generated after the client left");

        var next = await fixture.Server.MeaiChatClient().GetResponseAsync("Hello", new ChatOptions { Temperature = 0, MaxOutputTokens = 8 }).WaitAsync(TimeSpan.FromSeconds(20));
        Assert.False(string.IsNullOrEmpty(next.Text));
    }

    /// <summary>Delays each streamed update and reports whether the stream ran to its end.</summary>
    private sealed class SlowStreamingChatClient(IChatClient inner, TimeSpan delay) : DelegatingChatClient(inner)
    {
        public TaskCompletionSource<bool> Ended { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            bool completed = false;
            try
            {
                await foreach (var update in base.GetStreamingResponseAsync(messages, options, cancellationToken))
                {
                    await Task.Delay(delay, cancellationToken);
                    yield return update;
                }

                completed = true;
            }
            finally
            {
                Ended.TrySetResult(completed);
            }
        }

        protected override void Dispose(bool disposing)
        {
        }
    }
}
