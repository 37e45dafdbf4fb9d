using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.Extensions.AI;
using SpecAI.Extensions;
using Spectre.Console;

namespace SpecAI.Cli.Chat;

/// <summary>
/// An interactive chat over a <see cref="SpeculativeChatClient"/>: history, streaming with live acceptance on a
/// terminal, commands <c>/reset</c>, <c>/stats</c>, <c>/mode</c>, <c>/exit</c>. Shared by <c>specai chat</c> and the
/// ConsoleBot example (which compiles this file in), so both behave the same.
/// </summary>
internal sealed class ChatLoop
{
    /// <summary>The commands, as shown to the user.</summary>
    public const string Help = "Commands: /reset (forget the conversation), /stats, /mode none|draft|lookup|multi, /exit";

    private readonly SpeculativeChatClient _client;
    private readonly bool _hasDraft;
    private readonly ChatOutput _output;
    private readonly List<ChatMessage> _history = [];

    /// <summary>A chat over <paramref name="client"/> (<paramref name="hasDraft"/>: whether it has a draft model).</summary>
    public ChatLoop(SpeculativeChatClient client, bool hasDraft, ChatOutput output)
    {
        _client = client;
        _hasDraft = hasDraft;
        _output = output;
        Mode = hasDraft ? "draft" : "lookup";
    }

    /// <summary>The speculation mode of the next turn (<c>specai.mode</c>).</summary>
    public string Mode { get; private set; }

    /// <summary>The conversation so far.</summary>
    public IReadOnlyList<ChatMessage> History => _history;

    /// <summary>
    /// Reads lines from <paramref name="input"/> until <c>/exit</c> (or <c>/quit</c>) or the end of the input; each line
    /// is a command or a turn.
    /// </summary>
    public async Task RunAsync(TextReader input, CancellationToken cancellationToken = default)
    {
        _output.Note(Help);
        while (true)
        {
            _output.Prompt();
            string? line = await input.ReadLineAsync(cancellationToken).ConfigureAwait(false);
            if (line is null)
            {
                return;
            }

            line = line.Trim();
            if (line.Length == 0)
            {
                continue;
            }

            if (line is "/exit" or "/quit")
            {
                return;
            }

            if (!Command(line))
            {
                await TurnAsync(line, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Runs a command line; false if <paramref name="line"/> is not a command.</summary>
    public bool Command(string line)
    {
        if (!line.StartsWith('/'))
        {
            return false;
        }

        string[] words = line.Split(' ', 2, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        switch (words[0])
        {
            case "/reset":
                _history.Clear();
                _output.Note("conversation reset");
                break;
            case "/stats":
                var s = _client.Statistics;
                _output.Note(string.Create(CultureInfo.InvariantCulture,
                    $"session: {s.GeneratedTokens} tokens, {s.TargetCalls} target calls ({s.TokensPerTargetCall:F2} tokens per call), acceptance {Percent(s.AcceptedTokens, s.DraftedTokens)}; mode {Mode}; {_history.Count} messages in history"));
                break;
            case "/mode":
                string next = words.Length > 1 ? words[1].ToLowerInvariant() : string.Empty;
                if (next is "none" or "lookup" || (next is "draft" or "multi" && _hasDraft))
                {
                    Mode = next;
                    _output.Note($"mode = {Mode}");
                }
                else
                {
                    _output.Error("usage: /mode none|draft|lookup|multi (draft and multi need a draft model)");
                }

                break;
            default:
                _output.Error($"unknown command {words[0]}. {Help}");
                break;
        }

        return true;
    }

    /// <summary>
    /// One turn: streams the answer (live on a terminal, plain in a pipe), adds it to the history, then prints one
    /// summary line; false (and an error line) if generation failed, the history then as before the turn.
    /// </summary>
    public async Task<bool> TurnAsync(string text, CancellationToken cancellationToken = default)
    {
        _history.Add(new ChatMessage(ChatRole.User, text));
        var options = new ChatOptions { AdditionalProperties = new() { [SpeculativeChatOptionKeys.Mode] = Mode } };
        var updates = new List<ChatResponseUpdate>();
        var answer = new StringBuilder();
        var clock = Stopwatch.StartNew();
        long generated = 0, drafted = 0, accepted = 0;

        void Track(ChatResponseUpdate update)
        {
            updates.Add(update);
            answer.Append(update.Text);
            // Text updates carry running counters of this answer; the final usage update does not.
            generated = Counter(update, SpeculativeChatOptionKeys.GeneratedTokens) ?? generated;
            drafted = Counter(update, SpeculativeChatOptionKeys.DraftedTokens) ?? drafted;
            accepted = Counter(update, SpeculativeChatOptionKeys.AcceptedTokens) ?? accepted;
        }

        try
        {
            if (_output.Interactive)
            {
                await AnsiConsole.Live(new Markup("[blue]bot>[/]")).StartAsync(async context =>
                {
                    await foreach (var update in _client.GetStreamingResponseAsync(_history, options, cancellationToken).ConfigureAwait(false))
                    {
                        Track(update);
                        context.UpdateTarget(new Rows(
                            new Markup("[blue]bot>[/] " + Markup.Escape(ChatOutput.Printable(answer.ToString()))),
                            new Markup($"[grey]{Rate(generated, clock)} tok/s, acceptance {Percent(accepted, drafted, digits: 0)}[/]")));
                    }
                }).ConfigureAwait(false);
            }
            else
            {
                await foreach (var update in _client.GetStreamingResponseAsync(_history, options, cancellationToken).ConfigureAwait(false))
                {
                    Track(update);
                    _output.Stream(update.Text);
                }

                _output.EndStream();
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The turn failed (for example the context is full): the history stays as it was before it.
            _history.RemoveAt(_history.Count - 1);
            _output.Error($"error: {e.Message} (/reset starts a new conversation)");
            return false;
        }

        clock.Stop();
        _history.AddMessages(updates);
        _output.Note(string.Create(CultureInfo.InvariantCulture,
            $"{generated} tokens in {clock.Elapsed.TotalSeconds:F2}s = {Rate(generated, clock)} tok/s; mode {Mode}; acceptance {Percent(accepted, drafted)}"));
        return true;
    }

    private static string Rate(long tokens, Stopwatch clock) =>
        (tokens / Math.Max(clock.Elapsed.TotalSeconds, 1e-9)).ToString("F1", CultureInfo.InvariantCulture);

    private static string Percent(long accepted, long drafted, int digits = 1) =>
        drafted == 0 ? "n/a"
        : digits == 0 ? string.Create(CultureInfo.InvariantCulture, $"{100.0 * accepted / drafted:F0}%")
        : string.Create(CultureInfo.InvariantCulture, $"{100.0 * accepted / drafted:F1}% ({accepted}/{drafted})");

    private static long? Counter(ChatResponseUpdate update, string key) =>
        update.AdditionalProperties?.TryGetValue(key, out object? value) == true && value is long count ? count : null;
}
