using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace SpecAI.Extensions.LLamaSharp.Tests.DependencyInjection;

/// <summary>Start-up validation, one load per provider even when it fails, and singleton-only registration.</summary>
public sealed class RegistrationHardeningTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("specai-di-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static IConfiguration Configuration(params (string Key, string Value)[] values) => new ConfigurationBuilder()
        .AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>("SpecAI:" + v.Key, v.Value)))
        .Build()
        .GetSection("SpecAI");

    [Fact]
    public void BadConfiguration_FailsAtStartUp()
    {
        var services = new ServiceCollection();
        services.AddSpeculativeChatClient(Configuration(("TargetModelPath", TestModels.Stories), ("Mode", "MultiDraft")));
        using var provider = services.BuildServiceProvider();

        // What a host runs in StartAsync (ValidateOnStart).
        var e = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());
        Assert.Contains("DraftModelPath", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MissingModelFile_FailsAtStartUp_ForKeyedClientsToo()
    {
        var services = new ServiceCollection();
        string missing = Path.Combine(_folder, "missing.gguf");
        services.AddKeyedSpeculativeChatClient("big", Configuration(("TargetModelPath", missing)));
        using var provider = services.BuildServiceProvider();

        var e = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());
        Assert.Contains(missing, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FailedLoad_IsNotRetried_TheSameExceptionIsRethrown()
    {
        string path = Path.Combine(_folder, "broken.gguf");
        File.WriteAllText(path, "not a model");
        var services = new ServiceCollection();
        services.AddSpeculativeChatClient(o => o.TargetModelPath = path);
        using var provider = services.BuildServiceProvider();

        var first = Assert.Throws<InvalidDataException>(() => provider.GetRequiredService<IChatClient>());
        File.Delete(path); // a retry would now fail differently (file not found)
        var second = Assert.Throws<InvalidDataException>(() => provider.GetRequiredService<IChatClient>());
        Assert.Same(first, second);
    }

    [Theory]
    [InlineData(ServiceLifetime.Scoped)]
    [InlineData(ServiceLifetime.Transient)]
    public void NonSingletonLifetime_IsRejected(ServiceLifetime lifetime)
    {
        var services = new ServiceCollection();
        Assert.Throws<ArgumentException>("lifetime", () => services.AddSpeculativeChatClient(o => o.TargetModelPath = TestModels.Stories, lifetime));
        Assert.Throws<ArgumentException>("lifetime", () => services.AddSpeculativeChatClient(Configuration(("TargetModelPath", TestModels.Stories)), lifetime));
        Assert.Throws<ArgumentException>("lifetime", () => services.AddKeyedSpeculativeChatClient("k", o => o.TargetModelPath = TestModels.Stories, lifetime));
        Assert.Throws<ArgumentException>("lifetime", () => services.AddKeyedSpeculativeChatClient("k", Configuration(("TargetModelPath", TestModels.Stories)), lifetime));
    }
}
