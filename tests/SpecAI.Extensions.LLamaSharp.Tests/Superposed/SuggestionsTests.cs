using Microsoft.Extensions.AI;

namespace SpecAI.Extensions.LLamaSharp.Tests.Superposed;

/// <summary>Superposed Decoding through the chat client on stories260K (a real llama model).</summary>
public sealed class SuggestionsTests : IDisposable
{
    private readonly SpeculativeChatClient _client = new(new SpeculativeChatClientOptions
    {
        TargetModelPath = TestModels.Stories,
        ContextSize = 512,
        Threads = 1,
        BatchSize = 128,
    });

    public void Dispose() => _client.Dispose();

    private static ChatOptions Raw(int k, int maxTokens) => new()
    {
        MaxOutputTokens = maxTokens,
        AdditionalProperties = new()
        {
            [SpeculativeChatOptionKeys.RawPrompt] = true,
            [SpeculativeChatOptionKeys.Suggestions] = k,
        },
    };

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(5)]
    public async Task Suggestions_AreKDistinctLossyResponses_WithUsage(int k)
    {
        var responses = await _client.GetSuggestionsAsync([new(ChatRole.User, "Once upon a time, there was a little")], Raw(k, 10));

        Assert.Equal(k, responses.Count);
        Assert.Equal(k, responses.Select(r => r.Text).Distinct().Count());
        for (int i = 0; i < k; i++)
        {
            var r = responses[i];
            Assert.False(string.IsNullOrWhiteSpace(r.Text));
            Assert.True(r.Usage!.InputTokenCount > 5);
            Assert.InRange(r.Usage.OutputTokenCount!.Value, 1, 10);
            Assert.Equal(true, r.AdditionalProperties![SpeculativeChatOptionKeys.Lossy]);
            Assert.Equal(i, r.AdditionalProperties[SpeculativeChatOptionKeys.SuggestionIndex]);
            Assert.NotNull(r.FinishReason);
        }

        var scores = responses.Select(r => (double)r.AdditionalProperties![SpeculativeChatOptionKeys.SuggestionScore]!).ToArray();
        Assert.Equal(scores.OrderDescending(), scores);
    }

    [Fact]
    public async Task NextKeystroke_ReusesTheCachedPrompt()
    {
        var first = await _client.GetSuggestionsAsync([new(ChatRole.User, "Once upon a time, there was a little")], Raw(3, 6));
        var next = await _client.GetSuggestionsAsync([new(ChatRole.User, "Once upon a time, there was a little girl")], Raw(3, 6));

        // Every token of the previous prompt is still in the KV cache (the superposed positions were removed).
        Assert.Equal(first[0].Usage!.InputTokenCount, next[0].Usage!.CachedInputTokenCount);
        Assert.True(next[0].Usage!.InputTokenCount > first[0].Usage!.InputTokenCount);
    }

    [Fact]
    public async Task ModeSuperposed_ThroughGetResponse_CarriesAllSuggestions()
    {
        var options = Raw(3, 8);
        options.AdditionalProperties![SpeculativeChatOptionKeys.Mode] = "superposed";
        var response = await _client.GetResponseAsync([new(ChatRole.User, "Lily went to the")], options);

        var all = Assert.IsAssignableFrom<IReadOnlyList<ChatResponse>>(response.AdditionalProperties![SpeculativeChatOptionKeys.SuggestionResponses]);
        Assert.Equal(3, all.Count);
        Assert.Equal(all[0].Text, response.Text);

        var streamed = await _client.GetStreamingResponseAsync([new(ChatRole.User, "Lily went to the")], options).ToChatResponseAsync();
        Assert.Equal(response.Text, streamed.Text);
    }

    [Fact]
    public async Task BadSuggestionCount_IsArgumentException()
    {
        await Assert.ThrowsAsync<ArgumentException>("options", () => _client.GetSuggestionsAsync([new(ChatRole.User, "Hi")], Raw(0, 4)));
    }
}
