using System.Text;
using SpecAI.Extensions.Vocabulary;

namespace SpecAI.Extensions.Tests.TestSupport;

/// <summary>Small vocabularies written as strings ("&lt;s&gt;" is BOS, "&lt;/s&gt;" EOS, "[PAD]" unused, "&lt;0xNN&gt;" a byte token) and a greedy longest-match tokenizer over them.</summary>
internal sealed class FakeVocabulary : ITextTokenizer
{
    private readonly string[] _texts;

    public FakeVocabulary(params string[] texts)
    {
        _texts = texts;
        var pieces = new byte[texts.Length][];
        var kinds = new TokenKind[texts.Length];
        for (int i = 0; i < texts.Length; i++)
        {
            string t = texts[i];
            (pieces[i], kinds[i]) = t switch
            {
                "<s>" or "</s>" or "<eot>" => (Encoding.UTF8.GetBytes(t), TokenKind.Control),
                "[PAD]" => ([], TokenKind.Unused),
                _ when t.StartsWith("<0x", StringComparison.Ordinal) => ([Convert.ToByte(t[3..5], 16)], TokenKind.Byte),
                _ => (Encoding.UTF8.GetBytes(t), TokenKind.Normal),
            };
        }

        Vocabulary = new TokenVocabulary("fake", pieces, kinds, Array.IndexOf(texts, "<s>"), Array.IndexOf(texts, "</s>"), addsBeginOfSequence: true, addsEndOfSequence: false);
    }

    public TokenVocabulary Vocabulary { get; }

    public int Count => _texts.Length;

    /// <summary>Calls made to <see cref="Tokenize"/> (the texts).</summary>
    public List<string> Calls { get; } = new();

    public int Id(string text) => Array.IndexOf(_texts, text) is int i and >= 0 ? i : throw new ArgumentException($"No token '{text}'.");

    public string Text(IEnumerable<int> tokens) => string.Concat(tokens.Select(t => _texts[t]));

    /// <summary>Greedy longest match over normal pieces; a byte without one becomes its byte token when there is one.</summary>
    public void Tokenize(string text, List<int> destination)
    {
        Calls.Add(text);
        byte[] bytes = Encoding.UTF8.GetBytes(text);
        int i = 0;
        while (i < bytes.Length)
        {
            int best = -1, bestLength = 0;
            for (int t = 0; t < Vocabulary.Count; t++)
            {
                var piece = Vocabulary.PieceOf(t);
                if (Vocabulary.KindOf(t) == TokenKind.Normal && piece.Length > bestLength && bytes.AsSpan(i).StartsWith(piece))
                {
                    (best, bestLength) = (t, piece.Length);
                }
            }

            if (best < 0)
            {
                best = Enumerable.Range(0, Vocabulary.Count).FirstOrDefault(t => Vocabulary.KindOf(t) == TokenKind.Byte && Vocabulary.PieceOf(t)[0] == bytes[i], -1);
                bestLength = 1;
            }

            if (best >= 0)
            {
                destination.Add(best);
            }

            i += bestLength;
        }
    }
}
