namespace SpecAI.Cli.Bench;

/// <summary>One measured target batch size.</summary>
internal sealed class BatchCostSample
{
    public int Tokens { get; init; }

    public long Calls { get; init; }

    public double MeanMilliseconds { get; init; }

    public double Ratio { get; init; }
}
