namespace SpecAI.Extensions.Constraints;

/// <summary>
/// The state of an incremental JSON pushdown automaton over characters. A small value type: copying it is a
/// snapshot, so checking a candidate continuation never disturbs the original.
/// </summary>
/// <remarks>
/// Split by concern: structure and values here, strings (keys, enums, escapes) in JsonCursor.Strings.cs, numbers in
/// JsonCursor.Numbers.cs, fixed text (literals, the optional prefix and suffix, the end) in JsonCursor.Text.cs.
/// </remarks>
internal partial struct JsonCursor
{
    private Frame? _stack;
    private SchemaNode _value;
    private string? _literal;
    private TextBuffer? _text;
    private int _textLength;
    private int _string;
    private int _aux;
    private int _hex;
    private int _whitespaceRun;
    private JsonMode _mode;
    private bool _key;
    private bool _topLevelObjectOnly;

    public static JsonCursor Start(SchemaNode root, JsonTokenConstraintOptions options) => new()
    {
        _value = root,
        _mode = options.Prefix.Length > 0 ? JsonMode.Prefix : JsonMode.ExpectValue,
        _string = Unchecked,
        _topLevelObjectOnly = options.RequireTopLevelObject && root.Types == JsonTypes.Any,
    };

    public readonly JsonMode Mode => _mode;

    /// <summary>Whether the text so far is a complete document (end-of-generation may follow).</summary>
    /// <param name="options">The options the cursor runs under (a required suffix must be complete too).</param>
    public readonly bool IsComplete(JsonTokenConstraintOptions options) => options.Suffix.Length > 0
        ? _mode == JsonMode.SuffixDone
        : _mode == JsonMode.Done || (_stack is null && _mode is JsonMode.NumZero or JsonMode.NumInt or JsonMode.NumFrac or JsonMode.NumExpDigits);

    public void End() => _mode = JsonMode.Ended;

    /// <summary>Feeds one character; returns false (state then unspecified) when the text stops being a valid prefix.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public bool Step(char c, JsonTokenConstraintOptions options)
    {
        // Whitespace between tokens is bounded, as in llama.cpp's JSON grammar: otherwise a model can
        // emit newlines forever and never finish the document.
        if (_mode is not (JsonMode.InString or JsonMode.Escape or JsonMode.Hex or JsonMode.Done or JsonMode.Prefix or JsonMode.Suffix or JsonMode.SuffixDone))
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

        while (true)
        {
            bool? result = _mode switch
            {
                JsonMode.InString or JsonMode.Escape or JsonMode.Hex => StepString(c),
                >= JsonMode.NumMinus and <= JsonMode.NumExpDigits => StepNumber(c),
                JsonMode.Prefix or JsonMode.Literal or JsonMode.Done or JsonMode.Suffix or JsonMode.SuffixDone or JsonMode.Ended => StepText(c, options),
                _ => StepStructure(c, options),
            };

            // null: the value ended just before c (a number), so c is read again in the new mode.
            if (result is { } accepted)
            {
                return accepted;
            }
        }
    }

    private static bool IsWhitespace(char c) => c is ' ' or '\t' or '\n' or '\r';

    private bool StepStructure(char c, JsonTokenConstraintOptions options)
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

                return c == ']' ? Pop() : BeginValue(c, options);

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

            default:
                return false;
        }
    }

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

                _stack = new Frame(_stack, isObject: true, _value);
                _mode = JsonMode.ObjectFirst;
                return true;

            case '[':
                if ((types & JsonTypes.Array) == 0 || (_stack?.Depth ?? 0) >= options.MaxDepth)
                {
                    return false;
                }

                _stack = new Frame(_stack, isObject: false, _value);
                _value = _value.Items;
                _mode = JsonMode.ArrayFirst;
                return true;

            case '"':
                return (types & JsonTypes.String) != 0 && BeginString();

            case '-':
            case >= '0' and <= '9':
                return (types & (JsonTypes.Number | JsonTypes.Integer)) != 0 && BeginNumber(c);

            case 't':
            case 'f':
                return (types & JsonTypes.Boolean) != 0 && BeginLiteral(c == 't' ? "true" : "false");

            case 'n':
                return (types & JsonTypes.Null) != 0 && BeginLiteral("null");

            default:
                return false;
        }
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
