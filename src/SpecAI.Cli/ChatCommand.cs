using System.CommandLine;
using SpecAI.Cli.Chat;

namespace SpecAI.Cli;

/// <summary>
/// <c>specai chat</c>: an interactive terminal chat (history, <c>/reset</c>, <c>/stats</c>, <c>/mode</c>, <c>/exit</c>,
/// streaming with live acceptance) over a target and an optional draft; without <c>--target</c>, the demo models.
/// Reads lines from standard input, so it also runs in a pipe (answers and one summary line per turn, no control characters).
/// </summary>
internal static class ChatCommand
{
    public static Command Create()
    {
        var target = new Option<string?>("--target") { Description = "Target GGUF; default: demo models generated locally into the model cache (fluent-looking nonsense)." };
        var draft = new Option<string?>("--draft") { Description = "Draft GGUF (small, same family); without it the chat decodes by prompt lookup." };
        var prompt = new Option<string?>("--prompt") { Description = "A first message, answered before reading standard input." };
        var once = new Option<bool>("--once") { Description = "Answer --prompt (default \"Hello\") and exit." };
        var output = new Option<string?>("--models") { Description = "Folder of the demo models; default .models/ or $SPECAI_MODEL_CACHE." };
        var command = new Command("chat", "Chat with a model in the terminal (or through a pipe), speculative decoding with live acceptance. Commands: /reset, /stats, /mode none|draft|lookup|multi, /exit.");
        foreach (Option option in new Option[] { target, draft, prompt, once, output })
        {
            command.Options.Add(option);
        }

        command.SetAction(async (parse, cancellationToken) =>
        {
            var console = ChatOutput.ForConsole();
            var (t, d) = ChatModels.Resolve(parse.GetValue(target), parse.GetValue(draft), parse.GetValue(output) ?? ForgeCommand.DefaultCache(), console);
            using var client = await ChatModels.LoadAsync(t, d, console, cancellationToken);
            var chat = new ChatLoop(client, d is not null, console);
            if (parse.GetValue(once) || parse.GetValue(prompt) is not null)
            {
                bool answered = await chat.TurnAsync(parse.GetValue(prompt) ?? "Hello", cancellationToken);
                if (parse.GetValue(once))
                {
                    return answered ? 0 : 1;
                }
            }

            await chat.RunAsync(Console.In, cancellationToken);
            return 0;
        });

        return command;
    }
}
