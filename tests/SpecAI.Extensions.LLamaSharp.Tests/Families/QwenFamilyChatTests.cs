using System.ComponentModel;
using System.Diagnostics;
using System.Text;
using LLama;
using Microsoft.Extensions.AI;
using SpecAI.Extensions.LLamaSharp.Tests.TestSupport;
using SpecAI.Extensions.Sampling;
using Xunit.Abstractions;

namespace SpecAI.Extensions.LLamaSharp.Tests.Families;

/// <summary>The Qwen3-style family (151,936 tokens, real tokenizer and ChatML template) through <see cref="SpeculativeChatClient"/>.</summary>
[Collection(TokenizerFamiliesCollection.Name)]
public class QwenFamilyChatTests(TokenizerFamilyClients families, ITestOutputHelper output)
{
    private const int ImStart = 151_644, ImEnd = 151_645, ToolCall = 151_657, ToolCallEnd = 151_658, ToolResponse = 151_665;

    private static readonly List<ChatMessage> Story = [new(ChatRole.System, "You are a storyteller."), new(ChatRole.User, "Tell me about the lighthouse keeper and his cat.")];

    [Fact]
    public void Prompt_WithTools_IsChatMlWithHermesTools_InRealSpecialTokens()
    {
        var tool = AIFunctionFactory.Create((string city) => "sunny", "get_weather", "Current weather of a city");
        int[] prompt = families.Qwen.TokenizePrompt([new ChatMessage(ChatRole.User, "Weather in Paris?")], new ChatOptions { Tools = [tool] });
        string text = string.Concat(prompt.Select(t => families.Qwen.TokenTexts[t]));

        Assert.Equal(ImStart, prompt[0]);
        Assert.Equal(3, prompt.Count(t => t == ImStart)); // system (tools), user, open assistant turn
        Assert.Equal(2, prompt.Count(t => t == ImEnd));
        Assert.Contains(ToolCall, prompt);
        Assert.Contains(ToolCallEnd, prompt);
        Assert.Contains("\"get_weather\"", text);
        Assert.EndsWith("assistant\n", text);
    }

    [Fact]
    public async Task ToolCall_WrittenWithTheToolCallToken_RunsUnderFunctionInvocation_ResultComesBackAsToolResponse()
    {
        var client = families.Qwen;
        int[] call = Tokenize(client, "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call>");
        int[] answer = Tokenize(client, "It is sunny in Paris.");
        Assert.Equal(ToolCall, call[0]);
        Assert.Equal(ToolCallEnd, call[^1]);

        string? calledWith = null;
        var tool = AIFunctionFactory.Create(([Description("City name")] string city) => { calledWith = city; return "sunny, 21 C"; }, "get_weather", "Current weather of a city");
        var seen = new List<IList<ChatMessage>>();
        // Not disposed: disposing the pipeline would dispose the shared client.
        var pipeline = new ChatClientBuilder(client)
            .UseFunctionInvocation()
            .Use((messages, options, next, ct) => { seen.Add(messages.ToList()); return next(messages, options, ct); })
            .Build();
        var response = await pipeline.GetResponseAsync("What is the weather in Paris?", new ChatOptions
        {
            Tools = [tool],
            Temperature = 0,
            MaxOutputTokens = 100,
            AdditionalProperties = new() { [SpeculativeChatOptionKeys.Constraint] = new ScriptedTokenConstraint(new HashSet<int> { ImEnd }, call, answer) },
        });

        Assert.Equal("Paris", calledWith);
        Assert.Equal("It is sunny in Paris.", response.Text.Trim());
        Assert.Equal(2, seen.Count);
        int[] second = client.TokenizePrompt(seen[1], new ChatOptions { Tools = [tool] });
        Assert.Contains(ToolResponse, second);
        Assert.Contains(ToolCall, second); // the assistant's call, rendered back in the history
        Assert.Contains("sunny, 21 C", string.Concat(second.Select(t => client.TokenTexts[t])));
    }

    [Fact]
    public async Task Greedy_SpeculativeEqualsPlain_TokenForToken()
    {
        var client = families.Qwen;
        var plain = await client.GenerateTokensAsync(Story, Greedy("none"));
        long accepted = client.Statistics.AcceptedTokens;
        var speculative = await client.GenerateTokensAsync(Story, Greedy("draft"));
        var multi = await client.GenerateTokensAsync(Story, Greedy("multi"));

        Assert.Equal(plain, speculative);
        Assert.Equal(plain, multi);
        Assert.True(plain.Length >= 16, $"only {plain.Length} tokens");
        Assert.True(client.Statistics.AcceptedTokens > accepted, "some drafts should be accepted");
        Assert.All(plain, t => Assert.True(t < 151_669, $"token {t} is padding"));
    }

    /// <remarks>
    /// Standard verification only: at a 152k vocabulary multi-draft verification costs tens of milliseconds per step
    /// (the large-vocabulary hot path is another issue), too slow for a CI-sized sample here.
    /// </remarks>
    [Fact]
    public async Task Temperature1_FirstTokenLawMatchesTarget_ChiSquare()
    {
        var client = families.Qwen;
        int[] prompt = client.TokenizePrompt(Story, null);
        double[] p = ExactTargetLaw.NextToken(families.QwenFamily.TargetPath, prompt, new SamplingOptions { Temperature = 1 });

        const int samples = 1_500;
        var counts = new long[p.Length];
        long drafted = client.Statistics.DraftedTokens, accepted = client.Statistics.AcceptedTokens;
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < samples; i++)
        {
            var tokens = await client.GenerateTokensAsync(Story, new ChatOptions
            {
                Temperature = 1,
                Seed = 20_000 + i,
                MaxOutputTokens = 2,
                AdditionalProperties = new()
                {
                    [SpeculativeChatOptionKeys.Mode] = "draft",
                    [SpeculativeChatOptionKeys.Verifier] = "standard",
                },
            });
            counts[tokens[0]]++;
        }

        var (statistic, df, pValue) = ChiSquare.Test(counts, p);
        drafted = client.Statistics.DraftedTokens - drafted;
        accepted = client.Statistics.AcceptedTokens - accepted;
        output.WriteLine($"standard: chi-square {statistic:F1}, df {df}, p {pValue:G3}; drafted {drafted}, accepted {accepted}; {clock.Elapsed.TotalSeconds:F1} s");
        Assert.True(pValue > 0.001, $"chi-square {statistic:F1} on {df} df, p = {pValue:G3}");
        Assert.True(df >= 10, $"only {df} degrees of freedom: the test would have little power");
        Assert.True(accepted > 0 && accepted < drafted, $"both accepts and rejections must occur (drafted {drafted}, accepted {accepted})");
    }

    private static ChatOptions Greedy(string mode) => new()
    {
        Temperature = 0,
        MaxOutputTokens = 48,
        AdditionalProperties = new() { [SpeculativeChatOptionKeys.Mode] = mode },
    };

    internal static int[] Tokenize(SpeculativeChatClient client, string text) =>
        ((LLamaWeights)client.GetService(typeof(LLamaWeights))!).Tokenize(text, add_bos: false, special: true, Encoding.UTF8).Select(t => (int)t).ToArray();
}
