// ConsoleBot: a streaming chat over SpeculativeChatClient (the same chat loop as `specai chat`).
//   dotnet run --project examples/ConsoleBot                       (generates demo models into .models/: fluent-looking nonsense)
//   dotnet run --project examples/ConsoleBot -- --target t.gguf --draft d.gguf
//   dotnet run --project examples/ConsoleBot -- --prompt "Hello" --once
//   dotnet run --project examples/ConsoleBot -- --suggest [--target t.gguf]   (three live autocomplete suggestions, SuggestMode.cs)
// Commands in the interactive loop: /reset, /stats, /mode none|draft|lookup|multi, /exit.
// Piped (stdout not a terminal): no live status line, no control characters; each answer, then one summary line.
using SpecAI.Cli.Chat;

string? target = Option(args, "--target");
string? draft = Option(args, "--draft");
string? prompt = Option(args, "--prompt");
bool once = args.Contains("--once");

var output = ChatOutput.ForConsole();
(target, draft) = ChatModels.Resolve(target, draft, Path.Combine(Directory.GetCurrentDirectory(), ".models"), output);
using var client = await ChatModels.LoadAsync(target, draft, output);
if (args.Contains("--suggest"))
{
    await SuggestMode.RunAsync(client, prompt);
    return 0;
}

var chat = new ChatLoop(client, draft is not null, output);

if (once || prompt is not null)
{
    bool answered = await chat.TurnAsync(prompt ?? "Hello");
    if (once)
    {
        return answered ? 0 : 1;
    }
}

await chat.RunAsync(Console.In);
return 0;

static string? Option(string[] args, string name)
{
    int i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
}
