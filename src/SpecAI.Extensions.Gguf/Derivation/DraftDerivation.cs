using System.Text.RegularExpressions;
using SpecAI.Extensions.Gguf.Quantization;

namespace SpecAI.Extensions.Gguf.Derivation;

/// <summary>
/// Derives a draft model from a GGUF model by re-writing its tensors: quantize with per-tensor
/// fallback and/or keep only the first blocks. The vocabulary and all other metadata are copied, so
/// the draft shares the source's tokenizer.
/// </summary>
/// <remarks>
/// llama.cpp's own quantizer refuses models with rows that are not a multiple of 32 (e.g.
/// stories260K's ffn_down, 172 columns); here such tensors fall back as in <see cref="TensorTypeSelector"/>.
/// </remarks>
public static partial class DraftDerivation
{
    /// <summary>Reads <paramref name="sourcePath"/> and writes the derived draft to <paramref name="destinationPath"/>.</summary>
    /// <exception cref="InvalidDataException">The source is not valid GGUF, has no architecture or block count, or a tensor to convert cannot be read.</exception>
    /// <exception cref="ArgumentOutOfRangeException">Layers is below 1 or above the source's block count.</exception>
    public static DraftDerivationResult Derive(string sourcePath, string destinationPath, DraftDerivationOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(sourcePath);
        ArgumentException.ThrowIfNullOrEmpty(destinationPath);
        options ??= new DraftDerivationOptions();
        if (!Enum.IsDefined(options.Quantize))
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.Quantize, "Unknown quantization.");
        }

        GgufFile source = GgufReader.Read(sourcePath);
        string arch = source.Metadata.TryGetValue(GgufKeys.Architecture, out GgufValue? a) && a.Value is string s
            ? s : throw new InvalidDataException($"GGUF file '{sourcePath}' has no {GgufKeys.Architecture}.");
        string blockKey = arch + ".block_count";
        int blocks = source.Metadata.TryGetValue(blockKey, out GgufValue? b) && b.Value is uint or int or ulong
            ? (int)b.AsInt64() : throw new InvalidDataException($"GGUF file '{sourcePath}' has no integer {blockKey}.");
        int keep = options.Layers ?? blocks;
        if (keep < 1 || keep > blocks)
        {
            throw new ArgumentOutOfRangeException(nameof(options), keep, $"Layers must be 1..{blocks} for '{sourcePath}'.");
        }

        var writer = new GgufWriter();
        foreach ((string key, GgufValue value) in source.Header.MetadataList)
        {
            writer.SetMetadata(key, value);
        }

        writer.SetMetadata(blockKey, keep == blocks ? b : GgufValue.FromUInt32((uint)keep));
        GgufTensorType? requested = ToTensorType(options.Quantize);
        if (requested is GgufTensorType type)
        {
            writer.SetMetadata(GgufKeys.FileType, GgufValue.FromUInt32(type switch
            {
                GgufTensorType.F16 => 1u,
                GgufTensorType.Q4_0 => 2u,
                _ => 7u,
            }));
        }

        var types = new Dictionary<string, GgufTensorType>(StringComparer.Ordinal);
        foreach (GgufTensor tensor in source.Tensors)
        {
            Match m = BlockIndex().Match(tensor.Name);
            if (m.Success && int.Parse(m.Groups[1].ValueSpan, System.Globalization.CultureInfo.InvariantCulture) >= keep)
            {
                continue;
            }

            GgufTensor written = requested is GgufTensorType t ? Convert(tensor, t, sourcePath) : tensor;
            writer.AddTensor(written);
            types[written.Name] = written.Type;
        }

        writer.Write(destinationPath);
        return new DraftDerivationResult(keep, types);
    }

    private static GgufTensor Convert(GgufTensor tensor, GgufTensorType requested, string sourcePath)
    {
        // 1-D tensors (norms) keep their type; matrices get the requested type or its fallback.
        if (tensor.Shape.Count == 1)
        {
            return tensor;
        }

        GgufTensorType type = TensorTypeSelector.Choose(requested, tensor.Shape);
        if (type == tensor.Type)
        {
            return tensor;
        }

        if (!GgufQuantizer.CanDequantize(tensor.Type))
        {
            throw new InvalidDataException($"GGUF file '{sourcePath}': tensor '{tensor.Name}' has type {tensor.Type}, which cannot be converted.");
        }

        return GgufTensor.FromFloats(tensor.Name, type, tensor.Shape, tensor.ToFloats());
    }

    private static GgufTensorType? ToTensorType(DraftQuantization quantization) => quantization switch
    {
        DraftQuantization.F16 => GgufTensorType.F16,
        DraftQuantization.Q8_0 => GgufTensorType.Q8_0,
        DraftQuantization.Q4_0 => GgufTensorType.Q4_0,
        _ => null,
    };

    [GeneratedRegex(@"^blk\.(\d+)\.")]
    private static partial Regex BlockIndex();
}
