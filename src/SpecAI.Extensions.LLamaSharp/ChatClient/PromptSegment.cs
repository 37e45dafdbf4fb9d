namespace SpecAI.Extensions.ChatClient;

/// <summary>
/// A piece of a rendered prompt: the chat template's own scaffolding, which may spell control tokens such as
/// <c>&lt;|im_start|&gt;</c>, or message content, which is tokenized as plain text so it cannot forge turns.
/// </summary>
/// <param name="Text">The text.</param>
/// <param name="IsContent">Whether the text came from a message, instructions, tool declarations, calls or results.</param>
internal readonly record struct PromptSegment(string Text, bool IsContent)
{
    /// <summary>Template text (control tokens allowed).</summary>
    public static PromptSegment Scaffold(string text) => new(text, IsContent: false);

    /// <summary>Message text (tokenized as text).</summary>
    public static PromptSegment Content(string text) => new(text, IsContent: true);

    /// <summary>The whole prompt as one string (what llama.cpp's template produced).</summary>
    public static string Concat(IEnumerable<PromptSegment> segments) => string.Concat(segments.Select(s => s.Text));
}
