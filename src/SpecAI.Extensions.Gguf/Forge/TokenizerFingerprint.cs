using System.Security.Cryptography;
using System.Text;

namespace SpecAI.Extensions.Gguf.Forge;

/// <summary>Short content hashes for cache file names: the same tokenizer files give the same name wherever they live.</summary>
internal static class TokenizerFingerprint
{
    /// <summary>Hash of <c>tokenizer.json</c> and the <c>tokenizer_config.json</c> beside it; "-" for null.</summary>
    public static string Of(string? tokenizerPath)
    {
        if (tokenizerPath is null)
        {
            return "-";
        }

        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        string config = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(tokenizerPath))!, "tokenizer_config.json");
        foreach (string path in new[] { tokenizerPath, config })
        {
            if (!File.Exists(path))
            {
                throw new FileNotFoundException($"Tokenizer file '{path}' not found (tokenizer_config.json must sit beside tokenizer.json).", path);
            }

            hash.AppendData(File.ReadAllBytes(path));
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset())[..16];
    }

    /// <summary>The first 16 hex digits of the SHA-256 of <paramref name="text"/>.</summary>
    public static string OfText(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..16];
}
