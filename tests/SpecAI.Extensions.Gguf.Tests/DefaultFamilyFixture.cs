using System.Diagnostics;
using SpecAI.Extensions.Gguf.Forge;

namespace SpecAI.Extensions.Gguf.Tests;

/// <summary>Forges the default (vocabulary 32,000) family once for the tests that need it.</summary>
public sealed class DefaultFamilyFixture : IDisposable
{
    private readonly TempFolder _folder = new();

    public DefaultFamilyFixture()
    {
        var clock = Stopwatch.StartNew();
        Family = LlamaModelForge.GetOrCreateFamily(_folder.Path);
        ForgeTime = clock.Elapsed;
    }

    public ForgedFamily Family { get; }

    public TimeSpan ForgeTime { get; }

    public string CacheDirectory => _folder.Path;

    public void Dispose() => _folder.Dispose();
}
