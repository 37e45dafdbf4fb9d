using System.Globalization;
using System.Text;
using LLama;

namespace SpecAI.Extensions.ChatClient;

/// <summary>
/// Applies a chat template through llama.cpp and tells its scaffolding from the message content.
/// </summary>
/// <remarks>
/// The template is applied to unique markers instead of the contents: <c>\v[[nonce:i]]\v</c> for turn i. llama.cpp's
/// built-in templates only copy a content, or trim it (C <c>isspace</c>), so a marker comes back either with its
/// vertical tabs (copied) or without them (trimmed), and the content goes in its place, trimmed the same way.
/// Everything outside the markers is scaffolding. Vertical tabs never occur in template scaffolding, so a space the
/// template writes next to a content is never mistaken for a pad. A content that is empty or only whitespace goes in as
/// itself (some templates test for an empty content, and whitespace cannot spell a turn); it then counts as scaffolding.
/// </remarks>
internal static class TemplatePrompt
{
    private const char Pad = '\v';

    /// <summary>Renders the turns (with the open assistant turn) into scaffolding and content segments.</summary>
    /// <exception cref="InvalidOperationException">The template mangled a marker.</exception>
    public static List<PromptSegment> Render(LLamaTemplate template, IReadOnlyList<ChatTurn> turns)
    {
        string nonce = Nonce(turns);
        string open = "[[" + nonce + ":";
        template.AddAssistant = true;
        for (int i = 0; i < turns.Count; i++)
        {
            string content = turns[i].Content;
            template.Add(turns[i].Role, content.All(PromptTokenizer.IsCSpace) ? content : string.Create(CultureInfo.InvariantCulture, $"{Pad}{open}{i}]]{Pad}"));
        }

        string rendered = Encoding.UTF8.GetString(template.Apply());
        var segments = new List<PromptSegment>();
        int position = 0;
        int at;
        while ((at = rendered.IndexOf(open, position, StringComparison.Ordinal)) >= 0)
        {
            int close = rendered.IndexOf("]]", at + open.Length, StringComparison.Ordinal);
            if (close < 0 || !int.TryParse(rendered.AsSpan(at + open.Length, close - at - open.Length), NumberStyles.None, CultureInfo.InvariantCulture, out int index)
                || index >= turns.Count)
            {
                throw new InvalidOperationException("The chat template altered a content marker.");
            }

            bool keepsLeading = at > position && rendered[at - 1] == Pad;
            int end = close + 2;
            bool keepsTrailing = end < rendered.Length && rendered[end] == Pad;
            int scaffoldEnd = keepsLeading ? at - 1 : at;
            if (scaffoldEnd > position)
            {
                segments.Add(PromptSegment.Scaffold(rendered[position..scaffoldEnd]));
            }

            segments.Add(PromptSegment.Content(Trim(turns[index].Content, !keepsLeading, !keepsTrailing)));
            position = keepsTrailing ? end + 1 : end;
        }

        if (position < rendered.Length)
        {
            segments.Add(PromptSegment.Scaffold(rendered[position..]));
        }

        return segments;
    }

    private static string Trim(string text, bool leading, bool trailing)
    {
        int start = 0;
        int end = text.Length;
        while (leading && start < end && PromptTokenizer.IsCSpace(text[start]))
        {
            start++;
        }

        while (trailing && end > start && PromptTokenizer.IsCSpace(text[end - 1]))
        {
            end--;
        }

        return text[start..end];
    }

    /// <summary>A marker prefix no content contains (a fresh GUID practically never collides; checked anyway).</summary>
    private static string Nonce(IReadOnlyList<ChatTurn> turns)
    {
        while (true)
        {
            string nonce = "specai-" + Guid.NewGuid().ToString("N");
            if (!turns.Any(t => t.Content.Contains(nonce, StringComparison.Ordinal)))
            {
                return nonce;
            }
        }
    }
}
