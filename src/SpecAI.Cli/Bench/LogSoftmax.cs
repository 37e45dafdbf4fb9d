namespace SpecAI.Cli.Bench;

/// <summary>Log-probabilities from raw logits, for the programs that score text under a model.</summary>
internal static class LogSoftmax
{
    /// <summary>log softmax(<paramref name="logits"/>)[<paramref name="token"/>], with the maximum subtracted first so no exponential overflows.</summary>
    public static double At(ReadOnlySpan<float> logits, int token)
    {
        double max = double.NegativeInfinity;
        foreach (float l in logits)
        {
            max = Math.Max(max, l);
        }

        double sum = 0;
        foreach (float l in logits)
        {
            sum += Math.Exp(l - max);
        }

        return logits[token] - max - Math.Log(sum);
    }
}
