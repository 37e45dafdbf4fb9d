namespace SpecAI.Extensions.ChatClient;

/// <summary>Turns generated token ids into text incrementally (holding back incomplete UTF-8).</summary>
internal interface ITokenTextDecoder
{
    /// <summary>Adds a token.</summary>
    void Add(int token);

    /// <summary>Returns the text completed since the last read.</summary>
    string Read();
}
