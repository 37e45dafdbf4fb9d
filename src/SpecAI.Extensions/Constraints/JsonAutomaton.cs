namespace SpecAI.Extensions.Constraints;

/// <summary>Lexical/structural position of the automaton.</summary>
internal enum JsonMode : byte
{
    ExpectValue,
    ArrayFirst,
    ObjectFirst,
    ObjectKey,
    InString,
    Escape,
    Hex,
    AfterKey,
    AfterValue,
    NumMinus,
    NumZero,
    NumInt,
    NumDot,
    NumFrac,
    NumExp,
    NumExpSign,
    NumExpDigits,
    Literal,
    Done,
    Ended,
}

/// <summary>Keys already used in one object (immutable linked list).</summary>
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

/// <summary>One open object or array (immutable; the stack is a linked list shared between states).</summary>
internal sealed class Frame(Frame? parent, bool isObject, SchemaNode schema, KeyList? seen, int seenCount)
{
    public Frame? Parent { get; } = parent;

    public bool IsObject { get; } = isObject;

    public SchemaNode Schema { get; } = schema;

    public KeyList? Seen { get; } = seen;

    public int SeenCount { get; } = seenCount;

    public int Depth { get; } = parent is null ? 1 : parent.Depth + 1;

    public bool RequiredSatisfied()
    {
        foreach (string key in Schema.Required)
        {
            if (!KeyList.Contains(Seen, key))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Whether another member may follow (a closed object with every key used may not).</summary>
    public bool MoreKeysPossible() => Schema.AdditionalAllowed || SeenCount < Schema.AllowedKeys.Length;
}

/// <summary>
/// The state of an incremental JSON pushdown automaton over characters. A small value type: copying it is a
/// snapshot, so checking a candidate continuation never disturbs the original.
/// </summary>
internal struct JsonCursor
{
    private const string True = "true";
    private const string False = "false";
    private const string Null = "null";

    private Frame? _stack;
    private SchemaNode _value;
    private string? _literal;
    private string? _buffer;
    private int _aux;
    private int _hex;
    private int _whitespaceRun;
    private JsonMode _mode;
    private bool _key;
    private bool _topLevelObjectOnly;

    public static JsonCursor Start(SchemaNode root, bool topLevelObjectOnly) => new()
    {
        _value = root,
        _mode = JsonMode.ExpectValue,
        _topLevelObjectOnly = topLevelObjectOnly && root.Types == JsonTypes.Any,
    };

    public readonly JsonMode Mode => _mode;

    /// <summary>Whether the text so far is a complete document (end-of-generation may follow).</summary>
    public readonly bool IsComplete => _mode == JsonMode.Done
        || (_stack is null && _mode is JsonMode.NumZero or JsonMode.NumInt or JsonMode.NumFrac or JsonMode.NumExpDigits);

    /// <summary>Inside a string whose content is not checked: ordinary characters leave the state unchanged.</summary>
    public readonly bool IsPlainString => _mode == JsonMode.InString && _buffer is null;

    public void End() => _mode = JsonMode.Ended;

    /// <summary>Feeds one character; returns false (state then unspecified) when the text stops being a valid prefix.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public bool Step(char c, JsonTokenConstraintOptions options)
    {
        // Whitespace between tokens is bounded, as in llama.cpp's JSON grammar: otherwise a model can
        // emit newlines forever and never finish the document.
        if (_mode is not (JsonMode.InString or JsonMode.Escape or JsonMode.Hex or JsonMode.Done))
        {
            if (IsWhitespace(c))
            {
                if (++_whitespaceRun > options.MaxWhitespaceRun)
                {
                    return false;
                }
            }
            else
            {
                _whitespaceRun = 0;
            }
        }

        return StepCore(c, options);
    }

    private bool StepCore(char c, JsonTokenConstraintOptions options)
    {
        while (true)
        {
            switch (_mode)
            {
                case JsonMode.ExpectValue:
                    return IsWhitespace(c) || BeginValue(c, options);

                case JsonMode.ArrayFirst:
                    if (IsWhitespace(c))
                    {
                        return true;
                    }

                    if (c == ']')
                    {
                        return Pop();
                    }

                    return BeginValue(c, options);

                case JsonMode.ObjectFirst:
                    if (IsWhitespace(c))
                    {
                        return true;
                    }

                    if (c == '}')
                    {
                        return _stack!.RequiredSatisfied() && Pop();
                    }

                    return c == '"' && BeginKey();

                case JsonMode.ObjectKey:
                    return IsWhitespace(c) || (c == '"' && BeginKey());

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
                    {
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
                    }

                case JsonMode.Hex:
                    {
                        int digit = HexValue(c);
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

                case JsonMode.AfterKey:
                    if (IsWhitespace(c))
                    {
                        return true;
                    }

                    if (c != ':')
                    {
                        return false;
                    }

                    _mode = JsonMode.ExpectValue;
                    return true;

                case JsonMode.AfterValue:
                    if (IsWhitespace(c))
                    {
                        return true;
                    }

                    if (_stack!.IsObject)
                    {
                        if (c == ',')
                        {
                            if (!_stack.MoreKeysPossible())
                            {
                                return false;
                            }

                            _mode = JsonMode.ObjectKey;
                            return true;
                        }

                        return c == '}' && _stack.RequiredSatisfied() && Pop();
                    }

                    if (c == ',')
                    {
                        _value = _stack.Schema.Items;
                        _mode = JsonMode.ExpectValue;
                        return true;
                    }

                    return c == ']' && Pop();

                case JsonMode.NumMinus:
                    if (c == '0')
                    {
                        _mode = JsonMode.NumZero;
                        return true;
                    }

                    if (c is >= '1' and <= '9')
                    {
                        _mode = JsonMode.NumInt;
                        return true;
                    }

                    return false;

                case JsonMode.NumZero:
                case JsonMode.NumInt:
                    if (c is >= '0' and <= '9' && _mode == JsonMode.NumInt)
                    {
                        return true;
                    }

                    if (c == '.' && !_value.IntegerOnly)
                    {
                        _mode = JsonMode.NumDot;
                        return true;
                    }

                    if (c is 'e' or 'E' && !_value.IntegerOnly)
                    {
                        _mode = JsonMode.NumExp;
                        return true;
                    }

                    if (!EndScalar())
                    {
                        return false;
                    }

                    continue;

                case JsonMode.NumDot:
                    if (c is >= '0' and <= '9')
                    {
                        _mode = JsonMode.NumFrac;
                        return true;
                    }

                    return false;

                case JsonMode.NumFrac:
                    if (c is >= '0' and <= '9')
                    {
                        return true;
                    }

                    if (c is 'e' or 'E')
                    {
                        _mode = JsonMode.NumExp;
                        return true;
                    }

                    if (!EndScalar())
                    {
                        return false;
                    }

                    continue;

                case JsonMode.NumExp:
                    if (c is '+' or '-')
                    {
                        _mode = JsonMode.NumExpSign;
                        return true;
                    }

                    if (c is >= '0' and <= '9')
                    {
                        _mode = JsonMode.NumExpDigits;
                        return true;
                    }

                    return false;

                case JsonMode.NumExpSign:
                    if (c is >= '0' and <= '9')
                    {
                        _mode = JsonMode.NumExpDigits;
                        return true;
                    }

                    return false;

                case JsonMode.NumExpDigits:
                    if (c is >= '0' and <= '9')
                    {
                        return true;
                    }

                    if (!EndScalar())
                    {
                        return false;
                    }

                    continue;

                case JsonMode.Literal:
                    if (c != _literal![_aux])
                    {
                        return false;
                    }

                    if (++_aux == _literal.Length)
                    {
                        CompleteValue();
                    }

                    return true;

                case JsonMode.Done:
                    return IsWhitespace(c) && ++_aux <= options.MaxTrailingWhitespace;

                default:
                    return false;
            }
        }
    }

    private static bool IsWhitespace(char c) => c is ' ' or '\t' or '\n' or '\r';

    private static int HexValue(char c) => c switch
    {
        >= '0' and <= '9' => c - '0',
        >= 'a' and <= 'f' => c - 'a' + 10,
        >= 'A' and <= 'F' => c - 'A' + 10,
        _ => -1,
    };

    private bool BeginValue(char c, JsonTokenConstraintOptions options)
    {
        JsonTypes types = _value.Types;
        if (_stack is null && _topLevelObjectOnly)
        {
            types &= JsonTypes.Object;
        }

        switch (c)
        {
            case '{':
                if ((types & JsonTypes.Object) == 0 || (_stack?.Depth ?? 0) >= options.MaxDepth)
                {
                    return false;
                }

                _stack = new Frame(_stack, isObject: true, _value, null, 0);
                _mode = JsonMode.ObjectFirst;
                return true;

            case '[':
                if ((types & JsonTypes.Array) == 0 || (_stack?.Depth ?? 0) >= options.MaxDepth)
                {
                    return false;
                }

                _stack = new Frame(_stack, isObject: false, _value, null, 0);
                _value = _value.Items;
                _mode = JsonMode.ArrayFirst;
                return true;

            case '"':
                if ((types & JsonTypes.String) == 0)
                {
                    return false;
                }

                _key = false;
                _buffer = _value.Enum is null ? null : string.Empty;
                _mode = JsonMode.InString;
                return true;

            case '-':
                if ((types & (JsonTypes.Number | JsonTypes.Integer)) == 0)
                {
                    return false;
                }

                _mode = JsonMode.NumMinus;
                return true;

            case >= '0' and <= '9':
                if ((types & (JsonTypes.Number | JsonTypes.Integer)) == 0)
                {
                    return false;
                }

                _mode = c == '0' ? JsonMode.NumZero : JsonMode.NumInt;
                return true;

            case 't':
            case 'f':
                if ((types & JsonTypes.Boolean) == 0)
                {
                    return false;
                }

                _literal = c == 't' ? True : False;
                _aux = 1;
                _mode = JsonMode.Literal;
                return true;

            case 'n':
                if ((types & JsonTypes.Null) == 0)
                {
                    return false;
                }

                _literal = Null;
                _aux = 1;
                _mode = JsonMode.Literal;
                return true;

            default:
                return false;
        }
    }

    private bool BeginKey()
    {
        var frame = _stack!;
        if (!frame.MoreKeysPossible())
        {
            return false;
        }

        _key = true;
        _buffer = frame.Schema.TracksKeys ? string.Empty : null;
        _mode = JsonMode.InString;
        return true;
    }

    private bool Append(char c)
    {
        if (_buffer is null)
        {
            return true;
        }

        string next = string.Concat(_buffer, new ReadOnlySpan<char>(in c));
        if (_key)
        {
            var frame = _stack!;
            if (!frame.Schema.AdditionalAllowed && !AnyStartsWith(frame.Schema.AllowedKeys, next, frame.Seen))
            {
                return false;
            }
        }
        else if (!AnyStartsWith(_value.Enum!, next, null))
        {
            return false;
        }

        _buffer = next;
        return true;
    }

    /// <summary>
    /// For a checked string (closed key set or enum): whether some candidate continues the decoded text with a
    /// character in [<paramref name="low"/>, <paramref name="high"/>], so an escape in progress cannot dead-end.
    /// </summary>
    private readonly bool CanExtend(int low, int high)
    {
        if (_buffer is null)
        {
            return true;
        }

        string[] candidates;
        KeyList? exclude = null;
        if (_key)
        {
            if (_stack!.Schema.AdditionalAllowed)
            {
                return true;
            }

            candidates = _stack.Schema.AllowedKeys;
            exclude = _stack.Seen;
        }
        else
        {
            candidates = _value.Enum!;
        }

        foreach (string candidate in candidates)
        {
            if (candidate.Length > _buffer.Length && candidate.StartsWith(_buffer, StringComparison.Ordinal)
                && candidate[_buffer.Length] >= low && candidate[_buffer.Length] <= high && !KeyList.Contains(exclude, candidate))
            {
                return true;
            }
        }

        return false;
    }

    private static bool AnyStartsWith(string[] candidates, string prefix, KeyList? exclude)
    {
        foreach (string candidate in candidates)
        {
            if (candidate.StartsWith(prefix, StringComparison.Ordinal) && !KeyList.Contains(exclude, candidate))
            {
                return true;
            }
        }

        return false;
    }

    private bool EndString()
    {
        if (_key)
        {
            var frame = _stack!;
            if (_buffer is not null)
            {
                if (KeyList.Contains(frame.Seen, _buffer))
                {
                    return false;
                }

                if (!frame.Schema.AdditionalAllowed && Array.IndexOf(frame.Schema.AllowedKeys, _buffer) < 0)
                {
                    return false;
                }

                _stack = new Frame(frame.Parent, isObject: true, frame.Schema, new KeyList(_buffer, frame.Seen), frame.SeenCount + 1);
                _value = frame.Schema.ValueSchema(_buffer);
            }
            else
            {
                _value = frame.Schema.Additional;
            }

            _buffer = null;
            _mode = JsonMode.AfterKey;
            return true;
        }

        if (_buffer is not null && Array.IndexOf(_value.Enum!, _buffer) < 0)
        {
            return false;
        }

        _buffer = null;
        CompleteValue();
        return true;
    }

    /// <summary>A number ends at a character that is not part of it; that character is then read again.</summary>
    private bool EndScalar()
    {
        CompleteValue();
        return true;
    }

    private void CompleteValue()
    {
        if (_stack is null)
        {
            _mode = JsonMode.Done;
            _aux = 0;
        }
        else
        {
            _mode = JsonMode.AfterValue;
        }
    }

    private bool Pop()
    {
        _stack = _stack!.Parent;
        CompleteValue();
        return true;
    }
}
