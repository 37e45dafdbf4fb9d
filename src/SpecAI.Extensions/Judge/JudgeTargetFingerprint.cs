using System.Globalization;
using System.Text;

namespace SpecAI.Extensions.Judge;

/// <summary>
/// Identifies the target model a <see cref="JudgeHead"/> was trained on: a head reads one model's hidden states,
/// and on another model its scores mean nothing, so loading it there is an error.
/// </summary>
/// <param name="ModelName">The model's name (GGUF <c>general.name</c>, else the file name).</param>
/// <param name="EmbeddingSize">The hidden size the head reads.</param>
/// <param name="VocabularySize">Tokens in the vocabulary.</param>
/// <param name="VocabularyHash">FNV-1a 64 hash of the token texts in id order (<see cref="HashVocabulary"/>).</param>
public sealed record JudgeTargetFingerprint(string ModelName, int EmbeddingSize, int VocabularySize, ulong VocabularyHash)
{
    /// <summary>Longest model name stored in a head file, in UTF-8 bytes.</summary>
    public const int MaxModelNameBytes = 1024;

    /// <summary>Hashes token texts in id order: FNV-1a 64 over each text's UTF-8 bytes, each followed by a 0xFF separator (never a UTF-8 byte).</summary>
    /// <param name="tokenTexts">The text of every token, id 0 first.</param>
    /// <returns>The hash.</returns>
    public static ulong HashVocabulary(IEnumerable<string> tokenTexts)
    {
        ArgumentNullException.ThrowIfNull(tokenTexts);
        ulong hash = Fnv1a.Offset;
        foreach (string text in tokenTexts)
        {
            hash = Fnv1a.Add(hash, Encoding.UTF8.GetBytes(text ?? string.Empty));
            hash = Fnv1a.Add(hash, 0xFF);
        }

        return hash;
    }

    /// <summary>Whether another fingerprint names the same model (every field equal; names compared ordinally).</summary>
    /// <param name="other">The other fingerprint.</param>
    /// <returns>True when they match.</returns>
    public bool Matches(JudgeTargetFingerprint other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return string.Equals(ModelName, other.ModelName, StringComparison.Ordinal)
            && EmbeddingSize == other.EmbeddingSize
            && VocabularySize == other.VocabularySize
            && VocabularyHash == other.VocabularyHash;
    }

    /// <inheritdoc />
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"'{ModelName}' (embedding {EmbeddingSize}, vocabulary {VocabularySize}, vocabulary hash {VocabularyHash:x16})");
}
