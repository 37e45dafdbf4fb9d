using Microsoft.Extensions.AI;

namespace SpecAI.Extensions.LLamaSharp.Tests.Families;

/// <summary>The Llama-3.1-style family (128,256 tokens, header-id template) through <see cref="SpeculativeChatClient"/>.</summary>
[Collection(TokenizerFamiliesCollection.Name)]
public class LlamaFamilyChatTests(TokenizerFamilyClients families)
{
    private const int Bos = 128_000, StartHeader = 128_006, EndHeader = 128_007, EndOfMessage = 128_008, EndOfTurn = 128_009, PythonTag = 128_010;

    [Fact]
    public void Prompt_UsesHeaderIds_AfterOneBos_WithLlama31Tools()
    {
        var tool = AIFunctionFactory.Create((int a, int b) => a + b, "add", "Adds two numbers");
        int[] prompt = families.Llama.TokenizePrompt([new ChatMessage(ChatRole.User, "2+3?")], new ChatOptions { Tools = [tool] });
        string text = string.Concat(prompt.Select(t => families.Llama.TokenTexts[t]));

        Assert.Equal([Bos, StartHeader], prompt[..2]);
        Assert.Single(prompt, t => t == Bos);
        Assert.Equal(3, prompt.Count(t => t == StartHeader)); // system (tools), user, open assistant turn
        Assert.Equal(3, prompt.Count(t => t == EndHeader));
        Assert.Equal(2, prompt.Count(t => t == EndOfTurn));
        Assert.StartsWith("system\n\nYou have access to the following functions.", text);
        Assert.Contains("\"parameters\"", text);
        Assert.EndsWith("assistant\n\n", text);
    }

    [Fact]
    public async Task PythonTagToolCall_EndedByEom_ParsesIntoFunctionCall_ResultGoesBackAsIpython()
    {
        var client = families.Llama;
        int[] call = [PythonTag, .. QwenFamilyChatTests.Tokenize(client, "{\"name\": \"add\", \"parameters\": {\"a\": 2, \"b\": 3}}")];
        int[] answer = QwenFamilyChatTests.Tokenize(client, "2 + 3 = 5.");
        var ends = new HashSet<int> { EndOfMessage, EndOfTurn };
        int? calledWith = null;
        var tool = AIFunctionFactory.Create((int a, int b) => { calledWith = a; return a + b; }, "add", "Adds two numbers");
        ChatOptions Options(params int[][] scripts) => new()
        {
            Tools = [tool],
            Temperature = 0,
            MaxOutputTokens = 100,
            AdditionalProperties = new() { [SpeculativeChatOptionKeys.Constraint] = new ScriptedTokenConstraint(ends, scripts) },
        };

        // The call alone: <|python_tag|> (a control token, so not in the text) and JSON, ended by <|eom_id|>.
        int[] tokens = await client.GenerateTokensAsync([new ChatMessage(ChatRole.User, "2+3?")], Options(call));
        Assert.Equal(PythonTag, tokens[0]);
        Assert.Contains(tokens[^1], new[] { EndOfMessage, EndOfTurn });

        var seen = new List<IList<ChatMessage>>();
        var pipeline = new ChatClientBuilder(client) // not disposed: that would dispose the shared client
            .UseFunctionInvocation()
            .Use((messages, o, next, ct) => { seen.Add(messages.ToList()); return next(messages, o, ct); })
            .Build();
        var response = await pipeline.GetResponseAsync("2+3?", Options(call, answer));

        Assert.Equal(2, calledWith);
        Assert.Equal("2 + 3 = 5.", response.Text.Trim());
        var first = Assert.Single(seen[1].SelectMany(m => m.Contents).OfType<FunctionCallContent>());
        Assert.Equal("add", first.Name);
        string second = string.Concat(client.TokenizePrompt(seen[1], new ChatOptions { Tools = [tool] }).Select(t => client.TokenTexts[t]));
        Assert.Contains("ipython\n\n5", second);
    }

    [Fact]
    public async Task Answers_EndAtEndOfTurn_WithStopFinishReason()
    {
        // About one answer in 200 tokens ends: within 300 tokens in ~78% of answers; the seeds are fixed.
        ChatResponse? stopped = null;
        for (int seed = 0; seed < 6 && stopped is null; seed++)
        {
            var response = await families.Llama.GetResponseAsync("Tell me a story.", new ChatOptions { Temperature = 1, Seed = seed, MaxOutputTokens = 300 });
            Assert.DoesNotContain("<|eot_id|>", response.Text);
            stopped = response.FinishReason == ChatFinishReason.Stop ? response : null;
        }

        Assert.NotNull(stopped);
        Assert.InRange(stopped.Usage!.OutputTokenCount!.Value, 1, 299);
        Assert.False(string.IsNullOrWhiteSpace(stopped.Text));
    }
}
