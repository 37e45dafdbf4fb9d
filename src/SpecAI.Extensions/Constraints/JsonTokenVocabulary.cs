namespace SpecAI.Extensions.Constraints;

/// <summary>
/// A vocabulary prepared once for <see cref="JsonTokenConstraint"/>s: the token texts, the end-of-generation tokens and
/// the character trie over the texts. Building the trie walks the whole vocabulary, so keep one per model (a chat client
/// keeps one) and create each request's constraint from it.
/// </summary>
internal sealed class JsonTokenVocabulary
{
    /// <summary>Prepares a vocabulary.</summary>
    /// <param name="tokenTexts">The decoded text of each token id; empty for control, unknown or special tokens.</param>
    /// <param name="endOfGenerationTokens">Token ids that end the generation.</param>
    public JsonTokenVocabulary(IReadOnlyList<string> tokenTexts, IEnumerable<int> endOfGenerationTokens)
    {
        ArgumentNullException.ThrowIfNull(tokenTexts);
        ArgumentNullException.ThrowIfNull(endOfGenerationTokens);
        TokenTexts = tokenTexts;
        EndSet = new HashSet<int>(endOfGenerationTokens);
        EndTokens = EndSet.Where(t => t >= 0 && t < tokenTexts.Count).Order().ToArray();
        Trie = new TokenTrie(tokenTexts, id => !EndSet.Contains(id));
    }

    /// <summary>The decoded text of each token id.</summary>
    public IReadOnlyList<string> TokenTexts { get; }

    /// <summary>The end-of-generation token ids.</summary>
    public IReadOnlySet<int> EndOfGenerationTokens => EndSet;

    /// <summary>Number of entries in the vocabulary.</summary>
    public int Count => TokenTexts.Count;

    internal HashSet<int> EndSet { get; }

    /// <summary>End tokens inside the vocabulary, ascending.</summary>
    internal int[] EndTokens { get; }

    internal TokenTrie Trie { get; }
}
