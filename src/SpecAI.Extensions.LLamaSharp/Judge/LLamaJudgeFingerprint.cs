using LLama;
using LLama.Native;

namespace SpecAI.Extensions.Judge;

/// <summary>Fingerprints of GGUF models loaded through LLamaSharp, to bind a <see cref="JudgeHead"/> to its target.</summary>
public static class LLamaJudgeFingerprint
{
    /// <summary>The fingerprint of a loaded model: GGUF <c>general.name</c> (else the file name), embedding size, vocabulary size and hash.</summary>
    /// <param name="weights">The model.</param>
    /// <param name="modelPath">Its file (the name falls back to the file name).</param>
    /// <returns>The fingerprint.</returns>
    public static JudgeTargetFingerprint Of(LLamaWeights weights, string modelPath)
    {
        ArgumentNullException.ThrowIfNull(weights);
        ArgumentException.ThrowIfNullOrEmpty(modelPath);
        string name = weights.Metadata.TryGetValue("general.name", out string? n) && !string.IsNullOrWhiteSpace(n)
            ? n
            : Path.GetFileNameWithoutExtension(modelPath);
        var vocab = weights.Vocab;
        var texts = Enumerable.Range(0, vocab.Count).Select(i => vocab.LLamaTokenToString((LLamaToken)i, true) ?? string.Empty);
        return new JudgeTargetFingerprint(name, weights.EmbeddingSize, vocab.Count, JudgeTargetFingerprint.HashVocabulary(texts));
    }
}
