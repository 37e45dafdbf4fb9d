// AgentFramework: a Microsoft Agent Framework agent (ChatClientAgent) over SpeculativeChatClient.
//   dotnet run --project examples/AgentFramework                       (generates demo models into .models/: fluent-looking nonsense)
//   dotnet run --project examples/AgentFramework -- --target t.gguf --draft d.gguf
//   dotnet run --project examples/AgentFramework -- --prompt "Hello" --once
// The agent has instructions and two function tools, keeps one session across turns (/new starts another, /quit
// leaves) and streams its answers with live speculation counters. Pass a tool-trained --target (e.g. a Qwen2.5
// instruct GGUF) to see real tool calls; the generated demo models only write English-looking text.
// Piped (stdout not a terminal): no live status line; each answer, then one summary line.
using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.Agents.AI;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using SpecAI.Extensions;
using SpecAI.Extensions.Gguf.Forge.Demo;
using Spectre.Console;

string? target = Option(args, "--target");
string? draft = Option(args, "--draft");
string? prompt = Option(args, "--prompt");
bool once = args.Contains("--once");

bool piped = Console.IsOutputRedirected;
if (piped)
{
    // No colours, cursor moves or live display in a pipe: plain lines only, never wrapped.
    AnsiConsole.Profile.Capabilities.Ansi = false;
    AnsiConsole.Profile.Capabilities.Interactive = false;
    AnsiConsole.Profile.Width = int.MaxValue / 2;
}

if (target is null)
{
    string cache = Path.Combine(Directory.GetCurrentDirectory(), ".models");
    var family = AnsiConsole.Status().Start("Generating the demo models...", _ => DemoModelForge.GetOrCreateFamily(cache));
    target = family.TargetPath;
    draft ??= family.DraftPath;
    AnsiConsole.MarkupLine($"[grey]{Markup.Escape(DemoModelForge.Notice)}[/]");
}


// The speculative client is registered as the app's IChatClient; the agent is built from whatever is registered.
var services = new ServiceCollection();
services.AddSpeculativeChatClient(o =>
{
    o.TargetModelPath = target;
    o.DraftModelPath = draft;
    o.ContextSize = 2048;
    o.MaxOutputTokens = 256;
});
services.AddSingleton<AIAgent>(sp => sp.GetRequiredService<IChatClient>().AsAIAgent(
    instructions: "You are a helpful assistant. Use the tools for the time and for arithmetic.",
    name: "assistant",
    tools: [AIFunctionFactory.Create(Tools.Now), AIFunctionFactory.Create(Tools.Add)],
    services: sp));
await using var provider = services.BuildServiceProvider();

var agent = AnsiConsole.Status().Start("Loading models...", _ => provider.GetRequiredService<AIAgent>());
AnsiConsole.MarkupLine($"[grey]agent[/] {agent.Name}  [grey]target[/] {Markup.Escape(Path.GetFileName(target))}  [grey]draft[/] {Markup.Escape(draft is null ? "(none)" : Path.GetFileName(draft))}");

// One session holds the conversation: every turn sees the earlier ones.
AgentSession session = await agent.CreateSessionAsync();

if (once || prompt is not null)
{
    prompt ??= "Hello";
    AnsiConsole.MarkupLine($"[green]you>[/] {Markup.Escape(prompt)}");
    await TurnAsync(prompt);
    if (once)
    {
        return;
    }
}

AnsiConsole.MarkupLine("[grey]Commands: /new (a new session), /quit[/]");

while (true)
{
    string line = AnsiConsole.Ask<string>("[green]you>[/]").Trim();
    if (line is "/quit" or "/exit")
    {
        break;
    }

    if (line == "/new")
    {
        session = await agent.CreateSessionAsync();
        AnsiConsole.MarkupLine("[grey]new session[/]");
        continue;
    }

    await TurnAsync(line);
}

async Task TurnAsync(string text)
{
    var updates = new List<AgentResponseUpdate>();
    var answer = new StringBuilder();
    var clock = Stopwatch.StartNew();
    long generated = 0, targetCalls = 0, drafted = 0, accepted = 0;
    async Task StreamAsync(Action render)
    {
        await foreach (var update in agent.RunStreamingAsync(text, session))
        {
            updates.Add(update);
            foreach (var content in update.Contents)
            {
                answer.Append(content switch
                {
                    TextContent t => t.Text,
                    FunctionCallContent call => $"\n[tool call] {call.Name}({string.Join(", ", call.Arguments ?? new Dictionary<string, object?>())})\n",
                    FunctionResultContent result => $"[tool result] {result.Result}\n",
                    _ => string.Empty,
                });
            }

            // Text updates carry the running counters of the model call that is streaming.
            generated = Counter(update, SpeculativeChatOptionKeys.GeneratedTokens) ?? generated;
            targetCalls = Counter(update, SpeculativeChatOptionKeys.TargetCalls) ?? targetCalls;
            drafted = Counter(update, SpeculativeChatOptionKeys.DraftedTokens) ?? drafted;
            accepted = Counter(update, SpeculativeChatOptionKeys.AcceptedTokens) ?? accepted;
            render();
        }
    }

    if (piped)
    {
        await StreamAsync(() => { });
        Console.WriteLine(answer.ToString());
    }
    else
    {
        await AnsiConsole.Live(new Markup("[blue]bot>[/]")).StartAsync(context => StreamAsync(() =>
        {
            string acceptance = drafted == 0 ? "n/a" : $"{100.0 * accepted / drafted:F0}%";
            context.UpdateTarget(new Rows(
                new Markup("[blue]bot>[/] " + Markup.Escape(answer.ToString())),
                new Markup($"[grey]{generated} tokens, {targetCalls} target calls, {generated / Math.Max(clock.Elapsed.TotalSeconds, 1e-9):F1} tok/s, acceptance {acceptance}[/]")));
        }));
    }

    clock.Stop();

    // The agent's usage sums every model call of the turn (tool round trips included), speculation counters too.
    var usage = updates.ToAgentResponse().Usage;
    AnsiConsole.MarkupLine($"[grey]turn: {usage?.OutputTokenCount} tokens in {clock.Elapsed.TotalSeconds:F2}s; {Describe(usage)}[/]");
}

static string Describe(UsageDetails? usage)
{
    long Count(string key) => usage?.AdditionalCounts?.TryGetValue(key, out long value) == true ? value : 0;
    long drafted = Count(SpeculativeChatOptionKeys.DraftedTokens);
    long accepted = Count(SpeculativeChatOptionKeys.AcceptedTokens);
    string acceptance = drafted == 0 ? "n/a" : $"{100.0 * accepted / drafted:F1}% ({accepted}/{drafted})";
    return $"{Count(SpeculativeChatOptionKeys.TargetCalls)} target calls, acceptance {acceptance}";
}

static long? Counter(AgentResponseUpdate update, string key) =>
    update.AdditionalProperties?.TryGetValue(key, out object? value) == true && value is long count ? count : null;

static string? Option(string[] args, string name)
{
    int i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
}

/// <summary>The agent's function tools.</summary>
internal static class Tools
{
    /// <summary>The current local time.</summary>
    /// <returns>The time, ISO 8601.</returns>
    [Description("Returns the current local date and time.")]
    public static string Now() => DateTimeOffset.Now.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);

    /// <summary>Adds two numbers.</summary>
    /// <param name="a">First number.</param>
    /// <param name="b">Second number.</param>
    /// <returns>The sum.</returns>
    [Description("Adds two numbers.")]
    public static double Add([Description("First number")] double a, [Description("Second number")] double b) => a + b;
}
