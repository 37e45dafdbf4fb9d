namespace SpecAI.Extensions.Judge;

/// <summary>A span of a response's characters (UTF-16 code units, as .NET strings index them), end exclusive.</summary>
/// <param name="Start">First character.</param>
/// <param name="End">One past the last character.</param>
public readonly record struct JudgeSpan(int Start, int End)
{
    /// <summary>Whether the span shares a character with [<paramref name="start"/>, <paramref name="end"/>); an empty range counts at its position.</summary>
    /// <param name="start">Range start.</param>
    /// <param name="end">Range end (exclusive).</param>
    /// <returns>True when they overlap.</returns>
    public bool Overlaps(int start, int end) => end > start ? start < End && Start < end : Start <= start && start < End;
}
