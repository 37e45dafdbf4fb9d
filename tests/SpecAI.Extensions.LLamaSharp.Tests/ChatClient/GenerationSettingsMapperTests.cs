using Microsoft.Extensions.AI;
using SpecAI.Extensions.ChatClient;
using SpecAI.Extensions.Engine;
using SpecAI.Extensions.Sampling;

namespace SpecAI.Extensions.LLamaSharp.Tests.ChatClient;

public class GenerationSettingsMapperTests
{
    private static readonly GenerationSettings Defaults = new SpeculativeChatClientOptions { TargetModelPath = "t.gguf", DraftModelPath = "d.gguf", Temperature = 0.7, MaxOutputTokens = 300, DraftLength = 4 }
        .ToGenerationSettings() with { StopTokens = new HashSet<int> { 2 } };

    [Fact]
    public void Map_WithoutRawRepresentation_UsesTheClientDefaults()
    {
        var settings = GenerationSettingsMapper.Map(new ChatOptions { TopP = 0.9f }, Defaults);
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
        var settings = GenerationSettingsMapper.Map(chat, Defaults, client);
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
        var settings = GenerationSettingsMapper.Map(chat, Defaults);
        Assert.Equal(SpeculationMode.MultiDraft, settings.Mode);
        Assert.Equal(3, settings.DraftCount);

        // The mapper only maps: that the standard rule means K-SEQ in multi-draft is decided when the engine resolves
        // the request (ResolvedRequestTests in the core tests).
        Assert.Equal(VerifierKind.Standard, settings.Verifier);
    }

    [Fact]
    public void Map_RawRepresentation_KeepsTheClientsResources()
    {
        var head = new SpecAI.Extensions.Judge.JudgeHead(new float[4], bias: 0f);
        var defaults = Defaults with { Judge = head };
        var chat = new ChatOptions { RawRepresentationFactory = _ => new GenerationSettings { Mode = SpeculationMode.Judge } };

        var settings = GenerationSettingsMapper.Map(chat, defaults);

        Assert.Same(head, settings.Judge);
        Assert.Equal(SpeculationMode.Judge, settings.Mode);
        Assert.Contains(2, settings.StopTokens);
    }

    [Fact]
    public void Map_DoesNotValidate_TheEngineResolvesOnce()
    {
        // Out-of-range values pass the mapper unchanged; the engine's resolution is the one place that rejects them.
        var settings = GenerationSettingsMapper.Map(new ChatOptions { AdditionalProperties = new() { [SpeculativeChatOptionKeys.LanternDelta] = 1.5 } }, Defaults);
        Assert.Equal(1.5, settings.LanternDelta);
        Assert.Throws<ArgumentOutOfRangeException>(settings.Validate);
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
