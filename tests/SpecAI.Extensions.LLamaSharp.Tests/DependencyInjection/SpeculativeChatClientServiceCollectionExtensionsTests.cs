using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SpecAI.Extensions.LLamaSharp.Tests.TestSupport;

namespace SpecAI.Extensions.LLamaSharp.Tests.DependencyInjection;

public sealed class SpeculativeChatClientServiceCollectionExtensionsTests
{
    private static readonly ChatOptions Short = new() { Temperature = 0, MaxOutputTokens = 12 };

    private static void Tiny(SpeculativeChatClientOptions o)
    {
        o.TargetModelPath = TestModels.Stories;
        o.DraftModelPath = TestModels.StoriesQ4;
        o.ContextSize = 512;
        o.Threads = 1;
        o.BatchSize = 128;
    }

    [Fact]
    public async Task AddSpeculativeChatClient_FromOptions_ResolvesWorkingClient()
    {
        var services = new ServiceCollection();
        services.AddSpeculativeChatClient(Tiny);
        using var provider = services.BuildServiceProvider();

        var client = provider.GetRequiredService<IChatClient>();
        var speculative = client.GetService<SpeculativeChatClient>();
        Assert.NotNull(speculative);
        Assert.Same(client, provider.GetRequiredService<IChatClient>());
        Assert.Equal(TestModels.Stories, provider.GetRequiredService<IOptions<SpeculativeChatClientOptions>>().Value.TargetModelPath);

        var response = await client.GetResponseAsync(StoriesClients.Prompt(), Short);
        Assert.False(string.IsNullOrWhiteSpace(response.Text));
    }

    [Fact]
    public async Task AddSpeculativeChatClient_FromConfigurationWithMiddleware_ReturnsText()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["SpecAI:TargetModelPath"] = TestModels.Stories,
                ["SpecAI:DraftModelPath"] = TestModels.StoriesQ4,
                ["SpecAI:Mode"] = "DraftModel",
                ["SpecAI:ContextSize"] = "512",
                ["SpecAI:Threads"] = "1",
                ["SpecAI:BatchSize"] = "128",
                ["SpecAI:DraftLength"] = "3",
                ["SpecAI:VocabularyMapping"] = "Intersection",
            })
            .Build();
        var services = new ServiceCollection();
        services.AddLogging(b => b.SetMinimumLevel(LogLevel.Debug));
        services.AddSpeculativeChatClient(configuration.GetSection(SpeculativeChatClientOptions.SectionName))
            .UseLogging()
            .UseOpenTelemetry(sourceName: "SpecAI.Tests");
        using var provider = services.BuildServiceProvider();

        var client = provider.GetRequiredService<IChatClient>();
        var speculative = client.GetService<SpeculativeChatClient>();
        Assert.NotNull(speculative);
        Assert.NotSame(speculative, client);
        var options = speculative.GetService<SpeculativeChatClientOptions>();
        Assert.Equal(3, options?.DraftLength);
        Assert.Equal(SpeculationMode.DraftModel, options?.Mode);
        Assert.Equal(VocabularyMapping.Intersection, options?.VocabularyMapping);
        Assert.Equal(VocabularyCompatibilityKind.Identical, client.GetService<VocabularyCompatibility>()?.Kind);

        var response = await client.GetResponseAsync(StoriesClients.Prompt(), Short);
        Assert.False(string.IsNullOrWhiteSpace(response.Text));
    }

    [Fact]
    public void AddKeyedSpeculativeChatClient_ResolvesByKeyOnly()
    {
        var services = new ServiceCollection();
        services.AddKeyedSpeculativeChatClient("stories", o =>
        {
            Tiny(o);
            o.DraftLength = 2;
        });
        using var provider = services.BuildServiceProvider();

        Assert.Null(provider.GetService<IChatClient>());
        var client = provider.GetRequiredKeyedService<IChatClient>("stories");
        Assert.Equal(2, client.GetService<SpeculativeChatClientOptions>()?.DraftLength);
    }

    [Fact]
    public void AddSpeculativeChatClient_BadConfiguration_ThrowsClearArgumentExceptionOnResolve()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["SpecAI:TargetModelPath"] = TestModels.Stories,
                ["SpecAI:Mode"] = "MultiDraft",
            })
            .Build();
        var services = new ServiceCollection();
        services.AddSpeculativeChatClient(configuration.GetSection("SpecAI"));
        using var provider = services.BuildServiceProvider();

        var ex = Assert.Throws<ArgumentException>(() => provider.GetRequiredService<IChatClient>());
        Assert.Contains("DraftModelPath", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AddSpeculativeChatClient_NullArguments_Throw()
    {
        var services = new ServiceCollection();
        Assert.Throws<ArgumentNullException>("configure", () => services.AddSpeculativeChatClient((Action<SpeculativeChatClientOptions>)null!));
        Assert.Throws<ArgumentNullException>("configuration", () => services.AddSpeculativeChatClient((IConfiguration)null!));
        Assert.Throws<ArgumentNullException>("serviceKey", () => services.AddKeyedSpeculativeChatClient(null!, Tiny));
    }
}
