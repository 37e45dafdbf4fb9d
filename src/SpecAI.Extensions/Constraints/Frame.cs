using System.Numerics;

namespace SpecAI.Extensions.Constraints;

/// <summary>
/// One open object or array (immutable; the stack is a linked list shared between states). Keys already used are a
/// bit set over the schema's declared keys (<see cref="SchemaNode.Keys"/>) plus a list of undeclared ones.
/// </summary>
internal sealed class Frame(Frame? parent, bool isObject, SchemaNode schema, ulong[]? seen = null, int seenDeclared = 0, KeyList? seenOther = null)
{
    public Frame? Parent { get; } = parent;

    public bool IsObject { get; } = isObject;

    public SchemaNode Schema { get; } = schema;

    public int Depth { get; } = parent is null ? 1 : parent.Depth + 1;

    /// <summary>Undeclared keys used so far.</summary>
    public KeyList? SeenOther { get; } = seenOther;

    public bool IsSeen(int key) => seen is not null && (seen[key >> 6] & (1UL << (key & 63))) != 0;

    /// <summary>Whether some declared key with an index in [<paramref name="low"/>, <paramref name="high"/>) is still unused.</summary>
    public bool AnyUnseen(int low, int high)
    {
        int span = high - low;
        if (span <= 0)
        {
            return false;
        }

        // Fewer keys used than the range holds: one is free (the common case, no counting).
        if (seenDeclared < span || seen is null)
        {
            return true;
        }

        int used = 0;
        for (int i = low; i < high;)
        {
            int word = i >> 6;
            int end = Math.Min(high, (word + 1) << 6);
            ulong mask = (end - i == 64 ? ulong.MaxValue : ((1UL << (end - i)) - 1)) << (i & 63);
            used += BitOperations.PopCount(seen[word] & mask);
            i = end;
        }

        return used < span;
    }

    public Frame WithKey(int key)
    {
        var bits = seen is null ? new ulong[(Schema.Keys.Count + 63) >> 6] : (ulong[])seen.Clone();
        bits[key >> 6] |= 1UL << (key & 63);
        return new Frame(Parent, IsObject, Schema, bits, seenDeclared + 1, SeenOther);
    }

    public Frame WithOtherKey(string key) => new(Parent, IsObject, Schema, seen, seenDeclared, new KeyList(key, SeenOther));

    public bool RequiredSatisfied()
    {
        foreach (int key in Schema.RequiredKeys)
        {
            if (!IsSeen(key))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Whether another member may follow (a closed object with every key used may not).</summary>
    public bool MoreKeysPossible() => Schema.AdditionalAllowed || seenDeclared < Schema.Keys.Count;
}
