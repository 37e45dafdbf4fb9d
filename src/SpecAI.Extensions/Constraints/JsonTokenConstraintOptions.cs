namespace SpecAI.Extensions.Constraints;

/// <summary>Tuning of <see cref="JsonTokenConstraint"/>.</summary>
public sealed record JsonTokenConstraintOptions
{
    /// <summary>
    /// Whether the top-level value must be an object (the default). When <see langword="false"/> any JSON value may be
    /// the document. A schema's root <c>type</c>, when given, takes precedence over this setting.
    /// </summary>
    public bool RequireTopLevelObject { get; init; } = true;

    /// <summary>Whitespace characters allowed after the top-level value is complete (default 2).</summary>
    public int MaxTrailingWhitespace { get; init; } = 2;

    /// <summary>Most consecutive whitespace characters between tokens (outside strings) anywhere in the document (default 4).</summary>
    public int MaxWhitespaceRun { get; init; } = 4;

    /// <summary>Most nested objects and arrays (default 64); deeper <c>{</c> or <c>[</c> is refused.</summary>
    public int MaxDepth { get; init; } = 64;

    /// <summary>Checks ranges.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A value is negative or the depth is below 1.</exception>
    public void Validate()
    {
        if (MaxWhitespaceRun < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxWhitespaceRun), MaxWhitespaceRun, "MaxWhitespaceRun must be >= 1.");
        }

        if (MaxTrailingWhitespace < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxTrailingWhitespace), MaxTrailingWhitespace, "MaxTrailingWhitespace must be >= 0.");
        }

        if (MaxDepth < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxDepth), MaxDepth, "MaxDepth must be >= 1.");
        }
    }
}
