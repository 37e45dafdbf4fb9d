using System.CommandLine;
using System.Globalization;
using SpecAI.Extensions.Gguf.Derivation;
using SpecAI.Extensions.Gguf.Forge;

namespace SpecAI.Cli;

/// <summary><c>specai forge</c> and <c>specai forge derive</c>.</summary>
internal static class ForgeCommand
{
    public static Command Create()
    {
        var agreement = new Option<double>("--agreement") { Description = "Target/draft greedy agreement to calibrate for.", DefaultValueFactory = _ => 0.9 };
        var vocab = new Option<int>("--vocab") { Description = "Vocabulary size.", DefaultValueFactory = _ => 32_000 };
        var output = new Option<string?>("--out") { Description = "Output (cache) folder; default .models/ or $SPECAI_MODEL_CACHE." };
        var forge = new Command("forge", "Write (or reuse from the cache) a llama-architecture target+draft family with controlled agreement.");
        forge.Options.Add(agreement);
        forge.Options.Add(vocab);
        forge.Options.Add(output);
        forge.SetAction(parse =>
        {
            var options = FamilyOptions(parse.GetValue(agreement), parse.GetValue(vocab));
            var family = LlamaModelForge.GetOrCreateFamily(parse.GetValue(output) ?? DefaultCache(), options);
            Console.WriteLine($"target:               {family.TargetPath}");
            Console.WriteLine($"draft:                {family.DraftPath}");
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"calibrated agreement: {family.CalibratedAgreement:F4}"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"cost ratio (MACs):    {family.CostRatio:F2} (target/draft per token)"));
            return 0;
        });

        var from = new Option<string>("--from") { Description = "Source GGUF.", Required = true };
        var to = new Option<string>("--out") { Description = "Destination GGUF.", Required = true };
        var quantize = new Option<string?>("--quantize") { Description = "q4_0, q8_0 or f16 (default: keep types)." };
        var layers = new Option<int?>("--layers") { Description = "Keep only the first N layers." };
        var derive = new Command("derive", "Derive a draft from a GGUF model: quantize and/or drop layers.");
        derive.Options.Add(from);
        derive.Options.Add(to);
        derive.Options.Add(quantize);
        derive.Options.Add(layers);
        derive.SetAction(parse =>
        {
            var q = parse.GetValue(quantize)?.ToLowerInvariant() switch
            {
                null or "" or "none" => DraftQuantization.None,
                "q4_0" => DraftQuantization.Q4_0,
                "q8_0" => DraftQuantization.Q8_0,
                "f16" => DraftQuantization.F16,
                var other => throw new ArgumentException($"Unknown --quantize '{other}'; use q4_0, q8_0 or f16."),
            };
            var result = DraftDerivation.Derive(parse.GetValue(from)!, parse.GetValue(to)!, new DraftDerivationOptions { Quantize = q, Layers = parse.GetValue(layers) });
            Console.WriteLine($"wrote {parse.GetValue(to)}: {result.BlockCount} layers");
            foreach (var group in result.TensorTypes.GroupBy(kv => kv.Value))
            {
                Console.WriteLine($"  {group.Key}: {group.Count()} tensors");
            }

            return 0;
        });
        forge.Subcommands.Add(derive);
        return forge;
    }

    public static LlamaFamilyOptions FamilyOptions(double agreement, int vocab) =>
        LlamaFamilyOptions.Default with { Agreement = agreement, VocabularySize = vocab, ChatTemplate = true };

    public static string DefaultCache() =>
        Environment.GetEnvironmentVariable("SPECAI_MODEL_CACHE") is { Length: > 0 } dir ? dir : Path.Combine(Environment.CurrentDirectory, ".models");
}
