namespace SpecAI.Extensions.Constraints;

/// <summary>
/// Text of an undeclared key, shared between automaton states: a state holds the buffer and its own length, appending
/// where no longer text was written reuses the buffer, and only a state that diverges copies its prefix. So a key costs
/// amortised O(1) per character instead of a string copy per character.
/// </summary>
internal sealed class TextBuffer
{
    private char[] _chars;
    private int _count;

    private TextBuffer(ReadOnlySpan<char> prefix)
    {
        _chars = new char[Math.Max(16, prefix.Length * 2)];
        prefix.CopyTo(_chars);
        _count = prefix.Length;
    }

    /// <summary>Appends <paramref name="c"/> to the text of length <paramref name="length"/> held in <paramref name="buffer"/>.</summary>
    public static void Append(ref TextBuffer? buffer, ref int length, char c)
    {
        if (buffer is null)
        {
            buffer = new TextBuffer(ReadOnlySpan<char>.Empty);
            length = 0;
        }

        if (buffer._count == length)
        {
            if (length == buffer._chars.Length)
            {
                Array.Resize(ref buffer._chars, length * 2);
            }

            buffer._chars[length] = c;
            buffer._count++;
        }
        else if (buffer._chars[length] != c)
        {
            var copy = new TextBuffer(buffer._chars.AsSpan(0, length));
            copy._chars[length] = c;
            copy._count++;
            buffer = copy;
        }

        length++;
    }

    /// <summary>A buffer holding <paramref name="text"/>.</summary>
    public static TextBuffer From(string text) => new(text);

    public string ToString(int length) => new(_chars, 0, length);
}
