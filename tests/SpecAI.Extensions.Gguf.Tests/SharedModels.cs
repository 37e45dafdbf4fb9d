namespace SpecAI.Extensions.Gguf.Tests;

/// <summary>Finds ../shared/models beside the repository by walking up from the test assembly.</summary>
internal static class SharedModels
{
    public static string Stories260K => Get("stories260K.gguf");

    public static string Get(string fileName)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "shared", "models");
            if (Directory.Exists(candidate))
            {
                string path = Path.Combine(candidate, fileName);
                return File.Exists(path)
                    ? path
                    : throw new FileNotFoundException($"Test model '{fileName}' is missing from '{candidate}'.", path);
            }
        }

        throw new DirectoryNotFoundException(
            $"No 'shared/models' folder found above '{AppContext.BaseDirectory}'. The test models live in ../shared/models relative to the repository root (present on dev machines and CI).");
    }
}
