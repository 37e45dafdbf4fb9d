// ConsoleBot: a streaming chat over SpeculativeChatClient.
//   dotnet run --project examples/ConsoleBot                       (forges a tiny ChatML model pair into .models/)
//   dotnet run --project examples/ConsoleBot -- --target t.gguf --draft d.gguf
//   dotnet run --project examples/ConsoleBot -- --prompt "Hello" --once
//   dotnet run --project examples/ConsoleBot -- --suggest [--target t.gguf]   (three live autocomplete suggestions, SuggestMode.cs)
// Commands in the interactive loop: /mode none|draft|lookup|multi, /quit.
using System.Diagnostics;
using Microsoft.Extensions.AI;
using SpecAI.Extensions;
using SpecAI.Extensions.Gguf.Forge;
using Spectre.Console;

string? target = Option(args, "--target");
string? draft = Option(args, "--draft");
string? prompt = Option(args, "--prompt");
bool once = args.Contains("--once");

if (target is null)
{
    string cache = Path.Combine(Directory.GetCurrentDirectory(), ".models");
    var family = AnsiConsole.Status().Start("Forging a tiny ChatML target/draft pair...", _ => LlamaModelForge.GetOrCreateFamily(cache, LlamaFamilyOptions.ChatTiny));
    target = family.TargetPath;
    draft ??= family.DraftPath;
}

// Load both models behind a progress bar (target first, then draft).
SpeculativeChatClient? loaded = null;
await AnsiConsole.Progress().StartAsync(async context =>
{
    var task = context.AddTask("Loading models", maxValue: 1.0);
    loaded = await SpeculativeChatClient.CreateAsync(new SpeculativeChatClientOptions
    {
        TargetModelPath = target,
        DraftModelPath = draft,
        ContextSize = 2048,
        MaxOutputTokens = 256,
        LoadProgress = new Progress<float>(p => task.Value = p),
    });
    task.Value = 1.0;
});
using var client = loaded!;
AnsiConsole.MarkupLine($"[grey]target[/] {Markup.Escape(Path.GetFileName(target))}  [grey]draft[/] {Markup.Escape(draft is null ? "(none)" : Path.GetFileName(draft))}");

if (args.Contains("--suggest"))
{
    await SuggestMode.RunAsync(client, prompt);
    return;
}

string mode = draft is null ? "lookup" : "draft";
var history = new List<ChatMessage>();

if (once)
{
    await TurnAsync(prompt ?? "Hello");
    return;
}

AnsiConsole.MarkupLine("[grey]Commands: /mode none|draft|lookup|multi, /quit[/]");
if (prompt is not null)
{
    await TurnAsync(prompt);
}

while (true)
{
    string line = AnsiConsole.Ask<string>("[green]you>[/]").Trim();
    if (line is "/quit" or "/exit")
    {
        break;
    }

    if (line.StartsWith("/mode", StringComparison.Ordinal))
    {
        string next = line["/mode".Length..].Trim().ToLowerInvariant();
        if (next is "none" or "draft" or "lookup" or "multi" && (draft is not null || next is "none" or "lookup"))
        {
            mode = next;
            AnsiConsole.MarkupLine($"[grey]mode = {mode}[/]");
        }
        else
        {
            AnsiConsole.MarkupLine("[red]usage: /mode none|draft|lookup|multi (draft and multi need a draft model)[/]");
        }

        continue;
    }

    await TurnAsync(line);
}

async Task TurnAsync(string text)
{
    history.Add(new ChatMessage(ChatRole.User, text));
    var options = new ChatOptions { AdditionalProperties = new() { [SpeculativeChatOptionKeys.Mode] = mode } };
    long generatedBefore = client.Statistics.GeneratedTokens;
    long draftedBefore = client.Statistics.DraftedTokens;
    long acceptedBefore = client.Statistics.AcceptedTokens;

    // Stream the answer with a live status line (tokens/s and acceptance so far).
    var updates = new List<ChatResponseUpdate>();
    var answer = new System.Text.StringBuilder();
    var clock = Stopwatch.StartNew();
    long soFar = 0, draftedSoFar = 0, acceptedSoFar = 0;
    await AnsiConsole.Live(new Markup("[blue]bot>[/]")).StartAsync(async context =>
    {
        await foreach (var update in client.GetStreamingResponseAsync(history, options))
        {
            updates.Add(update);
            answer.Append(update.Text);
            // Text updates carry running counters of this answer; the final usage update does not.
            soFar = Counter(update, SpeculativeChatOptionKeys.GeneratedTokens) ?? soFar;
            draftedSoFar = Counter(update, SpeculativeChatOptionKeys.DraftedTokens) ?? draftedSoFar;
            acceptedSoFar = Counter(update, SpeculativeChatOptionKeys.AcceptedTokens) ?? acceptedSoFar;
            string live = draftedSoFar == 0 ? "n/a" : $"{100.0 * acceptedSoFar / draftedSoFar:F0}%";
            context.UpdateTarget(new Rows(
                new Markup("[blue]bot>[/] " + Markup.Escape(answer.ToString())),
                new Markup($"[grey]{soFar / Math.Max(clock.Elapsed.TotalSeconds, 1e-9):F1} tok/s, acceptance {live}[/]")));
        }
    });

    clock.Stop();
    AnsiConsole.WriteLine();
    history.AddMessages(updates);

    long generated = client.Statistics.GeneratedTokens - generatedBefore;
    long drafted = client.Statistics.DraftedTokens - draftedBefore;
    long accepted = client.Statistics.AcceptedTokens - acceptedBefore;
    double tokensPerSecond = generated / Math.Max(clock.Elapsed.TotalSeconds, 1e-9);
    string acceptance = drafted == 0 ? "n/a" : $"{100.0 * accepted / drafted:F1}% ({accepted}/{drafted})";
    AnsiConsole.MarkupLine($"[grey]{generated} tokens in {clock.Elapsed.TotalSeconds:F2}s = {tokensPerSecond:F1} tok/s; mode {mode}; acceptance {acceptance}[/]");
}

static long? Counter(ChatResponseUpdate update, string key) =>
    update.AdditionalProperties?.TryGetValue(key, out object? value) == true && value is long count ? count : null;

static string? Option(string[] args, string name)
{
    int i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
}
