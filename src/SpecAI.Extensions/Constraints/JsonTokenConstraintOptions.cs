namespace SpecAI.Extensions.Constraints;

/// <summary>Tuning of <see cref="JsonTokenConstraint"/>.</summary>
internal sealed record JsonTokenConstraintOptions
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

    /// <summary>
    /// Literal text the output must start with, before the document (e.g. <c>&lt;tool_call&gt;</c>); whitespace may follow it
    /// before the document. Empty by default.
    /// </summary>
    public string Prefix { get; init; } = string.Empty;

    /// <summary>
    /// Literal text the output must end with, after the document and up to <see cref="MaxTrailingWhitespace"/> whitespace
    /// characters (e.g. <c>&lt;/tool_call&gt;</c>); end-of-generation is allowed only after it. Empty by default.
    /// </summary>
    public string Suffix { get; init; } = string.Empty;

    /// <summary>Checks ranges.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A value is negative or the depth is below 1.</exception>
    /// <exception cref="ArgumentNullException"><see cref="Prefix"/> or <see cref="Suffix"/> is null.</exception>
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

        ArgumentNullException.ThrowIfNull(Prefix);
        ArgumentNullException.ThrowIfNull(Suffix);
        if (MaxDepth < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxDepth), MaxDepth, "MaxDepth must be >= 1.");
        }
    }
}
