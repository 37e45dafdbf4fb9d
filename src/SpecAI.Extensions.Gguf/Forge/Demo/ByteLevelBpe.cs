using System.Text;
using System.Text.RegularExpressions;

namespace SpecAI.Extensions.Gguf.Forge.Demo;

/// <summary>
/// A byte-level BPE tokenizer learned from text (Sennrich, Haddow &amp; Birch 2016, arXiv:1508.07909; byte-level as in
/// GPT-2, Radford et al. 2019): pieces are spelled with GPT-2's byte-to-unicode map, words are split by GPT-2's
/// pre-tokenizer pattern (llama.cpp's <c>gpt-2</c> pre-tokenizer), merges are learned greedily by pair count.
/// </summary>
internal sealed partial class ByteLevelBpe
{
    private readonly Dictionary<(string, string), int> _ranks;
    private readonly Dictionary<string, int> _ids;

    private ByteLevelBpe(List<string> pieces, List<(string Left, string Right)> merges)
    {
        Pieces = pieces;
        Merges = merges;
        _ranks = merges.Select((m, i) => (m, i)).ToDictionary(x => x.m, x => x.i);
        _ids = pieces.Select((p, i) => (p, i)).ToDictionary(x => x.p, x => x.i, StringComparer.Ordinal);
    }

    /// <summary>Pieces by id: the 256 byte pieces first, then one per merge.</summary>
    public IReadOnlyList<string> Pieces { get; }

    /// <summary>Merges in rank order.</summary>
    public IReadOnlyList<(string Left, string Right)> Merges { get; }

    /// <summary>GPT-2's byte-to-unicode spelling: printable Latin-1 bytes stand for themselves, the others for U+0100 onwards.</summary>
    public static string ByteToUnicode(byte b) => ByteMap.Value[b];

    /// <summary>Learns up to <paramref name="mergeCount"/> merges from <paramref name="texts"/>; ties break by the pair's text, so the result is deterministic.</summary>
    public static ByteLevelBpe Train(IEnumerable<string> texts, int mergeCount)
    {
        var wordCounts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (string text in texts)
        {
            foreach (string word in PreTokenize(text))
            {
                wordCounts[word] = wordCounts.GetValueOrDefault(word) + 1;
            }
        }

        var words = wordCounts.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => (Symbols: kv.Key.Select(c => c.ToString()).ToList(), Count: kv.Value)).ToList();
        var pieces = Enumerable.Range(0, 256).Select(b => ByteToUnicode((byte)b)).ToList();
        var merges = new List<(string, string)>();
        while (merges.Count < mergeCount)
        {
            var pairs = new Dictionary<(string, string), int>();
            foreach (var (symbols, count) in words)
            {
                for (int i = 0; i + 1 < symbols.Count; i++)
                {
                    pairs[(symbols[i], symbols[i + 1])] = pairs.GetValueOrDefault((symbols[i], symbols[i + 1])) + count;
                }
            }

            if (pairs.Count == 0)
            {
                break;
            }

            var best = pairs.OrderByDescending(kv => kv.Value)
                .ThenBy(kv => kv.Key.Item1 + " " + kv.Key.Item2, StringComparer.Ordinal).First().Key;
            merges.Add(best);
            pieces.Add(best.Item1 + best.Item2);
            foreach (var (symbols, _) in words)
            {
                Apply(symbols, best);
            }
        }

        return new ByteLevelBpe(pieces, merges);
    }

    /// <summary>Token ids of <paramref name="text"/>: each pre-tokenized word is merged lowest rank first, leftmost on ties.</summary>
    public List<int> Encode(string text)
    {
        var ids = new List<int>();
        foreach (string word in PreTokenize(text))
        {
            var symbols = word.Select(c => c.ToString()).ToList();
            while (true)
            {
                int bestRank = int.MaxValue, at = -1;
                for (int i = 0; i + 1 < symbols.Count; i++)
                {
                    if (_ranks.TryGetValue((symbols[i], symbols[i + 1]), out int rank) && rank < bestRank)
                    {
                        (bestRank, at) = (rank, i);
                    }
                }

                if (at < 0)
                {
                    break;
                }

                symbols[at] += symbols[at + 1];
                symbols.RemoveAt(at + 1);
            }

            ids.AddRange(symbols.Select(s => _ids[s]));
        }

        return ids;
    }

    /// <summary>GPT-2's pre-tokenizer: words (with their leading space), numbers, punctuation runs, spaces; each spelled byte by byte.</summary>
    public static IEnumerable<string> PreTokenize(string text) =>
        Gpt2Pattern().Matches(text).Select(m => string.Concat(Encoding.UTF8.GetBytes(m.Value).Select(ByteToUnicode)));

    private static void Apply(List<string> symbols, (string Left, string Right) merge)
    {
        for (int i = 0; i + 1 < symbols.Count; i++)
        {
            if (symbols[i] == merge.Left && symbols[i + 1] == merge.Right)
            {
                symbols[i] += symbols[i + 1];
                symbols.RemoveAt(i + 1);
            }
        }
    }

    private static readonly Lazy<string[]> ByteMap = new(() =>
    {
        var map = new string[256];
        int next = 256;
        for (int b = 0; b < 256; b++)
        {
            bool printable = b is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;
            map[b] = ((char)(printable ? b : next++)).ToString();
        }

        return map;
    });

    [GeneratedRegex(@"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+")]
    private static partial Regex Gpt2Pattern();
}
