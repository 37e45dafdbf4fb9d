namespace SpecAI.Extensions.Gguf.Forge;

/// <summary>
/// Named families over real tokenizers (Hugging Face <c>tokenizer.json</c> + <c>tokenizer_config.json</c> in a folder
/// with <c>qwen3/</c> and <c>llama3_1/</c>), shaped like the model pairs users run:
/// <list type="table">
/// <item><term><c>qwen3</c></term><description>Qwen3-style pair, both padded to 151,936 tokens (ChatML with tools and <c>&lt;think&gt;</c>).</description></item>
/// <item><term><c>qwen25</c></term><description>Qwen2.5-7B-style target padded to 152,064 with a 151,936-token draft.</description></item>
/// <item><term><c>llama31</c></term><description>Llama-3.1-style pair, 128,256 tokens (header-id template, <c>&lt;|eot_id|&gt;</c>, <c>&lt;|eom_id|&gt;</c>, <c>&lt;|python_tag|&gt;</c>).</description></item>
/// <item><term><c>cross</c></term><description>Llama 3.1 target (128,256) with a Qwen3 draft (151,936): different tokenizers.</description></item>
/// </list>
/// </summary>
public static class ForgeFamilies
{
    /// <summary>Qwen3-style pair.</summary>
    public const string Qwen3 = "qwen3";

    /// <summary>Qwen2.5-7B-style padded target with a smaller-vocabulary draft.</summary>
    public const string Qwen25 = "qwen25";

    /// <summary>Llama-3.1-style pair.</summary>
    public const string Llama31 = "llama31";

    /// <summary>Llama 3.1 target, Qwen3 draft.</summary>
    public const string Cross = "cross";

    /// <summary>Folder of the Qwen3 tokenizer under the tokenizers folder.</summary>
    public const string QwenTokenizerFolder = "qwen3";

    /// <summary>Folder of the Llama 3.1 tokenizer under the tokenizers folder.</summary>
    public const string LlamaTokenizerFolder = "llama3_1";

    /// <summary>Every family name.</summary>
    public static IReadOnlyList<string> Names { get; } = [Qwen3, Qwen25, Llama31, Cross];

    /// <summary>
    /// Llama 3.1's names for three slots Llama 3 reserved (128004, 128008, 128010): tokenizers published with the
    /// Llama 3 layout get the end-of-message and tool-call tokens Llama 3.1 models are trained with.
    /// </summary>
    public static IReadOnlyDictionary<string, string> Llama31ToolTokens { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["<|reserved_special_token_2|>"] = "<|finetune_right_pad_id|>",
        ["<|reserved_special_token_4|>"] = "<|eom_id|>",
        ["<|reserved_special_token_5|>"] = "<|python_tag|>",
    };

    /// <summary>One line on what <paramref name="name"/> is.</summary>
    /// <exception cref="ArgumentException">Unknown name.</exception>
    public static string Describe(string name) => Check(name) switch
    {
        Qwen3 => "Qwen3-style pair, 151,936 tokens both",
        Qwen25 => "Qwen2.5-7B-style target padded to 152,064 tokens, 151,936-token draft",
        Llama31 => "Llama-3.1-style pair, 128,256 tokens both",
        _ => "Llama 3.1 target (128,256 tokens) with a Qwen3 draft (151,936 tokens)",
    };

    /// <summary>The forge options of family <paramref name="name"/> over the tokenizers in <paramref name="tokenizersFolder"/>.</summary>
    /// <exception cref="ArgumentException">Unknown name or empty folder.</exception>
    public static LlamaFamilyOptions Options(string name, string tokenizersFolder, ForgeFamilyScale scale = ForgeFamilyScale.Test)
    {
        ArgumentException.ThrowIfNullOrEmpty(tokenizersFolder);
        string qwen = Path.Combine(tokenizersFolder, QwenTokenizerFolder, "tokenizer.json");
        string llama = Path.Combine(tokenizersFolder, LlamaTokenizerFolder, "tokenizer.json");
        bool test = scale == ForgeFamilyScale.Test;
        var common = new LlamaFamilyOptions
        {
            Target = test ? new(64, 2, 128, 2) : LlamaFamilyOptions.Default.Target,
            Draft = test ? new(32, 1, 64, 1) : LlamaFamilyOptions.Default.Draft,
            Agreement = 0.8,
            WeightType = test ? GgufTensorType.F16 : GgufTensorType.Q8_0,
            // About one answer in 200 tokens ends (EOS = EOT), so chat answers stop by themselves.
            EndOfSequenceProbability = 0.005,
            CalibrationSamples = test ? 256 : 1024,
            Name = $"specai-{name}-{(test ? "test" : "bench")}",
        };
        return Check(name) switch
        {
            Qwen3 => common with { TokenizerPath = qwen, VocabularySize = 151_936 },
            Qwen25 => common with { TokenizerPath = qwen, VocabularySize = 152_064, DraftVocabularySize = 151_936 },
            Llama31 => common with { TokenizerPath = llama, AddedTokenNames = Llama31ToolTokens },
            _ => common with { TokenizerPath = llama, AddedTokenNames = Llama31ToolTokens, DraftTokenizerPath = qwen, DraftVocabularySize = 151_936 },
        };
    }

    /// <summary>Family <paramref name="name"/> from <paramref name="cacheDirectory"/>, forged there first if missing (see <see cref="LlamaModelForge.GetOrCreateFamily"/>).</summary>
    /// <exception cref="ArgumentException">Unknown name or empty folder.</exception>
    /// <exception cref="FileNotFoundException">A tokenizer file is missing.</exception>
    public static ForgedFamily GetOrCreate(string name, string tokenizersFolder, string cacheDirectory, ForgeFamilyScale scale = ForgeFamilyScale.Test) =>
        LlamaModelForge.GetOrCreateFamily(cacheDirectory, Options(name, tokenizersFolder, scale));

    /// <summary>
    /// The first <c>shared/tokenizers</c> folder (holding <c>qwen3/tokenizer.json</c>) in <paramref name="startDirectory"/>
    /// (default: the current directory) or any folder above it; null if none.
    /// </summary>
    public static string? FindTokenizersFolder(string? startDirectory = null)
    {
        for (var dir = new DirectoryInfo(startDirectory ?? Environment.CurrentDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "shared", "tokenizers");
            if (File.Exists(Path.Combine(candidate, QwenTokenizerFolder, "tokenizer.json")))
            {
                return candidate;
            }
        }

        return null;
    }

    private static string Check(string name) =>
        Names.Contains(name, StringComparer.Ordinal)
            ? name
            : throw new ArgumentException($"Unknown family '{name}'; the families are {string.Join(", ", Names)}.", nameof(name));
}
