namespace SpecAI.Extensions.Judge;

/// <summary>Settings of <see cref="JudgeTrainer"/>: class-weighted logistic regression with L2, a held-out split and a threshold rule.</summary>
public sealed record JudgeTrainingOptions
{
    /// <summary>Full-batch passes (default 300).</summary>
    public int Epochs { get; init; } = 300;

    /// <summary>Adam step size (default 0.05).</summary>
    public double LearningRate { get; init; } = 0.05;

    /// <summary>L2 penalty on the weights of standardised features (default 1e-3).</summary>
    public double L2 { get; init; } = 1e-3;

    /// <summary>Share of groups (data rows) held out for evaluation, in [0, 1) (default 0.2).</summary>
    public double HeldOutFraction { get; init; } = 0.2;

    /// <summary>Seed of the held-out split (default 0).</summary>
    public long Seed { get; init; }

    /// <summary>The head's default threshold; null chooses it on the held-out split with <see cref="MaxBadAcceptance"/>.</summary>
    public double? Threshold { get; init; }

    /// <summary>
    /// Threshold rule when <see cref="Threshold"/> is null: the lowest grid threshold at which the judge accepts at most this
    /// share of the held-out tokens labelled unacceptable (default 0.05: it must still reject 95% of the wrong tokens);
    /// 1 (never judge) when none does.
    /// </summary>
    public double MaxBadAcceptance { get; init; } = 0.05;

    /// <summary>The target the head is trained for (stored in the head); null leaves it unbound.</summary>
    public JudgeTargetFingerprint? Target { get; init; }

    /// <summary>Checks ranges.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range; the message names it.</exception>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(Epochs, 1, nameof(Epochs));
        if (!(LearningRate > 0 && double.IsFinite(LearningRate)))
        {
            throw new ArgumentOutOfRangeException(nameof(LearningRate), LearningRate, "LearningRate must be positive.");
        }

        if (!(L2 >= 0 && double.IsFinite(L2)))
        {
            throw new ArgumentOutOfRangeException(nameof(L2), L2, "L2 must be >= 0.");
        }

        if (!(HeldOutFraction >= 0 && HeldOutFraction < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(HeldOutFraction), HeldOutFraction, "HeldOutFraction must be in [0, 1).");
        }

        if (Threshold is { } t && !(t >= 0 && t <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(Threshold), t, "Threshold must be in [0, 1].");
        }

        if (!(MaxBadAcceptance >= 0 && MaxBadAcceptance <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(MaxBadAcceptance), MaxBadAcceptance, "MaxBadAcceptance must be in [0, 1].");
        }
    }
}
