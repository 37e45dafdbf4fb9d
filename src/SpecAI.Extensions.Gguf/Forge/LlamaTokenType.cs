namespace SpecAI.Extensions.Gguf.Forge;

/// <summary>llama.cpp's token attribute numbers stored in <c>tokenizer.ggml.token_type</c>.</summary>
public enum LlamaTokenType
{
    /// <summary>Ordinary text piece.</summary>
    Normal = 1,
    /// <summary>The unknown token.</summary>
    Unknown = 2,
    /// <summary>Control token (BOS, EOS, chat markers): only produced from text when special tokens are parsed.</summary>
    Control = 3,
    /// <summary>User-defined piece matched before the tokenizer runs.</summary>
    UserDefined = 4,
    /// <summary>Unused slot.</summary>
    Unused = 5,
    /// <summary>A raw byte <c>&lt;0xXX&gt;</c> used when no piece matches.</summary>
    Byte = 6,
}
