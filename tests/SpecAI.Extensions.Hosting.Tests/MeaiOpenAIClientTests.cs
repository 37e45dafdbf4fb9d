using System.ComponentModel;
using System.Net;
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
        // A grammar that never lets the story end and slows each step, so the answer is still being generated
        // when the client leaves; it also tells how far the generation got, from the thread that runs it.
        var probe = new EndlessSlowConstraint(endToken: 2, TimeSpan.FromMilliseconds(2));
        fixture.Intercept = (_, options) => (options.AdditionalProperties ??= new())[SpeculativeChatOptionKeys.Constraint] = probe;
        try
        {
            using (var http = fixture.Server.HttpClient())
            {
                var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions")
                {
                    Content = new StringContent("""{"messages":[{"role":"user","content":"Once upon a time"}],"stream":true,"max_tokens":1500,"temperature":0}""", Encoding.UTF8, "application/json"),
                };
                using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
                Assert.StartsWith("data: ", await reader.ReadLineAsync());
            }

            // Disposing the response closed the connection: the generation stops well before its 1,500 tokens.
            int stoppedAt = -1;
            for (int i = 0; i < 100 && stoppedAt < 0; i++)
            {
                int before = probe.Generated;
                await Task.Delay(200);
                stoppedAt = probe.Generated == before ? before : -1;
            }

            Assert.InRange(stoppedAt, 1, 1000);
        }
        finally
        {
            fixture.Intercept = null;
        }

        var next = await fixture.Server.MeaiChatClient().GetResponseAsync("Hello", new ChatOptions { Temperature = 0, MaxOutputTokens = 8 }).WaitAsync(TimeSpan.FromSeconds(20));
        Assert.False(string.IsNullOrEmpty(next.Text));
    }

    /// <summary>Bans the end token, sleeps a little per call, and records the longest answer it has seen.</summary>
    internal sealed class EndlessSlowConstraint(int endToken, TimeSpan delay) : Sampling.ITokenConstraint
    {
        private int _generated;

        public int Generated => Volatile.Read(ref _generated);

        public void Apply(ReadOnlySpan<int> generated, Span<double> logits)
        {
            Thread.Sleep(delay);
            logits[endToken] = double.NegativeInfinity;
            if (generated.Length > _generated)
            {
                Volatile.Write(ref _generated, generated.Length);
            }
        }
    }
}
