using System.Text.Json;

namespace SpecAI.Extensions.Gguf.Forge;

/// <summary>
/// Reads a Hugging Face byte-level BPE tokenizer (<c>tokenizer.json</c> + <c>tokenizer_config.json</c>) into the GGUF form
/// llama.cpp loads: tokens in id order (added tokens at their ids, gaps as unused <c>[PAD&lt;i&gt;]</c>), token types
/// (normal; control for special added tokens; user-defined for the other added tokens), merges as <c>"left right"</c>,
/// the pre-tokenizer name llama.cpp knows for the split regex, and the special ids, add-BOS flag and chat template.
/// </summary>
internal static class HuggingFaceTokenizerReader
{
    /// <summary>Split regexes of the pre-tokenizers llama.cpp implements, by its <c>tokenizer.ggml.pre</c> name.</summary>
    private static readonly Dictionary<string, string> KnownPreTokenizers = new(StringComparer.Ordinal)
    {
        [@"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"] = "qwen2",
        [@"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"] = "llama-bpe",
    };

    /// <summary>End-of-turn texts, in the order llama.cpp's own detection prefers them.</summary>
    private static readonly string[] EndOfTurnTexts = ["<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>"];

    public static ForgeVocabulary Read(string tokenizerPath, IReadOnlyDictionary<string, string>? addedTokenNames)
    {
        string configPath = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(tokenizerPath))!, "tokenizer_config.json");
        foreach (string path in new[] { tokenizerPath, configPath })
        {
            if (!File.Exists(path))
            {
                throw new FileNotFoundException($"Tokenizer file '{path}' not found (tokenizer_config.json must sit beside tokenizer.json).", path);
            }
        }

        using JsonDocument tokenizer = Parse(tokenizerPath);
        using JsonDocument config = Parse(configPath);
        JsonElement root = tokenizer.RootElement;
        JsonElement model = Property(root, "model", tokenizerPath);
        if (Text(model, "type") != "BPE" || !root.TryGetProperty("pre_tokenizer", out JsonElement pre) || !pre.GetRawText().Contains("\"ByteLevel\"", StringComparison.Ordinal))
        {
            throw new InvalidDataException($"'{tokenizerPath}' is not a byte-level BPE tokenizer (model.type BPE with a ByteLevel pre-tokenizer).");
        }

        string preName = PreTokenizerName(pre, tokenizerPath);
        var byId = new SortedDictionary<int, (string Text, LlamaTokenType Type)>();
        foreach (JsonProperty entry in Property(model, "vocab", tokenizerPath).EnumerateObject())
        {
            byId[entry.Value.GetInt32()] = (entry.Name, LlamaTokenType.Normal);
        }

        var renames = addedTokenNames ?? new Dictionary<string, string>();
        if (root.TryGetProperty("added_tokens", out JsonElement added))
        {
            foreach (JsonElement token in added.EnumerateArray())
            {
                string content = Text(token, "content") ?? throw new InvalidDataException($"An added token in '{tokenizerPath}' has no content.");
                if (renames.TryGetValue(content, out string? name))
                {
                    content = name;
                }

                bool special = token.TryGetProperty("special", out JsonElement s) && s.ValueKind == JsonValueKind.True;
                byId[token.GetProperty("id").GetInt32()] = (content, special ? LlamaTokenType.Control : LlamaTokenType.UserDefined);
            }
        }

        int count = byId.Count == 0 ? 0 : byId.Keys.Max() + 1;
        var tokens = new string[count];
        var types = new LlamaTokenType[count];
        for (int i = 0; i < count; i++)
        {
            (tokens[i], types[i]) = byId.TryGetValue(i, out var t) ? t : ($"[PAD{i}]", LlamaTokenType.Unused);
        }

        var ids = new Dictionary<string, int>(count, StringComparer.Ordinal);
        for (int i = 0; i < count; i++)
        {
            if (!ids.TryAdd(tokens[i], i))
            {
                throw new InvalidDataException($"Token '{tokens[i]}' appears twice in '{tokenizerPath}' (ids {ids[tokens[i]]} and {i}).");
            }
        }

        return ForgeVocabulary.ByteLevel(tokens, types, Merges(model, tokenizerPath), preName, SpecialTokens(root, config.RootElement, ids, configPath), ChatTemplate(config.RootElement));
    }

    private static JsonDocument Parse(string path)
    {
        try
        {
            return JsonDocument.Parse(File.ReadAllBytes(path), new JsonDocumentOptions { MaxDepth = 256 });
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"'{path}' is not valid JSON: {ex.Message}", ex);
        }
    }

    private static string PreTokenizerName(JsonElement pre, string path)
    {
        foreach (string regex in Regexes(pre))
        {
            if (KnownPreTokenizers.TryGetValue(regex, out string? name))
            {
                return name;
            }
        }

        throw new InvalidDataException($"The pre-tokenizer split regex of '{path}' is not one this forge maps to a llama.cpp name ({string.Join(", ", KnownPreTokenizers.Values)}).");
    }

    /// <summary>Every <c>"Regex"</c> string anywhere under <paramref name="element"/>.</summary>
    private static IEnumerable<string> Regexes(JsonElement element)
    {
        if (element.ValueKind == JsonValueKind.Object)
        {
            foreach (JsonProperty property in element.EnumerateObject())
            {
                if (property.Name == "Regex" && property.Value.ValueKind == JsonValueKind.String)
                {
                    yield return property.Value.GetString()!;
                }

                foreach (string inner in Regexes(property.Value))
                {
                    yield return inner;
                }
            }
        }
        else if (element.ValueKind == JsonValueKind.Array)
        {
            foreach (string inner in element.EnumerateArray().SelectMany(Regexes))
            {
                yield return inner;
            }
        }
    }

    /// <summary>Merges as <c>"left right"</c>: Llama 3 stores them so, Qwen as <c>["left", "right"]</c> pairs.</summary>
    private static string[] Merges(JsonElement model, string path)
    {
        var merges = new List<string>();
        foreach (JsonElement merge in Property(model, "merges", path).EnumerateArray())
        {
            merges.Add(merge.ValueKind switch
            {
                JsonValueKind.String => merge.GetString()!,
                JsonValueKind.Array when merge.GetArrayLength() == 2 => merge[0].GetString() + " " + merge[1].GetString(),
                _ => throw new InvalidDataException($"A merge in '{path}' is neither \"left right\" nor a pair: {merge.GetRawText()}"),
            });
        }

        return merges.ToArray();
    }

    private static ForgeSpecialTokens SpecialTokens(JsonElement tokenizer, JsonElement config, Dictionary<string, int> ids, string configPath)
    {
        int? Id(string? text) => text is not null && ids.TryGetValue(text, out int id) ? id : null;
        string? bosText = TokenText(config, "bos_token");
        string eosText = TokenText(config, "eos_token") ?? throw new InvalidDataException($"'{configPath}' names no eos_token.");
        int eos = Id(eosText) ?? throw new InvalidDataException($"The eos_token '{eosText}' of '{configPath}' is not a token.");
        int? padding = Id(TokenText(config, "pad_token"));

        // No BOS (Qwen): llama.cpp still needs an id; GGUF converters take config.json's, <|endoftext|>, which is the pad token.
        int bos = Id(bosText) ?? padding ?? eos;
        bool addBos = config.TryGetProperty("add_bos_token", out JsonElement flag) && flag.ValueKind is JsonValueKind.True or JsonValueKind.False
            ? flag.GetBoolean()
            : bosText is not null && PostProcessorAdds(tokenizer, bosText);
        bool addEos = config.TryGetProperty("add_eos_token", out flag) && flag.ValueKind == JsonValueKind.True;
        return new ForgeSpecialTokens
        {
            BeginOfSequence = bos,
            EndOfSequence = eos,
            EndOfTurn = EndOfTurnTexts.Select(Id).FirstOrDefault(id => id is not null),
            EndOfMessage = Id("<|eom_id|>"),
            Padding = padding,
            AddBeginOfSequence = addBos,
            AddEndOfSequence = addEos,
        };
    }

    /// <summary>Whether the post-processor's single-sequence template starts with <paramref name="text"/> (Llama 3 adds BOS there).</summary>
    private static bool PostProcessorAdds(JsonElement tokenizer, string text)
    {
        if (!tokenizer.TryGetProperty("post_processor", out JsonElement post) || post.ValueKind != JsonValueKind.Object)
        {
            return false;
        }

        IEnumerable<JsonElement> processors = post.TryGetProperty("processors", out JsonElement list) ? list.EnumerateArray() : [post];
        foreach (JsonElement processor in processors)
        {
            if (Text(processor, "type") == "TemplateProcessing" && processor.TryGetProperty("single", out JsonElement single)
                && single.GetArrayLength() > 0 && single[0].TryGetProperty("SpecialToken", out JsonElement first))
            {
                return Text(first, "id") == text;
            }
        }

        return false;
    }

    private static string? ChatTemplate(JsonElement config)
    {
        if (!config.TryGetProperty("chat_template", out JsonElement template))
        {
            return null;
        }

        if (template.ValueKind == JsonValueKind.String)
        {
            return template.GetString();
        }

        // A list of named templates: the "default" one, else the first.
        return template.ValueKind == JsonValueKind.Array
            ? template.EnumerateArray().OrderBy(t => Text(t, "name") == "default" ? 0 : 1).Select(t => Text(t, "template")).FirstOrDefault()
            : null;
    }

    /// <summary>A special token given as a string or as an AddedToken object with <c>content</c>.</summary>
    private static string? TokenText(JsonElement config, string name) =>
        !config.TryGetProperty(name, out JsonElement value) ? null
        : value.ValueKind == JsonValueKind.String ? value.GetString()
        : value.ValueKind == JsonValueKind.Object ? Text(value, "content")
        : null;

    private static string? Text(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out JsonElement value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static JsonElement Property(JsonElement element, string name, string path) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out JsonElement value)
            ? value
            : throw new InvalidDataException($"'{path}' has no '{name}'.");
}
