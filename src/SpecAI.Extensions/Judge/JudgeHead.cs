using System.Numerics.Tensors;

namespace SpecAI.Extensions.Judge;

/// <summary>
/// A linear judge head (Judge Decoding, Bachmann et al. 2025, arXiv:2501.19309): reads the target's final
/// hidden state at a draft token's position and scores whether the draft token is an acceptable
/// continuation, <c>sigmoid(w·h + b)</c>. One row of the hidden size: a few thousand parameters.
/// </summary>
/// <remarks>
/// Used by <c>JudgeVerifier</c>, which is LOSSY by design: a draft token the standard rule
/// rejects is still kept when its score exceeds the threshold. Threshold 1 never keeps one (exactly standard
/// verification); 0 keeps nearly every draft. A head is bound to the target it was trained on through
/// <see cref="Target"/>; files are written in format SPJH v2 (see <see cref="Save"/>).
/// </remarks>
public sealed class JudgeHead
{
    /// <summary>The format version <see cref="Save"/> writes.</summary>
    public const int CurrentFormatVersion = JudgeHeadFile.CurrentVersion;

    /// <summary>Creates a head.</summary>
    /// <param name="weights">One weight per hidden dimension.</param>
    /// <param name="bias">The bias.</param>
    /// <param name="threshold">Score above which a draft token the standard rule rejects is kept, in [0, 1]; 1 never keeps one.</param>
    /// <param name="target">The target model the head was trained on; null leaves the head unbound (not checked at load).</param>
    /// <exception cref="ArgumentException">Empty or non-finite weights or bias, a threshold outside [0, 1], or a fingerprint whose embedding size differs from the weights.</exception>
    public JudgeHead(float[] weights, float bias, double threshold = 0.5, JudgeTargetFingerprint? target = null)
        : this(weights, bias, threshold, target, CurrentFormatVersion)
    {
    }

    internal JudgeHead(float[] weights, float bias, double threshold, JudgeTargetFingerprint? target, int formatVersion)
    {
        ArgumentNullException.ThrowIfNull(weights);
        if (weights.Length == 0 || !float.IsFinite(bias) || weights.Any(w => !float.IsFinite(w)))
        {
            throw new ArgumentException("Judge weights and bias must be non-empty and finite.", nameof(weights));
        }

        if (!(threshold >= 0 && threshold <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(threshold), threshold, "The judge threshold must be in [0, 1] (1 = never judge).");
        }

        if (target is not null && target.EmbeddingSize != weights.Length)
        {
            throw new ArgumentException($"The head reads {weights.Length} hidden dimensions but its target {target} has {target.EmbeddingSize}.", nameof(target));
        }

        Weights = weights;
        Bias = bias;
        Threshold = threshold;
        Target = target;
        FormatVersion = formatVersion;
    }

    /// <summary>One weight per hidden dimension.</summary>
    public float[] Weights { get; }

    /// <summary>The bias.</summary>
    public float Bias { get; }

    /// <summary>Default threshold: score above which a draft token the standard rule rejects is kept (1 = never).</summary>
    public double Threshold { get; }

    /// <summary>The target model the head was trained on; null for an unbound head (SPJH v1 files carry none).</summary>
    public JudgeTargetFingerprint? Target { get; }

    /// <summary>The file format version the head was read from (<see cref="CurrentFormatVersion"/> for heads made in memory).</summary>
    public int FormatVersion { get; }

    /// <summary>The hidden size this head reads.</summary>
    public int HiddenSize => Weights.Length;

    /// <summary>A copy with another default threshold (trade more speed for quality, or less).</summary>
    /// <param name="threshold">The new threshold in [0, 1].</param>
    /// <returns>The copy.</returns>
    public JudgeHead WithThreshold(double threshold) => new(Weights, Bias, threshold, Target, FormatVersion);

    /// <summary>A copy bound to a target model.</summary>
    /// <param name="target">The target's fingerprint.</param>
    /// <returns>The copy.</returns>
    public JudgeHead WithTarget(JudgeTargetFingerprint target)
    {
        ArgumentNullException.ThrowIfNull(target);
        return new(Weights, Bias, Threshold, target, FormatVersion);
    }

    /// <summary>The judge's probability that the token at this hidden state is acceptable.</summary>
    /// <param name="hidden">The target's final normalised hidden state at the draft token.</param>
    /// <returns>A score in [0, 1].</returns>
    /// <exception cref="ArgumentException">The hidden size differs from the head's.</exception>
    public double Score(ReadOnlySpan<float> hidden)
    {
        if (hidden.Length != Weights.Length)
        {
            throw new ArgumentException($"The judge head reads {Weights.Length} hidden dimensions but got {hidden.Length}.", nameof(hidden));
        }

        double z = TensorPrimitives.Dot(hidden, Weights) + Bias;
        return 1.0 / (1.0 + Math.Exp(-z));
    }

    /// <summary>
    /// Checks that this head may be used with a target: the hidden size must match and, for a bound head, the
    /// whole fingerprint. An unbound head (SPJH v1) is checked on its hidden size only.
    /// </summary>
    /// <param name="target">The target's fingerprint.</param>
    /// <param name="source">Where the head came from (its file), for the message.</param>
    /// <exception cref="JudgeHeadMismatchException">The head was trained for another model.</exception>
    /// <exception cref="InvalidDataException">An unbound head whose hidden size differs from the target's.</exception>
    public void EnsureMatches(JudgeTargetFingerprint target, string source)
    {
        ArgumentNullException.ThrowIfNull(target);
        if (Target is not null && !Target.Matches(target))
        {
            throw new JudgeHeadMismatchException(source, Target, target);
        }

        if (HiddenSize != target.EmbeddingSize)
        {
            throw new InvalidDataException($"Judge head '{source}' reads {HiddenSize} hidden dimensions but target {target} has {target.EmbeddingSize}.");
        }
    }

    /// <summary>Writes the head in format SPJH v2 (layout in <c>JudgeHeadFile</c>; little endian, FNV-1a checksum at the end).</summary>
    /// <param name="path">Destination file.</param>
    public void Save(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        File.WriteAllBytes(path, JudgeHeadFile.Write(this));
    }

    /// <summary>Reads a head written by <see cref="Save"/> (SPJH v2), or an SPJH v1 file (no target fingerprint).</summary>
    /// <param name="path">The file.</param>
    /// <returns>The head.</returns>
    /// <exception cref="InvalidDataException">Not a judge head file, a truncated or corrupted one, or invalid values.</exception>
    public static JudgeHead Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var stream = File.OpenRead(path);
        if (stream.Length > JudgeHeadFile.MaxFileBytes)
        {
            throw new InvalidDataException($"'{path}' is {stream.Length} bytes; a judge head file is at most {JudgeHeadFile.MaxFileBytes}.");
        }

        var bytes = new byte[(int)stream.Length];
        stream.ReadExactly(bytes);
        return JudgeHeadFile.Read(bytes, path);
    }
}
