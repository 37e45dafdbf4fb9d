using System.Numerics.Tensors;

namespace SpecAI.Extensions.Judge;

/// <summary>
/// A linear judge head (Judge Decoding, Bachmann et al. 2025, arXiv:2501.19309): reads the target's final
/// hidden state at a draft token's position and scores whether the draft token is an acceptable
/// continuation, <c>sigmoid(w·h + b)</c>. One row of the hidden size: a few thousand parameters.
/// </summary>
/// <remarks>Used by <see cref="Verification.JudgeVerifier"/>, which is LOSSY by design.</remarks>
public sealed class JudgeHead
{
    private static ReadOnlySpan<byte> Magic => "SPJH"u8;
    private const int FormatVersion = 1;

    /// <summary>Creates a head.</summary>
    /// <param name="weights">One weight per hidden dimension.</param>
    /// <param name="bias">The bias.</param>
    /// <param name="threshold">Score above which a draft token is kept even when the standard rule rejects it.</param>
    /// <exception cref="ArgumentException">Empty or non-finite weights, or a threshold outside (0, 1).</exception>
    public JudgeHead(float[] weights, float bias, double threshold = 0.5)
    {
        ArgumentNullException.ThrowIfNull(weights);
        if (weights.Length == 0 || weights.Any(w => !float.IsFinite(w)) || !float.IsFinite(bias))
        {
            throw new ArgumentException("Judge weights must be non-empty and finite.", nameof(weights));
        }

        if (!(threshold > 0 && threshold < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(threshold), threshold, "The judge threshold must be in (0, 1).");
        }

        Weights = weights;
        Bias = bias;
        Threshold = threshold;
    }

    /// <summary>One weight per hidden dimension.</summary>
    public float[] Weights { get; }

    /// <summary>The bias.</summary>
    public float Bias { get; }

    /// <summary>Score above which a draft token is kept.</summary>
    public double Threshold { get; }

    /// <summary>The hidden size this head reads.</summary>
    public int HiddenSize => Weights.Length;

    /// <summary>A copy with another threshold (trade more speed for quality, or less).</summary>
    /// <param name="threshold">The new threshold in (0, 1).</param>
    /// <returns>The copy.</returns>
    public JudgeHead WithThreshold(double threshold) => new(Weights, Bias, threshold);

    /// <summary>The judge's probability that the token at this hidden state is acceptable.</summary>
    /// <param name="hidden">The target's final normalised hidden state at the draft token.</param>
    /// <returns>A score in (0, 1).</returns>
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

    /// <summary>Writes the head (magic "SPJH", version, hidden size, threshold, bias, weights; little endian).</summary>
    /// <param name="path">Destination file.</param>
    public void Save(string path)
    {
        using var stream = File.Create(path);
        using var writer = new BinaryWriter(stream);
        writer.Write(Magic);
        writer.Write(FormatVersion);
        writer.Write(Weights.Length);
        writer.Write(Threshold);
        writer.Write(Bias);
        foreach (float w in Weights)
        {
            writer.Write(w);
        }
    }

    /// <summary>Reads a head written by <see cref="Save"/>.</summary>
    /// <param name="path">The file.</param>
    /// <returns>The head.</returns>
    /// <exception cref="InvalidDataException">Not a judge head file, or a truncated one.</exception>
    public static JudgeHead Load(string path)
    {
        using var stream = File.OpenRead(path);
        using var reader = new BinaryReader(stream);
        try
        {
            if (!reader.ReadBytes(4).AsSpan().SequenceEqual(Magic))
            {
                throw new InvalidDataException($"'{path}' is not a judge head file (bad magic).");
            }

            int version = reader.ReadInt32();
            if (version != FormatVersion)
            {
                throw new InvalidDataException($"'{path}' has judge head format version {version}; this library reads {FormatVersion}.");
            }

            int size = reader.ReadInt32();
            if (size <= 0 || size > 1 << 20)
            {
                throw new InvalidDataException($"'{path}' declares a hidden size of {size}.");
            }

            double threshold = reader.ReadDouble();
            float bias = reader.ReadSingle();
            var weights = new float[size];
            for (int i = 0; i < size; i++)
            {
                weights[i] = reader.ReadSingle();
            }

            return new JudgeHead(weights, bias, threshold);
        }
        catch (EndOfStreamException ex)
        {
            throw new InvalidDataException($"'{path}' is truncated.", ex);
        }
        catch (ArgumentException ex)
        {
            throw new InvalidDataException($"'{path}' holds an invalid judge head: {ex.Message}", ex);
        }
    }
}
