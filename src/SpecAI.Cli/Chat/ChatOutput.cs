using System.Text;
using Spectre.Console;

namespace SpecAI.Cli.Chat;

/// <summary>
/// Where a chat writes: a terminal (colours, live status line) or a pipe (plain lines, no control characters: the
/// answer, then one summary line per turn).
/// </summary>
internal sealed class ChatOutput
{
    private readonly TextWriter _writer;

    /// <summary>Writes to the terminal when <paramref name="interactive"/>, else plain text to <paramref name="writer"/>.</summary>
    public ChatOutput(bool interactive, TextWriter writer)
    {
        Interactive = interactive;
        _writer = writer;
    }

    /// <summary>Whether output goes to a terminal (live status line, colours).</summary>
    public bool Interactive { get; }

    /// <summary>The console's own output: a terminal unless standard output is redirected.</summary>
    public static ChatOutput ForConsole() => new(!Console.IsOutputRedirected, Console.Out);

    /// <summary>A grey line on a terminal, a plain one in a pipe.</summary>
    public void Note(string text)
    {
        if (Interactive)
        {
            AnsiConsole.MarkupLine($"[grey]{Markup.Escape(text)}[/]");
        }
        else
        {
            _writer.WriteLine(Printable(text));
            _writer.Flush();
        }
    }

    /// <summary>A red line on a terminal, a plain one in a pipe.</summary>
    public void Error(string text)
    {
        if (Interactive)
        {
            AnsiConsole.MarkupLine($"[red]{Markup.Escape(text)}[/]");
        }
        else
        {
            _writer.WriteLine(Printable(text));
            _writer.Flush();
        }
    }

    /// <summary>Text as it streams in a pipe (terminals show it through the live display instead).</summary>
    public void Stream(string text)
    {
        _writer.Write(Printable(text));
        _writer.Flush();
    }

    /// <summary>Ends the streamed answer's line in a pipe.</summary>
    public void EndStream()
    {
        _writer.WriteLine();
        _writer.Flush();
    }

    /// <summary>The prompt before the user's line (terminals only: a pipe gets answers and summaries alone).</summary>
    public void Prompt()
    {
        if (Interactive)
        {
            AnsiConsole.Markup("[green]you>[/] ");
        }
    }

    /// <summary>
    /// <paramref name="text"/> without control characters other than line feed and tab (a model may write any
    /// byte; a pipe should get text).
    /// </summary>
    public static string Printable(string text)
    {
        var clean = new StringBuilder(text.Length);
        foreach (char c in text)
        {
            if (c is '\n' or '\t' || !char.IsControl(c))
            {
                clean.Append(c);
            }
        }

        return clean.ToString();
    }
}
