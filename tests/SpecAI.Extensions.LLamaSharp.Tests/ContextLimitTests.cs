using Microsoft.Extensions.AI;
using SpecAI.Extensions.LLamaSharp.Tests.TestSupport;

namespace SpecAI.Extensions.LLamaSharp.Tests;

/// <summary>Answers that run into the end of a small context stop cleanly, whatever the draft tree's size.</summary>
public sealed class ContextLimitTests : IDisposable
{
    private readonly SpeculativeChatClient _client = StoriesClients.Create(TestModels.StoriesQ4, contextSize: 96);

    public void Dispose() => _client.Dispose();

    [Theory]
    [InlineData("none", 1)]
    [InlineData("draft", 1)]
    [InlineData("multi", 4)]
    public async Task AnswerReachingContextEnd_StopsWithLength_AndClientStillWorks(string mode, int draftCount)
    {
        var options = new ChatOptions
        {
            Temperature = 1,
            Seed = 1,
            MaxOutputTokens = 500,
            AdditionalProperties = new()
            {
                [SpeculativeChatOptionKeys.Mode] = mode,
                [SpeculativeChatOptionKeys.DraftCount] = draftCount,
                [SpeculativeChatOptionKeys.DraftLength] = 6,
            },
        };
        var response = await _client.GetResponseAsync(StoriesClients.Prompt(), options);
        int prompt = _client.TokenizePrompt(StoriesClients.Prompt(), null).Length;
        Assert.Equal(ChatFinishReason.Length, response.FinishReason);
        // llama.cpp rounds the context up (to 256 here): the session reports the real size.
        Assert.Equal(_client.TargetSession.ContextSize - prompt, response.Usage!.OutputTokenCount);

        var again = await _client.GetResponseAsync(StoriesClients.Prompt(), new ChatOptions { Temperature = 0, MaxOutputTokens = 5 });
        Assert.Equal(5, again.Usage!.OutputTokenCount);
    }

    [Fact]
    public async Task PromptLongerThanContext_ThrowsArgumentException()
    {
        string longText = string.Join(" ", Enumerable.Repeat("Lily and Tom went to the park to play.", 60));
        await Assert.ThrowsAsync<ArgumentException>(() => _client.GetResponseAsync(longText));
    }
}
