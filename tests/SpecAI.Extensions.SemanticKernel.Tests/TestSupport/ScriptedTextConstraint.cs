using SpecAI.Extensions.Sampling;

namespace SpecAI.Extensions.SemanticKernel.Tests.TestSupport;

/// <summary>Forces the model to write given texts, one per generation (stands in for a model trained to call tools).</summary>
internal sealed class ScriptedTextConstraint(IReadOnlyList<string> tokenTexts, int endToken, params string[] scripts) : ITokenConstraint
{
    private int _script;
    private bool _completed;

    public void Apply(ReadOnlySpan<int> generated, Span<double> logits)
    {
        if (generated.IsEmpty && _completed)
        {
            _script++;
            _completed = false;
        }

        var text = new System.Text.StringBuilder();
        foreach (int token in generated)
        {
            text.Append(tokenTexts[token]);
        }

        string script = scripts[Math.Min(_script, scripts.Length - 1)];
        string remaining = script.Length >= text.Length ? script[text.Length..] : string.Empty;
        _completed |= remaining.Length == 0;
        for (int token = 0; token < logits.Length; token++)
        {
            string piece = tokenTexts[token];
            bool allowed = remaining.Length == 0 ? token == endToken : piece.Length > 0 && remaining.StartsWith(piece, StringComparison.Ordinal);
            if (!allowed)
            {
                logits[token] = double.NegativeInfinity;
            }
        }
    }
}
