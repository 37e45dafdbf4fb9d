// SemanticKernelAgent: a Kernel over the speculative chat client, with two small plugins.
//   dotnet run --project examples/SemanticKernelAgent [-- --target t.gguf --draft d.gguf] [--prompt "..."]
// The agent turn uses automatic function calling (FunctionChoiceBehavior.Auto()): the client renders the plugins
// into the prompt in the model's tool format (Hermes/Qwen <tool_call>, Llama 3.1 JSON, or a generic fallback)
// and parses calls back. Pass a tool-trained --target (e.g. a Qwen2.5 instruct GGUF) to see real calls; the generated demo
// models only write English-looking text and will just answer with text.
using System.ComponentModel;
using System.Globalization;
using Microsoft.SemanticKernel;
using Microsoft.SemanticKernel.ChatCompletion;
using SpecAI.Extensions.Gguf.Forge.Demo;

string? target = Option(args, "--target");
string? draft = Option(args, "--draft");
string prompt = Option(args, "--prompt") ?? "What time is it, and what is 6 times 7?";

if (target is null)
{
    var family = DemoModelForge.GetOrCreateFamily(Path.Combine(Directory.GetCurrentDirectory(), ".models"));
    target = family.TargetPath;
    draft ??= family.DraftPath;
}

var builder = Kernel.CreateBuilder().AddSpeculativeChatClient(o =>
{
    o.TargetModelPath = target;
    o.DraftModelPath = draft;
    o.ContextSize = 2048;
    o.MaxOutputTokens = 96;
});
builder.Plugins.AddFromType<ClockPlugin>("clock");
builder.Plugins.AddFromType<CalculatorPlugin>("calculator");
var kernel = builder.Build();

Console.WriteLine("Plugins:");
foreach (var function in kernel.Plugins.GetFunctionsMetadata())
{
    Console.WriteLine($"  {function.PluginName}.{function.Name}: {function.Description}");
}

// One agent turn with automatic function calling: plugin calls the model makes run through the kernel.
var chat = kernel.GetRequiredService<IChatCompletionService>();
var history = new ChatHistory("You are a helpful assistant. Use the tools for the time and for arithmetic.");
history.AddUserMessage(prompt);
Console.WriteLine($"user> {prompt}");
var settings = new PromptExecutionSettings { FunctionChoiceBehavior = FunctionChoiceBehavior.Auto() };
var answer = await chat.GetChatMessageContentAsync(history, settings, kernel);
foreach (var message in history.Where(m => m.Items.OfType<FunctionCallContent>().Any()))
{
    foreach (var call in message.Items.OfType<FunctionCallContent>())
    {
        Console.WriteLine($"tool> {call.PluginName}.{call.FunctionName}({string.Join(", ", call.Arguments ?? new())})");
    }
}

Console.WriteLine($"bot>  {answer.Content}");

static string? Option(string[] args, string name)
{
    int i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
}

/// <summary>Tells the time.</summary>
internal sealed class ClockPlugin
{
    /// <summary>The current local time.</summary>
    /// <returns>The time, ISO 8601.</returns>
    [KernelFunction("now"), Description("Returns the current local date and time.")]
    public string Now() => DateTimeOffset.Now.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);
}

/// <summary>Does arithmetic.</summary>
internal sealed class CalculatorPlugin
{
    /// <summary>Adds two numbers.</summary>
    /// <param name="a">First number.</param>
    /// <param name="b">Second number.</param>
    /// <returns>The sum.</returns>
    [KernelFunction("add"), Description("Adds two numbers.")]
    public double Add(double a, double b) => a + b;

    /// <summary>Multiplies two numbers.</summary>
    /// <param name="a">First number.</param>
    /// <param name="b">Second number.</param>
    /// <returns>The product.</returns>
    [KernelFunction("multiply"), Description("Multiplies two numbers.")]
    public double Multiply(double a, double b) => a * b;
}
