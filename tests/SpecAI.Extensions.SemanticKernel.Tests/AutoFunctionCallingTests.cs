using System.ComponentModel;
using Microsoft.Extensions.AI;
using Microsoft.SemanticKernel;

namespace SpecAI.Extensions.SemanticKernel.Tests;

public sealed class AutoFunctionCallingTests
{
    [Fact]
    public async Task KernelPlugin_InvokedThroughAutoFunctionCalling()
    {
        var builder = Kernel.CreateBuilder().AddSpeculativeChatClient(o =>
        {
            o.TargetModelPath = TestModels.Stories;
            o.DraftModelPath = TestModels.StoriesQ4;
            o.ContextSize = 2048;
            o.Threads = 1;
            o.BatchSize = 128;
            o.Temperature = 0;
            o.MaxOutputTokens = 250;
        });
        var plugin = new WeatherPlugin();
        builder.Plugins.AddFromObject(plugin, "weather");
        var kernel = builder.Build();
        using var client = kernel.GetRequiredService<IChatClient>();
        var speculative = client.GetService<SpeculativeChatClient>()!;

        var constraint = new ScriptedTextConstraint(
            speculative.TokenTexts,
            new HashSet<int> { 2 },
            "<tool_call>{\"name\": \"weather_get\", \"arguments\": {\"city\": \"Paris\"}}</tool_call>",
            "It is sunny.");
        var settings = new PromptExecutionSettings
        {
            FunctionChoiceBehavior = FunctionChoiceBehavior.Auto(),
            ExtensionData = new Dictionary<string, object> { [SpeculativeChatOptionKeys.Constraint] = constraint },
        };

        var result = await kernel.InvokePromptAsync("What is the weather in Paris?", new KernelArguments(settings));

        Assert.Equal("Paris", plugin.LastCity);
        Assert.Equal("It is sunny.", result.ToString().Trim());
        Assert.True(speculative.Statistics.AcceptedTokens > 0);
    }

    private sealed class WeatherPlugin
    {
        public string? LastCity { get; private set; }

        [KernelFunction("get")]
        [Description("Current weather of a city")]
        public string Get([Description("City name")] string city)
        {
            LastCity = city;
            return "sunny";
        }
    }
}
