using SpecAI.Extensions.Gguf.Forge;
using SpecAI.Extensions.Gguf.Forge.Demo;

namespace SpecAI.Extensions.Gguf.Tests.Demo;

/// <summary>One demo family written once for the tests that only read it.</summary>
public sealed class DemoFamilyFixture : IDisposable
{
    private readonly TempFolder _folder = new();

    public DemoFamilyFixture() => Family = DemoModelForge.WriteFamily(_folder.File("t.gguf"), _folder.File("d.gguf"));

    public ForgedFamily Family { get; }

    public void Dispose() => _folder.Dispose();
}
