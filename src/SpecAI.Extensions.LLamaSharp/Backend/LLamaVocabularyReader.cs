using LLama;
using LLama.Native;
using SpecAI.Extensions.Vocabulary;

namespace SpecAI.Extensions.Backend;

/// <summary>Reads a loaded model's vocabulary for mapping: each token's bytes (llama.cpp's own piece), kind and the BOS/EOS conventions.</summary>
internal static class LLamaVocabularyReader
{
    /// <summary>Reads every token of <paramref name="weights"/>'s vocabulary (one native call per token; well under a second at 152k tokens).</summary>
    public static TokenVocabulary Read(LLamaWeights weights)
    {
        var vocab = weights.Vocab;
        int count = vocab.Count;
        var pieces = new byte[count][];
        var kinds = new TokenKind[count];
        var endOfGeneration = new List<int>();
        byte[] buffer = new byte[256];
        for (int i = 0; i < count; i++)
        {
            var token = (LLamaToken)i;

            // llama.cpp's piece is the text the token decodes to: '▁' and 'Ġ' become spaces, <0x0A> its byte,
            // a control token its own text (special: true); unused padding decodes to nothing.
            int length = NativeApi.llama_token_to_piece(vocab, token, buffer, 0, true);
            if (length < 0)
            {
                buffer = new byte[-length];
                length = NativeApi.llama_token_to_piece(vocab, token, buffer, 0, true);
            }

            pieces[i] = buffer.AsSpan(0, Math.Max(0, length)).ToArray();
            kinds[i] = KindOf(token.GetAttributes(vocab));
            if (token.IsEndOfGeneration(vocab))
            {
                endOfGeneration.Add(i);
            }
        }

        return new TokenVocabulary(
            vocab.Type.ToString(),
            pieces,
            kinds,
            vocab.BOS is { } bos ? (int)bos : -1,
            vocab.EOS is { } eos ? (int)eos : -1,
            vocab.ShouldAddBOS,
            vocab.ShouldAddEOS,
            endOfGeneration);
    }

    private static TokenKind KindOf(LLamaTokenAttr attributes) =>
        attributes.HasFlag(LLamaTokenAttr.Unknown) ? TokenKind.Unknown
        : attributes.HasFlag(LLamaTokenAttr.Unused) ? TokenKind.Unused
        : attributes.HasFlag(LLamaTokenAttr.Control) ? TokenKind.Control
        : attributes.HasFlag(LLamaTokenAttr.Byte) ? TokenKind.Byte
        : attributes.HasFlag(LLamaTokenAttr.UserDefined) ? TokenKind.UserDefined
        : attributes.HasFlag(LLamaTokenAttr.Normal) ? TokenKind.Normal
        : TokenKind.Unused;
}
