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
        var vocab = new Option<int>("--vocab") { Description = "Vocabulary size of the synthetic vocabulary (no --tokenizer).", DefaultValueFactory = _ => 32_000 };
        var tokenizer = new Option<string?>("--tokenizer") { Description = "A Hugging Face byte-level BPE tokenizer.json (tokenizer_config.json read from the same folder): real tokens, merges, special tokens and chat template." };
        var vocabSize = new Option<int?>("--vocab-size") { Description = "With --tokenizer: pad the vocabulary with unused [PAD<i>] tokens to N (e.g. 151936, 152064); default the tokenizer's own count." };
        var draftTokenizer = new Option<string?>("--draft-tokenizer") { Description = "The draft's tokenizer.json when it differs from the target's (cross-family pair)." };
        var draftVocabSize = new Option<int?>("--draft-vocab-size") { Description = "Pad the draft's vocabulary to N (default: the target's size with one tokenizer)." };
        var family = new Option<string?>("--family") { Description = $"A named family over real tokenizers: {string.Join(", ", ForgeFamilies.Names)}." };
        var tokenizers = TokenizersOption();
        var scale = new Option<ForgeFamilyScale>("--scale") { Description = "Shapes of --family: Test (64x2 / 32x1, F16) or Bench (768x8 / 128x2, Q8_0).", DefaultValueFactory = _ => ForgeFamilyScale.Bench };
        var output = new Option<string?>("--out") { Description = "Output (cache) folder; default .models/ or $SPECAI_MODEL_CACHE." };
        var arch = new Option<string?>("--arch") { Description = $"Write a pair of this llama.cpp architecture to --output DIR (DIR/target.gguf, DIR/draft.gguf): {string.Join(", ", ArchitectureForge.Names)}. Default --scale Test; --vocab, --tokenizer and --agreement apply." };
        var archOutput = new Option<string?>("--output") { Description = "With --arch: the folder that receives target.gguf and draft.gguf (reused when the options match)." };
        var forge = new Command("forge", "Write (or reuse from the cache) a llama-architecture target+draft family with controlled agreement, or with --arch a pair of another architecture.");
        foreach (Option o in new Option[] { agreement, vocab, tokenizer, vocabSize, draftTokenizer, draftVocabSize, family, tokenizers, scale, output, arch, archOutput })
        {
            forge.Options.Add(o);
        }

        forge.SetAction(parse =>
        {
            if (parse.GetValue(arch) is { } architecture)
            {
                // Explicit values only: --vocab and --scale have defaults for the llama families that do not fit here.
                var archOptions = new ArchitectureForgeOptions
                {
                    VocabularySize = parse.GetResult(vocab) is { Implicit: false } ? parse.GetValue(vocab) : parse.GetValue(vocabSize),
                    Scale = parse.GetResult(scale) is { Implicit: false } ? parse.GetValue(scale) : ForgeFamilyScale.Test,
                    TokenizerPath = parse.GetValue(tokenizer),
                    Agreement = parse.GetResult(agreement) is { Implicit: false } ? parse.GetValue(agreement) : new ArchitectureForgeOptions().Agreement,
                };
                ForgedArchitecturePair pair;
                try
                {
                    string folder = parse.GetValue(archOutput) ?? throw new ArgumentException("--arch needs --output DIR (the folder for target.gguf and draft.gguf).");
                    pair = ForgeArchitecture(architecture, folder, archOptions);
                }
                catch (Exception e) when (e is ArgumentException or FileNotFoundException or InvalidDataException)
                {
                    Console.Error.WriteLine($"specai forge: {e.Message}");
                    return 2;
                }

                Console.WriteLine($"target: {pair.TargetPath}");
                Console.WriteLine($"draft:  {pair.DraftPath}");
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{pair.Architecture}, {pair.VocabularySize} tokens, {pair.Options.Scale} scale, calibrated agreement {pair.CalibratedAgreement:F4}{(pair.SlidingWindow is int w ? $", sliding window {w}" : "")}"));
                return 0;
            }

            double a = parse.GetValue(agreement);
            var options = parse.GetValue(family) is { } name ? NamedFamilyOptions(name, parse.GetValue(tokenizers), a, parse.GetValue(scale))
                : parse.GetValue(tokenizer) is { } path ? LlamaFamilyOptions.Default with
                {
                    Agreement = a,
                    TokenizerPath = path,
                    VocabularySize = parse.GetValue(vocabSize),
                    DraftTokenizerPath = parse.GetValue(draftTokenizer),
                    DraftVocabularySize = parse.GetValue(draftVocabSize),
                    EndOfSequenceProbability = 0.005,
                }
                : FamilyOptions(a, parse.GetValue(vocabSize) ?? parse.GetValue(vocab)) with { DraftVocabularySize = parse.GetValue(draftVocabSize) };
            var forged = LlamaModelForge.GetOrCreateFamily(parse.GetValue(output) ?? DefaultCache(), options);
            Console.WriteLine($"target:               {forged.TargetPath} ({forged.TargetVocabularySize} tokens)");
            Console.WriteLine($"draft:                {forged.DraftPath} ({forged.DraftVocabularySize} tokens)");
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"calibrated agreement: {forged.CalibratedAgreement:F4}"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"cost ratio (MACs):    {forged.CostRatio:F2} (target/draft per token)"));
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

    /// <summary><c>specai forge --arch NAME --output DIR</c>: the pair of <paramref name="architecture"/> in <paramref name="folder"/>.</summary>
    public static ForgedArchitecturePair ForgeArchitecture(string architecture, string folder, ArchitectureForgeOptions options) =>
        ArchitectureForge.GetOrCreate(architecture, folder, options);

    public static LlamaFamilyOptions FamilyOptions(double agreement, int vocab) =>
        LlamaFamilyOptions.Default with { Agreement = agreement, VocabularySize = vocab, ChatTemplate = true };

    /// <summary><c>--tokenizers</c>: where the named families' tokenizers live.</summary>
    public static Option<string?> TokenizersOption() => new("--tokenizers")
    {
        Description = "Folder with qwen3/ and llama3_1/ (tokenizer.json + tokenizer_config.json each); default: the first shared/tokenizers above the current directory.",
    };

    /// <summary>The options of a named family, its tokenizers from <paramref name="tokenizers"/> or found above the current directory.</summary>
    public static LlamaFamilyOptions NamedFamilyOptions(string family, string? tokenizers, double agreement, ForgeFamilyScale scale)
    {
        string folder = tokenizers ?? ForgeFamilies.FindTokenizersFolder()
            ?? throw new ArgumentException("No shared/tokenizers folder above the current directory: pass --tokenizers <folder> (qwen3/ and llama3_1/, each with tokenizer.json and tokenizer_config.json).");
        return ForgeFamilies.Options(family, folder, scale) with { Agreement = agreement };
    }

    public static string DefaultCache() =>
        Environment.GetEnvironmentVariable("SPECAI_MODEL_CACHE") is { Length: > 0 } dir ? dir : Path.Combine(Environment.CurrentDirectory, ".models");
}
