using System.Diagnostics;
using System.Text;
using Microsoft.Extensions.AI;
using SpecAI.Extensions;
using Spectre.Console;

/// <summary>
/// <c>--suggest</c>: autocomplete as you type. After every keystroke three suggestions for the typed prefix come from
/// Superposed Decoding (one model pass per token for all three; the prefix stays cached, so a keystroke decodes only
/// its new tokens). Tab takes the best suggestion, Enter starts a new line, Esc quits. With <c>--prompt</c> or a
/// redirected input it prints the suggestions for that prefix once.
/// </summary>
internal static class SuggestMode
{
    private static ChatOptions Options(int maxTokens) => new()
    {
        MaxOutputTokens = maxTokens,
        AdditionalProperties = new()
        {
            [SpeculativeChatOptionKeys.RawPrompt] = true,
            [SpeculativeChatOptionKeys.Suggestions] = 3,
        },
    };

    public static async Task RunAsync(SpeculativeChatClient client, string? prefix, int maxTokens = 12)
    {
        if (prefix is not null || Console.IsInputRedirected)
        {
            prefix ??= await Console.In.ReadToEndAsync();
            foreach (var (suggestion, i) in (await client.GetSuggestionsAsync([new(ChatRole.User, prefix)], Options(maxTokens))).Select((s, i) => (s, i)))
            {
                Console.WriteLine($"{i + 1}. {prefix}{suggestion.Text}");
            }

            return;
        }

        AnsiConsole.MarkupLine("[grey]Type a prefix: three suggestions follow each keystroke. Tab takes the best, Enter starts over, Esc quits.[/]");
        var text = new StringBuilder();
        IReadOnlyList<ChatResponse> shown = [];
        while (true)
        {
            var key = Console.ReadKey(intercept: true);
            switch (key.Key)
            {
                case ConsoleKey.Escape:
                    return;
                case ConsoleKey.Enter:
                    Console.WriteLine();
                    text.Clear();
                    shown = [];
                    continue;
                case ConsoleKey.Tab when shown.Count > 0:
                    text.Append(shown[0].Text);
                    break;
                case ConsoleKey.Backspace when text.Length > 0:
                    text.Length--;
                    break;
                default:
                    if (!char.IsControl(key.KeyChar))
                    {
                        text.Append(key.KeyChar);
                    }

                    break;
            }

            if (text.Length == 0)
            {
                continue;
            }

            var clock = Stopwatch.StartNew();
            shown = await client.GetSuggestionsAsync([new(ChatRole.User, text.ToString())], Options(maxTokens));
            Render(text.ToString(), shown, clock.Elapsed);
        }
    }

    private static void Render(string prefix, IReadOnlyList<ChatResponse> suggestions, TimeSpan elapsed)
    {
        // Redraw four lines in place: the prefix and the three suggestions.
        Console.Write("\r\u001b[2K");
        AnsiConsole.MarkupLine($"[green]>[/] {Markup.Escape(prefix)} [grey]({elapsed.TotalMilliseconds:0} ms)[/]");
        for (int i = 0; i < 3; i++)
        {
            Console.Write("\u001b[2K");
            string text = i < suggestions.Count ? suggestions[i].Text.ReplaceLineEndings(" ") : string.Empty;
            AnsiConsole.MarkupLine($"  [grey]{i + 1}.[/] {Markup.Escape(prefix)}[blue]{Markup.Escape(text)}[/]");
        }

        Console.Write("\u001b[4A");
    }
}
