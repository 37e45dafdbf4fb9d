using SpecAI.Extensions;
using SpecAI.Extensions.Gguf.Forge.Demo;
using Spectre.Console;

namespace SpecAI.Cli.Chat;

/// <summary>
/// Which models a chat runs: the user's, or the demo family forged on first use (shared by <c>specai chat</c> and the
/// ConsoleBot example, which compiles this file in).
/// </summary>
internal static class ChatModels
{
    /// <summary>The README's recipe for a real pair (section "Choosing a draft model").</summary>
    public const string Recipe = "a real pair: --target qwen2.5-1.5b-instruct-q4_k_m.gguf --draft qwen2.5-0.5b-instruct-q4_k_m.gguf (README, \"Choosing a draft model\")";

    /// <summary>
    /// <paramref name="target"/> and <paramref name="draft"/> as given, or (no target) the demo family from
    /// <paramref name="cacheDirectory"/>, forged there first if missing; then says in one line that these are demo
    /// models, and how to run a real pair.
    /// </summary>
    public static (string Target, string? Draft) Resolve(string? target, string? draft, string cacheDirectory, ChatOutput output)
    {
        if (target is not null)
        {
            return (target, draft);
        }

        var family = output.Interactive
            ? AnsiConsole.Status().Start("Generating the demo models (corpus, tokenizer, tables)...", _ => DemoModelForge.GetOrCreateFamily(cacheDirectory))
            : DemoModelForge.GetOrCreateFamily(cacheDirectory);
        output.Note(DemoModelForge.Notice);
        output.Note(Recipe);
        return (family.TargetPath, draft ?? family.DraftPath);
    }

    /// <summary>Loads the models (behind a progress bar on a terminal) into a client with a 2,048-token context and answers of at most 256 tokens.</summary>
    public static async Task<SpeculativeChatClient> LoadAsync(string target, string? draft, ChatOutput output, CancellationToken cancellationToken = default)
    {
        var options = new SpeculativeChatClientOptions
        {
            TargetModelPath = target,
            DraftModelPath = draft,
            ContextSize = 2048,
            MaxOutputTokens = 256,
        };
        if (!output.Interactive)
        {
            return await SpeculativeChatClient.CreateAsync(options, cancellationToken: cancellationToken).ConfigureAwait(false);
        }

        SpeculativeChatClient? client = null;
        await AnsiConsole.Progress().StartAsync(async context =>
        {
            var task = context.AddTask("Loading models", maxValue: 1.0);
            options.LoadProgress = new Progress<float>(p => task.Value = p);
            client = await SpeculativeChatClient.CreateAsync(options, cancellationToken: cancellationToken).ConfigureAwait(false);
            task.Value = 1.0;
        }).ConfigureAwait(false);
        AnsiConsole.MarkupLine($"[grey]target[/] {Markup.Escape(Path.GetFileName(target))}  [grey]draft[/] {Markup.Escape(draft is null ? "(none)" : Path.GetFileName(draft))}");
        return client!;
    }
}
