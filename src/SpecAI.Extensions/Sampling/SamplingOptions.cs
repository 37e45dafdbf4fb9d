namespace SpecAI.Extensions.Sampling;

/// <summary>
/// The transforms that turn logits into the distribution tokens are drawn from. The engine applies the
/// same transforms to the target and the draft, so a lossless verifier reproduces the target's law
/// under these transforms.
/// </summary>
/// <remarks>
/// Order: logit bias, repetition / frequency / presence penalties over the last
/// <see cref="PenaltyWindow"/> tokens, temperature, softmax (in double), top-k, top-p, min-p, renormalise.
/// A temperature of 0 is greedy decoding: a one-hot distribution on the highest logit (ties: lowest id).
/// </remarks>
public sealed record SamplingOptions
{
    /// <summary>Greedy decoding (temperature 0).</summary>
    public static SamplingOptions Greedy { get; } = new() { Temperature = 0 };

    /// <summary>Temperature; 0 means greedy. Default 1.</summary>
    public double Temperature { get; init; } = 1.0;

    /// <summary>Keep only the k most likely tokens; 0 disables.</summary>
    public int TopK { get; init; }

    /// <summary>Keep the smallest set of most likely tokens whose mass reaches this value; 1 disables.</summary>
    public double TopP { get; init; } = 1.0;

    /// <summary>Drop tokens whose probability is below this fraction of the most likely token's; 0 disables.</summary>
    public double MinP { get; init; }

    /// <summary>CTRL-style repetition penalty (divides positive logits, multiplies negative ones); 1 disables.</summary>
    public double RepetitionPenalty { get; init; } = 1.0;

    /// <summary>Subtracted from a token's logit once per occurrence in the window (OpenAI semantics); 0 disables.</summary>
    public double FrequencyPenalty { get; init; }

    /// <summary>Subtracted from a token's logit once if it occurs in the window (OpenAI semantics); 0 disables.</summary>
    public double PresencePenalty { get; init; }

    /// <summary>How many of the most recent tokens the penalties look at. Default 64, as in llama.cpp.</summary>
    public int PenaltyWindow { get; init; } = 64;

    /// <summary>Added to the logits of the given token ids before anything else.</summary>
    public IReadOnlyDictionary<int, double>? LogitBias { get; init; }

    /// <summary>Whether decoding is greedy (temperature 0).</summary>
    public bool IsGreedy => Temperature <= 0;

    /// <summary>Whether any penalty is active, which makes the distribution depend on earlier tokens.</summary>
    public bool HasPenalties => RepetitionPenalty != 1.0 || FrequencyPenalty != 0 || PresencePenalty != 0;

    /// <summary>Checks that every value is in range.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range; the message names it.</exception>
    public void Validate()
    {
        if (!(Temperature >= 0) || double.IsInfinity(Temperature))
        {
            throw new ArgumentOutOfRangeException(nameof(Temperature), Temperature, "Temperature must be finite and >= 0.");
        }

        if (TopK < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(TopK), TopK, "TopK must be >= 0 (0 disables it).");
        }

        if (!(TopP > 0 && TopP <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(TopP), TopP, "TopP must be in (0, 1].");
        }

        if (!(MinP >= 0 && MinP < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(MinP), MinP, "MinP must be in [0, 1).");
        }

        if (!(RepetitionPenalty > 0) || double.IsInfinity(RepetitionPenalty))
        {
            throw new ArgumentOutOfRangeException(nameof(RepetitionPenalty), RepetitionPenalty, "RepetitionPenalty must be finite and > 0.");
        }

        if (!double.IsFinite(FrequencyPenalty) || !double.IsFinite(PresencePenalty))
        {
            throw new ArgumentOutOfRangeException(nameof(FrequencyPenalty), "Frequency and presence penalties must be finite.");
        }

        if (PenaltyWindow < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(PenaltyWindow), PenaltyWindow, "PenaltyWindow must be >= 0.");
        }
    }
}
