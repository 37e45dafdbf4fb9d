namespace SpecAI.Extensions.Verification;

/// <summary>
/// The target model's input token embeddings (one row of <see cref="Dimension"/> floats per token id), read as the
/// model file stores them. <c>LanternVerifier</c> measures latent proximity between tokens with them.
/// </summary>
/// <remarks>
/// Implementations read rows on demand (a vocabulary of 152k-248k tokens times thousands of dimensions is gigabytes)
/// and may cache them; <see cref="GetRow"/> is called from the engine's one verification thread but must be safe to
/// call from several. The core holds no native type: the LLamaSharp backend fills this from the GGUF file.
/// </remarks>
public interface ITokenEmbeddings
{
    /// <summary>Number of token ids (rows).</summary>
    int VocabularySize { get; }

    /// <summary>Length of each row.</summary>
    int Dimension { get; }

    /// <summary>The embedding row of <paramref name="token"/>, dequantized; valid as long as the provider lives.</summary>
    /// <param name="token">A token id in [0, <see cref="VocabularySize"/>).</param>
    /// <returns>The row (<see cref="Dimension"/> floats).</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="token"/> is not a token id.</exception>
    ReadOnlyMemory<float> GetRow(int token);
}
