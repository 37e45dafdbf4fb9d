using System.Text;
using Microsoft.Extensions.AI;

namespace SpecAI.Extensions.ChatClient.Tools;

/// <summary>
/// Streams text through unless it may be a tool call; a possible call is held back to the end of the
/// answer and parsed there (malformed calls come out as the text they were).
/// </summary>
internal sealed class ToolCallBuffer(IReadOnlySet<string> declared, ToolCallFormat format)
{
    private readonly StringBuilder _held = new();
    private bool _holding = declared.Count > 0;

    /// <summary>The names of the request's function tools; empty when it has none or its tool mode is none.</summary>
    public static IReadOnlySet<string> DeclaredNames(ChatOptions? options) =>
        options?.ToolMode is NoneChatToolMode
            ? new HashSet<string>()
            : ChatPromptFormatter.Functions(options).Select(f => f.Name).ToHashSet(StringComparer.Ordinal);

    public string Push(string text)
    {
        if (!_holding)
        {
            return text;
        }

        _held.Append(text);
        if (ToolCallParser.MayStartCall(_held.ToString(), format))
        {
            return string.Empty;
        }

        _holding = false;
        string released = _held.ToString();
        _held.Clear();
        return released;
    }

    public (string Text, List<FunctionCallContent> Calls) Complete()
    {
        string held = _held.ToString();
        _held.Clear();
        return held.Length == 0 ? (string.Empty, new List<FunctionCallContent>()) : ToolCallParser.Parse(held, format, declared);
    }
}
