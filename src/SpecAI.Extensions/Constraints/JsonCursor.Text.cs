namespace SpecAI.Extensions.Constraints;

/// <summary>Fixed text: the literals true/false/null, the optional prefix and suffix, and what may follow the document.</summary>
internal partial struct JsonCursor
{
    private bool BeginLiteral(string literal)
    {
        _literal = literal;
        _aux = 1;
        _mode = JsonMode.Literal;
        return true;
    }

    /// <summary>One character of fixed text; null when the suffix starts at <paramref name="c"/> (read it again).</summary>
    private bool? StepText(char c, JsonTokenConstraintOptions options)
    {
        switch (_mode)
        {
            case JsonMode.Prefix:
                if (c != options.Prefix[_aux])
                {
                    return false;
                }

                if (++_aux == options.Prefix.Length)
                {
                    _mode = JsonMode.ExpectValue;
                    _aux = 0;
                }

                return true;

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
                if (IsWhitespace(c))
                {
                    return ++_aux <= options.MaxTrailingWhitespace;
                }

                if (options.Suffix.Length == 0 || c != options.Suffix[0])
                {
                    return false;
                }

                _mode = JsonMode.Suffix;
                _aux = 0;
                return null;

            case JsonMode.Suffix:
                if (c != options.Suffix[_aux])
                {
                    return false;
                }

                if (++_aux == options.Suffix.Length)
                {
                    _mode = JsonMode.SuffixDone;
                    _aux = 0;
                }

                return true;

            case JsonMode.SuffixDone:
                return IsWhitespace(c) && ++_aux <= options.MaxTrailingWhitespace;

            default:
                return false;
        }
    }
}
