namespace SpecAI.Extensions.Vocabulary;

/// <summary>What a vocabulary entry is (llama.cpp's token attributes, reduced to what mapping needs).</summary>
internal enum TokenKind
{
    /// <summary>An ordinary text piece.</summary>
    Normal,

    /// <summary>A raw byte (SentencePiece byte fallback, <c>&lt;0xXX&gt;</c>).</summary>
    Byte,

    /// <summary>A control token (BOS, EOS, chat markers): not text.</summary>
    Control,

    /// <summary>A user-defined piece (added tokens that are text).</summary>
    UserDefined,

    /// <summary>An unused slot (padding such as <c>[PAD123]</c>): never mapped.</summary>
    Unused,

    /// <summary>The unknown token: never mapped.</summary>
    Unknown,
}
