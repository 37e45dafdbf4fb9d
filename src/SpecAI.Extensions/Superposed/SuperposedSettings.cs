namespace SpecAI.Extensions.Superposed;

/// <summary>Settings of one Superposed Decoding request (LOSSY: suggestions are not samples of the target's law).</summary>
internal sealed record SuperposedSettings
{
    /// <summary>k, the number of suggestions (default 3).</summary>
    public int Suggestions { get; init; } = 3;

    /// <summary>Most tokens per suggestion (default 16).</summary>
    public int MaxTokens { get; init; } = 16;

    /// <summary>
    /// Temperature of the model's top-k distribution in the score (default <see cref="DefaultTemperature"/>, the
    /// released configuration of the paper): low values let the best draft dominate the superposed input.
    /// </summary>
    public double Temperature { get; init; } = DefaultTemperature;

    /// <summary>0.06, the temperature of Shen et al.'s released configurations (RAIVNLab/SuperposedDecoding params/*.json).</summary>
    public const double DefaultTemperature = 0.06;

    /// <summary>N-gram weight alpha in [0, 1] (default <see cref="SuperposedSearch.DefaultAlpha"/>).</summary>
    public double Alpha { get; init; } = SuperposedSearch.DefaultAlpha;

    /// <summary>Tokens that finish a suggestion (end of generation).</summary>
    public IReadOnlySet<int> StopTokens { get; init; } = new HashSet<int>();

    /// <summary>Throws when a setting is out of range.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A setting is out of range.</exception>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(Suggestions, 1, nameof(Suggestions));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(Suggestions, 64, nameof(Suggestions));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxTokens, 1, nameof(MaxTokens));
        if (!(Temperature > 0) || double.IsInfinity(Temperature))
        {
            throw new ArgumentOutOfRangeException(nameof(Temperature), Temperature, "Temperature must be positive and finite.");
        }

        if (!(Alpha >= 0 && Alpha <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(Alpha), Alpha, "Alpha must be in [0, 1].");
        }

        ArgumentNullException.ThrowIfNull(StopTokens, nameof(StopTokens));
    }
}
