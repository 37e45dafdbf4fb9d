using System.Text.RegularExpressions;
using SpecAI.Extensions.Gguf.Forge.Demo;

namespace SpecAI.Cli.Tests;

/// <summary><c>specai chat</c> on the demo models, driven through standard input with standard output piped.</summary>
public sealed partial class ChatCommandTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);
    private readonly string _cache = Directory.CreateTempSubdirectory("specai-cli-tests-").FullName;

    public void Dispose() => Directory.Delete(_cache, recursive: true);

    [Fact]
    public async Task Chat_Piped_AnswersTwoTurnsAndExitsOnExit()
    {
        var (exitCode, output, error) = await SpecAiProcess.RunAsync("chat", "Tell me about the sea.\n/stats\n/mode lookup\nHello there\n/reset\n/exit\nThis line comes after /exit.\n", _cache, Timeout);

        Assert.True(exitCode == 0, $"exit code {exitCode}: {output}{error}");
        string[] lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToArray();
        Assert.Equal(DemoModelForge.Notice, lines[0]);
        Assert.Contains(lines, l => l.StartsWith("session: ", StringComparison.Ordinal));
        // Two turns, each an answer and then exactly one summary line; nothing after /exit.
        int[] summaries = lines.Select((l, i) => (l, i)).Where(x => SummaryLine().IsMatch(x.l)).Select(x => x.i).ToArray();
        Assert.Equal(2, summaries.Length);
        foreach (int i in summaries)
        {
            AssertWords(lines[i - 1]);
        }

        Assert.Contains("; mode draft;", lines[summaries[0]], StringComparison.Ordinal);
        Assert.Contains("; mode lookup;", lines[summaries[1]], StringComparison.Ordinal);
        Assert.Equal("conversation reset", lines[^1]);
    }

    [Fact]
    public async Task Chat_Piped_WritesNoControlCharacters()
    {
        var (exitCode, output, error) = await SpecAiProcess.RunAsync("chat --once --prompt \"Tell me a story.\"", string.Empty, _cache, Timeout);

        Assert.True(exitCode == 0, $"exit code {exitCode}: {output}{error}");
        Assert.DoesNotContain(output, c => char.IsControl(c) && c is not '\n' and not '\r');
        // The live status line ("12.3 tok/s, acceptance 80%") is for terminals only.
        Assert.DoesNotContain("tok/s, acceptance", output, StringComparison.Ordinal);
        string[] lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines, l => SummaryLine().IsMatch(l.TrimEnd('\r')));
    }

    /// <summary>Printable text made of words: no replacement characters, and mostly the corpus's own words.</summary>
    private static void AssertWords(string answer)
    {
        Assert.DoesNotContain('\uFFFD', answer);
        Assert.DoesNotContain(answer, c => char.IsControl(c));
        string[] words = answer.Split([' ', ',', '.', '!', '?'], StringSplitOptions.RemoveEmptyEntries);
        Assert.True(words.Length >= 2, $"too few words: '{answer}'");
        IReadOnlySet<string> known = DemoModelForge.CorpusWords();
        double share = words.Count(known.Contains) / (double)words.Length;
        Assert.True(share >= 0.9, $"only {share:P0} of the words are the corpus's: '{answer}'");
    }

    [GeneratedRegex(@"^\d+ tokens in \d+\.\d\ds = \d+\.\d tok/s; mode \w+; acceptance ")]
    private static partial Regex SummaryLine();
}
