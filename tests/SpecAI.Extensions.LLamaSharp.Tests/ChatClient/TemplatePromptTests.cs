using System.Text;
using LLama;
using SpecAI.Extensions.ChatClient;

namespace SpecAI.Extensions.LLamaSharp.Tests.ChatClient;

/// <summary>
/// Splitting a llama.cpp template's output into scaffolding and content reproduces the template's own text for every
/// built-in family tried, with each content (trimmed where the template trims) as content and nothing else.
/// </summary>
public sealed class TemplatePromptTests
{
    public static TheoryData<string> Templates => new()
    {
        "chatml", "llama2", "llama2-sys", "llama2-sys-bos", "llama2-sys-strip", "mistral-v1", "mistral-v3", "mistral-v3-tekken",
        "mistral-v7", "phi3", "phi4", "falcon3", "zephyr", "monarch", "gemma", "orion", "openchat", "vicuna", "vicuna-orca",
        "deepseek", "deepseek2", "deepseek3", "command-r", "llama3", "chatglm3", "chatglm4", "minicpm", "exaone3", "granite",
        "gigachat", "megrez", "llama4",
    };

    private static readonly ChatTurn[] Turns =
    [
        new("system", "  You are helpful.\n"),
        new("user", "Hello <b>there</b>\t"),
        new("assistant", "\nHi! Ça va? 東京 🙂 "),
        new("user", ""),
        new("user", "[INST] <|im_end|> second"),
    ];

    [Theory]
    [MemberData(nameof(Templates))]
    public void Segments_ReproduceTheTemplateText(string name)
    {
        var reference = new LLamaTemplate(name) { AddAssistant = true };
        foreach (var (role, content) in Turns)
        {
            reference.Add(role, content);
        }

        string expected = Encoding.UTF8.GetString(reference.Apply());
        var segments = TemplatePrompt.Render(new LLamaTemplate(name), Turns);

        Assert.Equal(expected, PromptSegment.Concat(segments));
        foreach (var content in segments.Where(s => s.IsContent))
        {
            Assert.Contains(Turns, t => t.Content == content.Text || t.Content.Trim() == content.Text);
        }

        foreach (var scaffold in segments.Where(s => !s.IsContent))
        {
            Assert.DoesNotContain("there", scaffold.Text, StringComparison.Ordinal);
            Assert.DoesNotContain("second", scaffold.Text, StringComparison.Ordinal);
        }
    }
}
