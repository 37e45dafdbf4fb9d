namespace SpecAI.Extensions.Constraints;

/// <summary>Numbers (RFC 8259 grammar; integers only where the schema says "integer").</summary>
internal partial struct JsonCursor
{
    private bool BeginNumber(char c)
    {
        _mode = c switch
        {
            '-' => JsonMode.NumMinus,
            '0' => JsonMode.NumZero,
            _ => JsonMode.NumInt,
        };
        return true;
    }

    /// <summary>One character of a number; null when the number ended before <paramref name="c"/> (read it again).</summary>
    private bool? StepNumber(char c)
    {
        bool digit = c is >= '0' and <= '9';
        switch (_mode)
        {
            case JsonMode.NumMinus:
                return Next(digit, c == '0' ? JsonMode.NumZero : JsonMode.NumInt);

            case JsonMode.NumZero:
            case JsonMode.NumInt:
                if (digit && _mode == JsonMode.NumInt)
                {
                    return true;
                }

                if (c == '.' && !_value.IntegerOnly)
                {
                    return Next(true, JsonMode.NumDot);
                }

                if (c is 'e' or 'E' && !_value.IntegerOnly)
                {
                    return Next(true, JsonMode.NumExp);
                }

                return EndNumber();

            case JsonMode.NumDot:
                return Next(digit, JsonMode.NumFrac);

            case JsonMode.NumFrac:
                if (digit)
                {
                    return true;
                }

                return c is 'e' or 'E' ? Next(true, JsonMode.NumExp) : EndNumber();

            case JsonMode.NumExp:
                return c is '+' or '-' ? Next(true, JsonMode.NumExpSign) : Next(digit, JsonMode.NumExpDigits);

            case JsonMode.NumExpSign:
                return Next(digit, JsonMode.NumExpDigits);

            default:
                return digit ? true : EndNumber();
        }
    }

    private bool Next(bool accepted, JsonMode mode)
    {
        if (accepted)
        {
            _mode = mode;
        }

        return accepted;
    }

    /// <summary>A number ends at a character that is not part of it; a complete number makes that character be read again.</summary>
    private bool? EndNumber()
    {
        if (_mode is JsonMode.NumMinus or JsonMode.NumDot or JsonMode.NumExp or JsonMode.NumExpSign)
        {
            return false;
        }

        CompleteValue();
        return null;
    }
}
