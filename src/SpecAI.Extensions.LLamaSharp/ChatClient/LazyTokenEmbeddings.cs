using SpecAI.Extensions.Verification;

namespace SpecAI.Extensions.ChatClient;

/// <summary>
/// The target's token embeddings, opened on first use: the client hands them to every request's settings, and only a
/// request that resolves to LANTERN above temperature 0 reads them (and so opens the GGUF file).
/// </summary>
internal sealed class LazyTokenEmbeddings(Func<ITokenEmbeddings> open) : ITokenEmbeddings
{
    private ITokenEmbeddings? _embeddings;

    public int VocabularySize => Embeddings.VocabularySize;

    public int Dimension => Embeddings.Dimension;

    private ITokenEmbeddings Embeddings => _embeddings ??= open();

    public ReadOnlyMemory<float> GetRow(int token) => Embeddings.GetRow(token);
}
