using System.Text;
using LLama;
using SpecAI.Extensions.Engine;

namespace SpecAI.Extensions.ChatClient;

/// <summary>LLamaSharp's streaming detokenizer (split UTF-8 safe; control tokens produce no text).</summary>
internal sealed class LLamaTokenTextDecoder(LLamaWeights weights) : ITokenTextDecoder
{
    private readonly StreamingTokenDecoder _decoder = new(Encoding.UTF8, weights) { DecodeSpecialTokens = false };

    public void Add(int token) => _decoder.Add(token);

    public string Read() => _decoder.Read();
}
