namespace SpecAI.Extensions.Constraints;

/// <summary>
/// Strings: plain ones are not tracked; enum values and declared keys follow a <see cref="StringTrie"/> node
/// (<see cref="_string"/>); an undeclared key in an object that tracks its keys keeps its text in a shared
/// <see cref="TextBuffer"/> (no copy per character).
/// </summary>
internal partial struct JsonCursor
{
    /// <summary><see cref="_string"/> when the string's content is not checked.</summary>
    private const int Unchecked = -1;

    /// <summary><see cref="_string"/> when a key has left its object's declared keys (an undeclared key).</summary>
    private const int Undeclared = -2;

    /// <summary>Inside a string whose content is not checked: ordinary characters leave the state unchanged.</summary>
    public readonly bool IsPlainString => _mode == JsonMode.InString && _string == Unchecked;

    /// <summary>The trie the current string follows: the object's declared keys, or the value's enum.</summary>
    private readonly StringTrie Trie => _key ? _stack!.Schema.Keys : _value.Enum!;

    private bool BeginString()
    {
        _key = false;
        _string = _value.Enum is null ? Unchecked : 0;
        _mode = JsonMode.InString;
        return true;
    }

    private bool BeginKey()
    {
        var frame = _stack!;
        if (!frame.MoreKeysPossible())
        {
            return false;
        }

        _key = true;
        _string = !frame.Schema.TracksKeys ? Unchecked : frame.Schema.Keys.Count > 0 ? 0 : Undeclared;
        _text = null;
        _textLength = 0;
        _mode = JsonMode.InString;
        return true;
    }

    private bool StepString(char c)
    {
        switch (_mode)
        {
            case JsonMode.InString:
                if (c == '"')
                {
                    return EndString();
                }

                if (c == '\\')
                {
                    _mode = JsonMode.Escape;
                    return CanExtend(0, char.MaxValue);
                }

                return c >= 0x20 && Append(c);

            case JsonMode.Escape:
                char decoded;
                switch (c)
                {
                    case '"': decoded = '"'; break;
                    case '\\': decoded = '\\'; break;
                    case '/': decoded = '/'; break;
                    case 'b': decoded = '\b'; break;
                    case 'f': decoded = '\f'; break;
                    case 'n': decoded = '\n'; break;
                    case 'r': decoded = '\r'; break;
                    case 't': decoded = '\t'; break;
                    case 'u':
                        _mode = JsonMode.Hex;
                        _aux = 0;
                        _hex = 0;
                        return CanExtend(0, char.MaxValue);
                    default:
                        return false;
                }

                _mode = JsonMode.InString;
                return Append(decoded);

            default:
                int digit = c switch
                {
                    >= '0' and <= '9' => c - '0',
                    >= 'a' and <= 'f' => c - 'a' + 10,
                    >= 'A' and <= 'F' => c - 'A' + 10,
                    _ => -1,
                };
                if (digit < 0)
                {
                    return false;
                }

                _hex = (_hex << 4) | digit;
                if (++_aux < 4)
                {
                    int shift = 4 * (4 - _aux);
                    return CanExtend(_hex << shift, ((_hex + 1) << shift) - 1);
                }

                _mode = JsonMode.InString;
                return Append((char)_hex);
        }
    }

    /// <summary>Adds one decoded character to the string; false when no permitted enum value or key continues with it.</summary>
    private bool Append(char c)
    {
        if (_string == Unchecked)
        {
            return true;
        }

        if (_string == Undeclared)
        {
            TextBuffer.Append(ref _text, ref _textLength, c);
            return true;
        }

        var trie = Trie;
        int child = trie.Child(_string, c);
        if (!_key)
        {
            _string = child;
            return child >= 0;
        }

        var frame = _stack!;
        if (!frame.Schema.AdditionalAllowed)
        {
            // A closed key set: some unused key must still start with the text.
            if (child < 0 || !frame.AnyUnseen(trie.Low(child), trie.High(child)))
            {
                return false;
            }

            _string = child;
            return true;
        }

        if (child >= 0)
        {
            _string = child;
            return true;
        }

        // An open object: the key leaves the declared ones and its text is kept from here on.
        _text = TextBuffer.From(trie.Prefix(_string));
        _textLength = trie.Prefix(_string).Length;
        _string = Undeclared;
        TextBuffer.Append(ref _text, ref _textLength, c);
        return true;
    }

    /// <summary>
    /// For a checked string (closed key set or enum): whether some candidate continues the decoded text with a
    /// character in [<paramref name="low"/>, <paramref name="high"/>], so an escape in progress cannot dead-end.
    /// </summary>
    private readonly bool CanExtend(int low, int high)
    {
        if (_string < 0 || (_key && _stack!.Schema.AdditionalAllowed))
        {
            return true;
        }

        var trie = Trie;
        foreach (int child in trie.ChildrenBetween(_string, low, high))
        {
            if (!_key || _stack!.AnyUnseen(trie.Low(child), trie.High(child)))
            {
                return true;
            }
        }

        return false;
    }

    private bool EndString()
    {
        if (!_key)
        {
            if (_string >= 0 && _value.Enum!.Terminal(_string) < 0)
            {
                return false;
            }

            _string = Unchecked;
            CompleteValue();
            return true;
        }

        var frame = _stack!;
        if (_string == Unchecked)
        {
            _value = frame.Schema.Additional;
        }
        else if (_string >= 0 && frame.Schema.Keys.Terminal(_string) is var index and >= 0)
        {
            if (frame.IsSeen(index))
            {
                return false;
            }

            _stack = frame.WithKey(index);
            _value = frame.Schema.KeyValues[index];
        }
        else
        {
            // Not a declared key: only an open object takes it, and only once.
            string key = _string >= 0 ? frame.Schema.Keys.Prefix(_string) : _text?.ToString(_textLength) ?? string.Empty;
            if (!frame.Schema.AdditionalAllowed || KeyList.Contains(frame.SeenOther, key))
            {
                return false;
            }

            _stack = frame.WithOtherKey(key);
            _value = frame.Schema.Additional;
        }

        _string = Unchecked;
        _text = null;
        _mode = JsonMode.AfterKey;
        return true;
    }
}
