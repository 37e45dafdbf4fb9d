namespace SpecAI.Extensions.Sampling;

/// <summary>
/// Restricts which tokens may come next (for example a JSON grammar). Applied to BOTH the draft and the
/// target distributions, so speculation stays lossless with respect to the constrained target.
/// </summary>
/// <remarks>
/// The constraint is a function of the generated tokens alone (drafted ones included), so rejecting a
/// draft needs no undo: the next call simply sees the shorter sequence.
/// </remarks>
public interface ITokenConstraint
{
    /// <summary>Sets the logits of tokens that may not follow <paramref name="generated"/> to negative infinity.</summary>
    /// <param name="generated">Tokens generated so far in this answer, including drafted ones on the path.</param>
    /// <param name="logits">The logits of the next position, changed in place.</param>
    void Apply(ReadOnlySpan<int> generated, Span<double> logits);
}
