using SpecAI.Extensions.Sampling;

namespace SpecAI.Extensions.Testing;

/// <summary>Forces the model to write given texts, one per generation (a test stand-in for a model trained to call tools).</summary>
internal sealed class ScriptedTextConstraint(IReadOnlyList<string> tokenTexts, IReadOnlySet<int> endTokens, params string[] scripts) : ITokenConstraint
{
    private int _script;
    private bool _completed;

    public void Apply(ReadOnlySpan<int> generated, Span<double> logits)
    {
        // A new generation starts (empty answer) once the previous script was written out in full.
        if (generated.IsEmpty && _completed)
        {
            _script++;
            _completed = false;
        }

        string script = scripts[Math.Min(_script, scripts.Length - 1)];
        var text = new System.Text.StringBuilder();
        foreach (int token in generated)
        {
            text.Append(tokenTexts[token]);
        }

        string remaining = script.Length >= text.Length ? script[text.Length..] : string.Empty;
        _completed |= remaining.Length == 0;
        for (int token = 0; token < logits.Length; token++)
        {
            string piece = tokenTexts[token];
            bool allowed = remaining.Length == 0
                ? endTokens.Contains(token)
                : piece.Length > 0 && remaining.StartsWith(piece, StringComparison.Ordinal);
            if (!allowed)
            {
                logits[token] = double.NegativeInfinity;
            }
        }
    }
}
