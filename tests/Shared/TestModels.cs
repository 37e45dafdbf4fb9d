namespace SpecAI.Extensions.Testing;

/// <summary>Finds the shared test models (../shared/models beside the repository on dev machines and in CI).</summary>
internal static class TestModels
{
    private static readonly Lazy<string> Folder = new(Locate);

    public static string Stories => Path.Combine(Folder.Value, "stories260K.gguf");
    public static string StoriesF16 => Path.Combine(Folder.Value, "stories260K-f16.gguf");
    public static string StoriesQ4 => Path.Combine(Folder.Value, "stories260K-q4_0.gguf");
    public static string StoriesThreeLayers => Path.Combine(Folder.Value, "stories260K-draft-3L.gguf");
    public static string LlamaTinyRandom => Path.Combine(Folder.Value, "llama-2-tiny-random.gguf");

    private static string Locate()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "shared", "models");
            if (File.Exists(Path.Combine(candidate, "stories260K.gguf")))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException($"Test models not found: no 'shared/models/stories260K.gguf' in any folder above {AppContext.BaseDirectory}. They live beside the repository on dev machines and in CI.");
    }
}
