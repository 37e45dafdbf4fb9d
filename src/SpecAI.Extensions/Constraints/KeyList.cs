namespace SpecAI.Extensions.Constraints;

/// <summary>Undeclared keys already used in one object (immutable linked list; declared keys are a bit set in <see cref="Frame"/>).</summary>
internal sealed class KeyList(string key, KeyList? next)
{
    public string Key { get; } = key;

    public KeyList? Next { get; } = next;

    public static bool Contains(KeyList? list, string key)
    {
        for (; list is not null; list = list.Next)
        {
            if (string.Equals(list.Key, key, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }
}
