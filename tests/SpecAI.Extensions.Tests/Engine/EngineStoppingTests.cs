using SpecAI.Extensions.Engine;
using SpecAI.Extensions.Sampling;

namespace SpecAI.Extensions.Tests.Engine;

/// <summary>The engine's commit decides where an answer ends and why (stop tokens, text stop sequences, limits).</summary>
public class EngineStoppingTests
{
    private static readonly GenerationSettings Base = new() { Seed = 5, MaxTokens = 40, Mode = SpeculationMode.DraftModel, DraftLength = 4, Sampling = new SamplingOptions { Temperature = 0.9 } };

    [Fact]
    public void StopSequence_EndsAtTheTokenThatCompletesIt_SameDrawsBefore()
    {
        var full = Generate(Base, out var fullStatistics);
        Assert.Equal(GenerationStopReason.MaxTokens, fullStatistics.StopReason);
        Assert.Equal(40, fullStatistics.StoppedAfterTokens);

        // A two-letter stop sequence split over two tokens, taken from the middle of the unstopped answer.
        int at = Enumerable.Range(6, 30).First(i => full[i] != full[i + 1]);
        string stop = $"{Letter(full[at])}{Letter(full[at + 1])}";
        string text = string.Concat(full.Select(Letter));
        int end = text.IndexOf(stop, StringComparison.Ordinal) + stop.Length;

        var stopped = Generate(Base with { StopSequences = ["zz-never", stop], TextDecoder = () => new LetterDecoder() }, out var statistics);

        Assert.Equal(full[..end], stopped);
        Assert.Equal(GenerationStopReason.StopSequence, statistics.StopReason);
        Assert.Equal(end, statistics.StoppedAfterTokens);
    }

    [Fact]
    public void StopToken_EndsTheAnswer_AsEndOfGeneration()
    {
        var full = Generate(Base, out _);
        int token = full[10];
        int end = Array.IndexOf(full, token) + 1;

        var stopped = Generate(Base with { StopTokens = new HashSet<int> { token } }, out var statistics);

        Assert.Equal(full[..end], stopped);
        Assert.Equal(GenerationStopReason.EndOfGeneration, statistics.StopReason);
        Assert.Equal(end, statistics.StoppedAfterTokens);
    }

    [Fact]
    public void StopSequences_WithoutDecoder_AreRejected()
        => Assert.Throws<ArgumentException>(() => Generate(Base with { StopSequences = ["ab"] }, out _));

    private static int[] Generate(GenerationSettings settings, out SpeculationStatistics statistics)
    {
        statistics = new SpeculationStatistics();
        return new EngineTestKit(12).Generate([1, 2, 3], settings, statistics);
    }

    private static char Letter(int token) => (char)('a' + token);

    /// <summary>One letter per token.</summary>
    private sealed class LetterDecoder : ITokenTextDecoder
    {
        private readonly System.Text.StringBuilder _pending = new();

        public void Add(int token) => _pending.Append(Letter(token));

        public string Read()
        {
            string text = _pending.ToString();
            _pending.Clear();
            return text;
        }
    }
}
