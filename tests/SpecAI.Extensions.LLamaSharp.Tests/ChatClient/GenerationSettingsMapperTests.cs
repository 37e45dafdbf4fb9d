using Microsoft.Extensions.AI;
using SpecAI.Extensions.ChatClient;
using SpecAI.Extensions.Engine;
using SpecAI.Extensions.Sampling;

namespace SpecAI.Extensions.LLamaSharp.Tests.ChatClient;

public class GenerationSettingsMapperTests
{
    private static readonly SpeculativeChatClientOptions Defaults = new() { TargetModelPath = "t.gguf", DraftModelPath = "d.gguf", Temperature = 0.7, MaxOutputTokens = 300, DraftLength = 4 };

    [Fact]
    public void Map_WithoutRawRepresentation_UsesTheClientDefaults()
    {
        var settings = GenerationSettingsMapper.Map(new ChatOptions { TopP = 0.9f }, Defaults, new HashSet<int> { 2 });
        Assert.Equal(0.7, settings.Sampling.Temperature, 6);
        Assert.Equal(0.9, settings.Sampling.TopP, 6);
        Assert.Equal(300, settings.MaxTokens);
        Assert.Equal(SpeculationMode.DraftModel, settings.Mode);
        Assert.Contains(2, settings.StopTokens);
    }

    [Fact]
    public void Map_RawRepresentationFactory_IsTheBasis_AndChatOptionsStillApply()
    {
        var raw = new GenerationSettings
        {
            Sampling = new SamplingOptions { Temperature = 1.3, MinP = 0.05, RepetitionPenalty = 1.1 },
            MaxTokens = 12,
            Mode = SpeculationMode.PromptLookup,
            PromptLookupMaxNgram = 5,
            StopTokens = new HashSet<int> { 9 },
        };
        IChatClient? seen = null;
        var chat = new ChatOptions
        {
            MaxOutputTokens = 20,
            RawRepresentationFactory = client =>
            {
                seen = client;
                return raw;
            },
        };
        using var client = new TestChatClient();
        var settings = GenerationSettingsMapper.Map(chat, Defaults, new HashSet<int> { 2 }, client);
        Assert.Same(client, seen);
        Assert.Equal(1.3, settings.Sampling.Temperature, 6);
        Assert.Equal(0.05, settings.Sampling.MinP, 6);
        Assert.Equal(1.1, settings.Sampling.RepetitionPenalty, 6);
        Assert.Equal(20, settings.MaxTokens);
        Assert.Equal(SpeculationMode.PromptLookup, settings.Mode);
        Assert.Equal(5, settings.PromptLookupMaxNgram);
        Assert.Equal(new HashSet<int> { 2, 9 }, settings.StopTokens.ToHashSet());
    }

    [Fact]
    public void Map_SpecAiKeys_OverrideTheRawRepresentation()
    {
        var chat = new ChatOptions
        {
            RawRepresentationFactory = _ => new GenerationSettings { Mode = SpeculationMode.None },
            AdditionalProperties = new() { [SpeculativeChatOptionKeys.Mode] = "multi", [SpeculativeChatOptionKeys.DraftCount] = 3 },
        };
        var settings = GenerationSettingsMapper.Map(chat, Defaults, new HashSet<int>());
        Assert.Equal(SpeculationMode.MultiDraft, settings.Mode);
        Assert.Equal(3, settings.DraftCount);
        Assert.Equal(VerifierKind.KSeq, settings.Verifier);
    }

    private sealed class TestChatClient : IChatClient
    {
        public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }
    }
}
