using Microsoft.Extensions.AI;
using SpecAI.Extensions.LLamaSharp.Tests.TestSupport;

namespace SpecAI.Extensions.LLamaSharp.Tests.Prediction;

/// <summary>Predicted outputs (<see cref="SpeculativeChatOptionKeys.Prediction"/>) on stories260K: same answer, fewer target calls.</summary>
[Collection(StoriesCollection.Name)]
public sealed class PredictedOutputTests(StoriesClients clients)
{
    private const int Tokens = 60;

    [Theory]
    [InlineData("none")]
    [InlineData("draft")]
    [InlineData("lookup")]
    public async Task Prediction_AtTemperatureZero_LeavesTheAnswerUnchanged_AndReportsAcceptedTokens(string mode)
    {
        var client = clients.ThreeLayers;
        var plain = await client.GetResponseAsync(StoriesClients.Prompt(), Options(mode, prediction: null));
        string answer = plain.Text;
        string edited = answer[..(answer.Length / 3)] + " The big red dog jumped over the moon. " + answer[(answer.Length / 2)..];

        var exact = await client.GetResponseAsync(StoriesClients.Prompt(), Options(mode, answer));
        var partial = await client.GetResponseAsync(StoriesClients.Prompt(), Options(mode, edited));

        Assert.Equal(answer, exact.Text);
        Assert.Equal(answer, partial.Text);
        Assert.True(Count(exact, SpeculativeChatOptionKeys.AcceptedTokens) >= 40, $"exact prediction: {Describe(exact)}");
        Assert.True(Count(exact, SpeculativeChatOptionKeys.TargetCalls) < Count(plain, SpeculativeChatOptionKeys.TargetCalls), $"{Describe(exact)} vs {Describe(plain)}");
        Assert.True(Count(partial, SpeculativeChatOptionKeys.AcceptedTokens) > 0, Describe(partial));
        Assert.True(Count(partial, SpeculativeChatOptionKeys.DraftedTokens) > Count(partial, SpeculativeChatOptionKeys.AcceptedTokens), Describe(partial));
    }

    [Fact]
    public async Task Prediction_StreamingEqualsNonStreaming()
    {
        var client = clients.F16;
        var options = Options("none", "Once upon a time, there was a little girl named Lily. She loved to play outside.");
        var whole = await client.GetResponseAsync(StoriesClients.Prompt(), options);
        var streamed = await client.GetStreamingResponseAsync(StoriesClients.Prompt(), options).ToChatResponseAsync();
        Assert.Equal(whole.Text, streamed.Text);
        Assert.Equal(Count(whole, SpeculativeChatOptionKeys.AcceptedTokens), Count(streamed, SpeculativeChatOptionKeys.AcceptedTokens));
    }

    [Fact]
    public async Task Prediction_NotAString_ThrowsArgumentExceptionNamingTheKey()
    {
        var options = new ChatOptions { AdditionalProperties = new() { [SpeculativeChatOptionKeys.Prediction] = 42 } };
        var error = await Assert.ThrowsAsync<ArgumentException>(() => clients.F16.GetResponseAsync(StoriesClients.Prompt(), options));
        Assert.Contains(SpeculativeChatOptionKeys.Prediction, error.Message);
    }

    private static ChatOptions Options(string mode, string? prediction)
    {
        var options = new ChatOptions { Temperature = 0, MaxOutputTokens = Tokens, AdditionalProperties = new() { [SpeculativeChatOptionKeys.Mode] = mode } };
        if (prediction is not null)
        {
            options.AdditionalProperties[SpeculativeChatOptionKeys.Prediction] = prediction;
        }

        return options;
    }

    private static long Count(ChatResponse response, string key) => response.Usage!.AdditionalCounts!.TryGetValue(key, out long value) ? value : 0;

    private static string Describe(ChatResponse response) => string.Join(", ", response.Usage!.AdditionalCounts!.Select(c => $"{c.Key}={c.Value}"));
}
