namespace SpecAI.Extensions.Judge;

/// <summary>One row of judge training data: a prompt, a response to it, and the spans of the response that are wrong.</summary>
/// <param name="Prompt">The user message the response answers or continues.</param>
/// <param name="Response">The response text.</param>
/// <param name="BadSpans">Wrong spans of <paramref name="Response"/> (UTF-16 indices, end exclusive); every other character is acceptable.</param>
/// <param name="Line">The 1-based line of the data file it came from (0 when made in memory).</param>
public sealed record JudgeLabelledResponse(string Prompt, string Response, IReadOnlyList<JudgeSpan> BadSpans, int Line = 0)
{
    /// <summary>Labels tokens of the response: a token is acceptable unless its characters overlap a bad span.</summary>
    /// <param name="tokenSpans">Each token's character range in <see cref="Response"/> (end exclusive; an empty range is labelled by its position).</param>
    /// <returns>One label per token.</returns>
    public bool[] LabelTokens(IReadOnlyList<JudgeSpan> tokenSpans)
    {
        ArgumentNullException.ThrowIfNull(tokenSpans);
        var labels = new bool[tokenSpans.Count];
        for (int i = 0; i < labels.Length; i++)
        {
            var token = tokenSpans[i];
            labels[i] = !BadSpans.Any(bad => bad.Overlaps(token.Start, token.End));
        }

        return labels;
    }
}
