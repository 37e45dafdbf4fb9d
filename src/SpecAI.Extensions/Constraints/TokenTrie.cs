namespace SpecAI.Extensions.Constraints;

/// <summary>A character trie of token texts, flattened into arrays; node 0 is the root.</summary>
internal sealed class TokenTrie
{
    private readonly char[][] _childChars;
    private readonly int[][] _children;
    private readonly int[][] _tokens;

    public TokenTrie(IReadOnlyList<string> texts, Func<int, bool> include)
    {
        var chars = new List<List<char>> { new() };
        var children = new List<List<int>> { new() };
        var tokens = new List<List<int>> { new() };
        var lookup = new Dictionary<(int Node, char C), int>();
        for (int id = 0; id < texts.Count; id++)
        {
            string? text = texts[id];
            if (string.IsNullOrEmpty(text) || !include(id))
            {
                continue;
            }

            int node = 0;
            foreach (char c in text)
            {
                if (!lookup.TryGetValue((node, c), out int child))
                {
                    child = chars.Count;
                    chars.Add(new());
                    children.Add(new());
                    tokens.Add(new());
                    chars[node].Add(c);
                    children[node].Add(child);
                    lookup[(node, c)] = child;
                }

                node = child;
            }

            tokens[node].Add(id);
        }

        _childChars = chars.Select(l => l.ToArray()).ToArray();
        _children = children.Select(l => l.ToArray()).ToArray();
        _tokens = tokens.Select(l => l.ToArray()).ToArray();
    }

    public int NodeCount => _children.Length;

    public ReadOnlySpan<char> ChildChars(int node) => _childChars[node];

    public ReadOnlySpan<int> Children(int node) => _children[node];

    public ReadOnlySpan<int> TokensAt(int node) => _tokens[node];
}
