namespace SpecAI.Extensions.Engine;

/// <summary>
/// Turns generated token ids into text incrementally (holding back incomplete UTF-8), so the engine can end a
/// generation at a text stop sequence (<see cref="GenerationSettings.StopSequences"/>). The backend supplies it.
/// </summary>
public interface ITokenTextDecoder
{
    /// <summary>Adds a token.</summary>
    /// <param name="token">The token id.</param>
    void Add(int token);

    /// <summary>Returns the text completed since the last read.</summary>
    /// <returns>The new text (empty when none).</returns>
    string Read();
}
