using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.SemanticKernel;
using Microsoft.SemanticKernel.ChatCompletion;

namespace SpecAI.Extensions.SemanticKernel.Tests;

public sealed class SpeculativeKernelBuilderExtensionsTests
{
    private static void Tiny(SpeculativeChatClientOptions o)
    {
        o.TargetModelPath = TestModels.Stories;
        o.DraftModelPath = TestModels.StoriesQ4;
        o.ContextSize = 512;
        o.Threads = 1;
        o.BatchSize = 128;
        o.Temperature = 0;
        o.MaxOutputTokens = 16;
    }

    [Fact]
    public async Task AddSpeculativeChatClient_Kernel_ResolvesChatCompletionServiceThatAnswers()
    {
        var kernel = Kernel.CreateBuilder().AddSpeculativeChatClient(Tiny).Build();

        var chat = kernel.GetRequiredService<IChatCompletionService>();
        var history = new ChatHistory();
        history.AddUserMessage("Once upon a time, there was a little girl named Lily.");
        var answer = await chat.GetChatMessageContentAsync(history, kernel: kernel);

        Assert.False(string.IsNullOrWhiteSpace(answer.Content));
        Assert.NotNull(kernel.GetRequiredService<IChatClient>().GetService<SpeculativeChatClient>());
        kernel.GetRequiredService<IChatClient>().Dispose();
    }

    [Fact]
    public async Task AddSpeculativeChatClient_Kernel_InvokePromptAsyncReturnsText()
    {
        var kernel = Kernel.CreateBuilder().AddSpeculativeChatClient(Tiny).Build();

        var result = await kernel.InvokePromptAsync("Tom had a red ball.");

        Assert.False(string.IsNullOrWhiteSpace(result.ToString()));
        kernel.GetRequiredService<IChatClient>().Dispose();
    }

    [Fact]
    public void AddSpeculativeChatCompletion_WithServiceId_RegistersKeyedServices()
    {
        var services = new ServiceCollection();
        services.AddSpeculativeChatCompletion(Tiny, serviceId: "stories");
        using var provider = services.BuildServiceProvider();

        Assert.Null(provider.GetService<IChatCompletionService>());
        Assert.NotNull(provider.GetRequiredKeyedService<IChatCompletionService>("stories"));
        Assert.NotNull(provider.GetRequiredKeyedService<IChatClient>("stories").GetService<SpeculativeChatClient>());
    }

    [Fact]
    public void AddSpeculativeChatClient_BadOptions_ThrowsArgumentExceptionOnResolve()
    {
        var kernel = Kernel.CreateBuilder().AddSpeculativeChatClient(o => o.ContextSize = 512).Build();

        Assert.Throws<ArgumentException>(() => kernel.GetRequiredService<IChatCompletionService>());
    }
}
