// SemanticKernelAgent: a Kernel over the speculative chat client, with two small plugins.
//   dotnet run --project examples/SemanticKernelAgent [-- --target t.gguf --draft d.gguf] [--prompt "..."]
// Honest note: SpeculativeChatClient does not do tool calling yet, and the tiny forged model could not use tools
// anyway. The plugins are registered to show the wiring; the functions are invoked directly below, and the chat
// turn is plain text.
using System.ComponentModel;
using System.Globalization;
using Microsoft.SemanticKernel;
using Microsoft.SemanticKernel.ChatCompletion;
using SpecAI.Extensions.Gguf.Forge;

string? target = Option(args, "--target");
string? draft = Option(args, "--draft");
string prompt = Option(args, "--prompt") ?? "What time is it, and what is 6 times 7?";

if (target is null)
{
    var family = LlamaModelForge.GetOrCreateFamily(Path.Combine(Directory.GetCurrentDirectory(), ".models"), LlamaFamilyOptions.ChatTiny);
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

// The functions work through the kernel (what a tool-calling model would invoke).
var now = await kernel.InvokeAsync("clock", "now");
var product = await kernel.InvokeAsync("calculator", "multiply", new() { ["a"] = 6, ["b"] = 7 });
Console.WriteLine($"clock.now() = {now}; calculator.multiply(6, 7) = {product}");

// One chat turn; the facts are put in the system message because this model cannot call tools.
var chat = kernel.GetRequiredService<IChatCompletionService>();
var history = new ChatHistory($"You are a helpful assistant. The time is {now}. 6 times 7 is {product}.");
history.AddUserMessage(prompt);
Console.WriteLine($"user> {prompt}");
var answer = await chat.GetChatMessageContentAsync(history, kernel: kernel);
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
