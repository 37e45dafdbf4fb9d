using System.Text;

namespace SpecAI.Extensions.LLamaSharp.Tests.TestSupport;

/// <summary>
/// stories260K-based model pairs whose vocabularies differ in known ways, written once per test run with our GGUF
/// writer into a temporary folder (deleted when the process exits). Drafts take stories260K-q4_0's weights.
/// </summary>
internal static class VocabularyFixtures
{
    /// <summary>Multi-character SentencePiece pieces of stories260K (ids 259..409; 410.. are single characters).</summary>
    private const int FirstPiece = 259, FirstCharacter = 410;

    private static readonly Lazy<string> Folder = new(() =>
    {
        string folder = Path.Combine(Path.GetTempPath(), $"specai-vocabulary-{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(folder);
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                Directory.Delete(folder, recursive: true);
            }
            catch (IOException)
            {
                // A native handle may still be open; the OS temp cleaner takes the rest.
            }
        };
        return folder;
    });

    private static readonly Lazy<string> Padded = new(() => Make("padded-target", TestModels.Stories, edit =>
    {
        // As a converter pads to the config's vocabulary size: [PAD<i>], type unused, zero rows.
        for (int i = edit.Tokens.Count; i < 576; i++)
        {
            edit.Add($"[PAD{i}]", 5, -1);
        }
    }));

    private static readonly Lazy<string> Big = new(() => Make("big-draft", TestModels.StoriesQ4, edit =>
    {
        for (int i = edit.Tokens.Count; i < 712; i++)
        {
            edit.Add($"[PAD{i}]", 5, -1);
        }
    }));

    private static readonly Lazy<string> Shuffled = new(() => Make("shuffled-draft", TestModels.StoriesQ4, edit =>
    {
        var order = Enumerable.Range(0, edit.Tokens.Count).ToArray();
        new Random(7).Shuffle(order);
        edit.Reorder(order);
    }));

    private static readonly Lazy<string> FewerMerges = new(() => Make("fewer-merges-draft", TestModels.StoriesQ4, edit =>
    {
        // Every third multi-character piece is gone: its text becomes finer tokens.
        for (int id = FirstPiece; id < FirstCharacter; id += 3)
        {
            edit.Tokens[id] = $"[UNUSED{id}]";
            edit.Types[id] = 5;
        }
    }));

    private static readonly Lazy<string> ByteLevel = new(() => Make("byte-level-draft", TestModels.StoriesQ4, ToByteLevel));

    /// <summary>stories260K padded to 576 tokens (Qwen2.5-7B-style): with the 512-token drafts, a near-identical pair.</summary>
    public static string PaddedTarget => Padded.Value;

    /// <summary>The Q4 draft padded to 712 tokens: more than llama.cpp's 128 apart, the same ids.</summary>
    public static string BigDraft => Big.Value;

    /// <summary>The Q4 draft with every id shuffled (rows and BOS/EOS follow their tokens).</summary>
    public static string ShuffledDraft => Shuffled.Value;

    /// <summary>The Q4 draft whose SentencePiece vocabulary lacks every third merged piece.</summary>
    public static string FewerMergesDraft => FewerMerges.Value;

    /// <summary>
    /// The Q4 draft with a byte-level BPE tokenizer ('Ġ' for the space, merges rebuilt from the pieces), every
    /// tenth piece dropped and "…s" forms of every tenth other piece added: another tokenizer, a partly different
    /// vocabulary.
    /// </summary>
    public static string ByteLevelDraft => ByteLevel.Value;

    private static string Make(string name, string source, Action<VocabularyEdit> change)
    {
        var edit = new VocabularyEdit(source);
        change(edit);
        string path = Path.Combine(Folder.Value, name + ".gguf");
        edit.Write(path);
        return path;
    }

    private static void ToByteLevel(VocabularyEdit edit)
    {
        var unicode = ByteToUnicode();
        string Convert(string piece) => string.Concat(Encoding.UTF8.GetBytes(piece.Replace('▁', ' ')).Select(b => unicode[b]));

        // Texts: pieces in byte-level form; a byte token becomes its byte's character unless a piece spells it.
        int count = edit.Tokens.Count;
        var texts = new string?[count];
        for (int id = 0; id < count; id++)
        {
            texts[id] = edit.Types[id] switch
            {
                1 => Convert(edit.Tokens[id]),
                6 => unicode[System.Convert.ToByte(edit.Tokens[id][3..5], 16)].ToString(),
                _ => null,
            };
        }

        var pieces = new HashSet<string>(Enumerable.Range(0, count).Where(id => edit.Types[id] == 1).Select(id => texts[id]!));
        for (int id = 0; id < count; id++)
        {
            bool duplicate = edit.Types[id] == 6 && pieces.Contains(texts[id]!);
            bool dropped = id >= FirstPiece && id < FirstCharacter && (id - FirstPiece) % 10 == 5;
            if (duplicate || dropped)
            {
                (edit.Tokens[id], edit.Types[id]) = ($"[UNUSED{id}]", 5);
            }
            else if (texts[id] is { } text)
            {
                (edit.Tokens[id], edit.Types[id]) = (text, 1);
            }
        }

        // New tokens the target lacks: "…s" forms, with the rows of the piece they extend.
        for (int id = FirstPiece; id < FirstCharacter; id += 10)
        {
            string plural = edit.Tokens[id] + "s";
            if (edit.Types[id] == 1 && !edit.Tokens.Contains(plural) && edit.Tokens[id].TrimStart('Ġ').All(char.IsAsciiLetter))
            {
                edit.Add(plural, 1, id);
            }
        }

        // Merges in the order SentencePiece made the pieces (a base character is always there).
        var ids = new Dictionary<string, int>();
        for (int id = 0; id < edit.Tokens.Count; id++)
        {
            if (edit.Types[id] == 1)
            {
                ids.TryAdd(edit.Tokens[id], id);
            }
        }

        bool Formed(string part, int before) => ids.TryGetValue(part, out int id) && (part.Length == 1 || id < before);
        edit.Merges = new List<string>();
        for (int id = 0; id < edit.Tokens.Count; id++)
        {
            string text = edit.Tokens[id];
            if (edit.Types[id] != 1 || text.Length < 2)
            {
                continue;
            }

            for (int split = text.Length - 1; split >= 1; split--)
            {
                if (Formed(text[..split], id) && Formed(text[split..], id))
                {
                    edit.Merges.Add($"{text[..split]} {text[split..]}");
                    break;
                }
            }
        }

        edit.Model = "gpt2";
        edit.PreTokenizer = "gpt-2";
        for (int id = 0; id < edit.Scores.Count; id++)
        {
            edit.Scores[id] = 0;
        }
    }

    /// <summary>GPT-2's byte-to-character table: printable bytes stand for themselves, the others for characters from U+0100 on ('Ġ' is the space).</summary>
    private static char[] ByteToUnicode()
    {
        var table = new char[256];
        int next = 0;
        for (int b = 0; b < 256; b++)
        {
            bool printable = b is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;
            table[b] = printable ? (char)b : (char)(256 + next++);
        }

        return table;
    }
}
