namespace SpecAI.Extensions.Vocabulary;

/// <summary>
/// A model's tokenizer as vocabulary mapping needs it: turns plain text into token ids. Implemented over
/// llama.cpp in the backend package and by fakes in tests.
/// </summary>
internal interface ITextTokenizer
{
    /// <summary>
    /// Appends the tokens of <paramref name="text"/> as a continuation of earlier text: no BOS or EOS, text that
    /// looks like a special token stays text, and no space is prefixed (SentencePiece's <c>add_space_prefix</c>
    /// applies to the start of a prompt, not to a piece in the middle of one).
    /// </summary>
    /// <param name="text">The text.</param>
    /// <param name="destination">Receives the token ids.</param>
    void Tokenize(string text, List<int> destination);
}
