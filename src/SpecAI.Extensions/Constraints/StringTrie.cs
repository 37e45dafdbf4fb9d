namespace SpecAI.Extensions.Constraints;

/// <summary>
/// A compiled character trie of a schema's strings (enum values, an object's declared keys), so the automaton follows
/// one child per character instead of scanning every string. Strings are numbered in ordinal order, which makes the
/// strings below any node a contiguous index range [<see cref="Low"/>, <see cref="High"/>).
/// </summary>
internal sealed class StringTrie
{
    public static readonly StringTrie Empty = new([]);

    private readonly int[] _edgeStart;
    private readonly char[] _edgeChars;
    private readonly int[] _edgeTargets;
    private readonly int[] _terminal;
    private readonly int[] _low;
    private readonly int[] _high;
    private readonly int[] _depth;

    /// <summary>Builds the trie of the distinct strings of <paramref name="strings"/>.</summary>
    public StringTrie(IEnumerable<string> strings)
    {
        Strings = strings.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        var children = new List<List<(char C, int Node)>> { new() };
        var terminal = new List<int> { -1 };
        var low = new List<int> { 0 };
        var high = new List<int> { Strings.Length };
        var depth = new List<int> { 0 };
        for (int i = 0; i < Strings.Length; i++)
        {
            int node = 0;
            foreach (char c in Strings[i])
            {
                var edges = children[node];

                // Sorted input: a shared prefix always continues through the node's last child.
                if (edges.Count > 0 && edges[^1].C == c)
                {
                    node = edges[^1].Node;
                    high[node] = i + 1;
                    continue;
                }

                int child = children.Count;
                children.Add(new());
                terminal.Add(-1);
                low.Add(i);
                high.Add(i + 1);
                depth.Add(depth[node] + 1);
                edges.Add((c, child));
                node = child;
            }

            terminal[node] = i;
        }

        _edgeStart = new int[children.Count + 1];
        for (int n = 0; n < children.Count; n++)
        {
            _edgeStart[n + 1] = _edgeStart[n] + children[n].Count;
        }

        _edgeChars = children.SelectMany(e => e.Select(x => x.C)).ToArray();
        _edgeTargets = children.SelectMany(e => e.Select(x => x.Node)).ToArray();
        _terminal = terminal.ToArray();
        _low = low.ToArray();
        _high = high.ToArray();
        _depth = depth.ToArray();
    }

    /// <summary>The strings in ordinal order; a string's index is its position here.</summary>
    public string[] Strings { get; }

    public int Count => Strings.Length;

    /// <summary>The child of <paramref name="node"/> along <paramref name="c"/>, or -1.</summary>
    public int Child(int node, char c)
    {
        int at = Array.BinarySearch(_edgeChars, _edgeStart[node], _edgeStart[node + 1] - _edgeStart[node], c);
        return at >= 0 ? _edgeTargets[at] : -1;
    }

    /// <summary>The children of <paramref name="node"/> whose character lies in [<paramref name="from"/>, <paramref name="to"/>].</summary>
    public IEnumerable<int> ChildrenBetween(int node, int from, int to)
    {
        for (int e = _edgeStart[node]; e < _edgeStart[node + 1]; e++)
        {
            if (_edgeChars[e] > to)
            {
                yield break;
            }

            if (_edgeChars[e] >= from)
            {
                yield return _edgeTargets[e];
            }
        }
    }

    /// <summary>The index of the string that ends at <paramref name="node"/>, or -1.</summary>
    public int Terminal(int node) => _terminal[node];

    /// <summary>First string index below <paramref name="node"/>.</summary>
    public int Low(int node) => _low[node];

    /// <summary>One past the last string index below <paramref name="node"/>.</summary>
    public int High(int node) => _high[node];

    /// <summary>The text that leads to <paramref name="node"/>.</summary>
    public string Prefix(int node) => Strings[_low[node]][.._depth[node]];

    /// <summary>The index of <paramref name="text"/>, or -1.</summary>
    public int IndexOf(string text)
    {
        int node = 0;
        foreach (char c in text)
        {
            node = Child(node, c);
            if (node < 0)
            {
                return -1;
            }
        }

        return _terminal[node];
    }
}
