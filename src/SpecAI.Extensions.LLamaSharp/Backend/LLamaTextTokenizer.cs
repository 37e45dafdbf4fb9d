using System.Text;
using LLama;
using SpecAI.Extensions.Vocabulary;

namespace SpecAI.Extensions.Backend;

/// <summary>
/// A model's tokenizer through llama.cpp, for text in the middle of a conversation: no BOS, special-token text
/// stays text, and no space prefix. Call it from the thread that owns the model (the scheduler's).
/// </summary>
/// <remarks>
/// llama.cpp's SentencePiece tokenizer puts a space before every piece of text it is given
/// (<c>add_space_prefix</c>), which is right for a prompt and wrong for a continuation. Text that starts with a
/// space gives that space up to the prefix; other text is tokenised behind a U+0001 sentinel, which no piece
/// merges with, and the tokens of the prefixed space and the sentinel are dropped.
/// </remarks>
internal sealed class LLamaTextTokenizer : ITextTokenizer
{
    private const string Sentinel = "\u0001";

    private readonly LLamaWeights _weights;
    private readonly TokenVocabulary _vocabulary;
    private readonly bool _prefixesSpace;

    public LLamaTextTokenizer(LLamaWeights weights, TokenVocabulary vocabulary)
    {
        _weights = weights;
        _vocabulary = vocabulary;
        _prefixesSpace = Spelled(Native("a"), 0) == 2 && _vocabulary.PieceOf((int)Native("a")[0])[0] == (byte)' ';
    }

    public void Tokenize(string text, List<int> destination)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(destination);
        if (text.Length == 0)
        {
            return;
        }

        if (!_prefixesSpace)
        {
            Add(Native(text), 0, destination);
            return;
        }

        if (text[0] == ' ' && text.Length > 1)
        {
            Add(Native(text[1..]), 0, destination);
            return;
        }

        // The prefixed space and the sentinel are 2 bytes; drop the tokens that spell exactly them.
        var tokens = Native(Sentinel + text);
        int skip = 0, spelled = 0;
        while (skip < tokens.Length && spelled < 2)
        {
            spelled += _vocabulary.PieceOf((int)tokens[skip++]).Length;
        }

        if (spelled != 2)
        {
            // The sentinel merged or became an unknown token: the plain tokens (with llama.cpp's extra space).
            Add(Native(text), 0, destination);
            return;
        }

        Add(tokens, skip, destination);
    }

    private LLama.Native.LLamaToken[] Native(string text) => _weights.Tokenize(text, false, false, Encoding.UTF8);

    private int Spelled(LLama.Native.LLamaToken[] tokens, int from)
    {
        int length = 0;
        for (int i = from; i < tokens.Length; i++)
        {
            length += _vocabulary.PieceOf((int)tokens[i]).Length;
        }

        return length;
    }

    private static void Add(LLama.Native.LLamaToken[] tokens, int from, List<int> destination)
    {
        for (int i = from; i < tokens.Length; i++)
        {
            destination.Add((int)tokens[i]);
        }
    }
}
