using SpecAI.Extensions.Sampling;

namespace SpecAI.Extensions.LLamaSharp.Tests.Families;

/// <summary>
/// Forces exact token ids, one script per generation, then only <paramref name="endTokens"/>: a stand-in for a model
/// trained to emit its real special tokens (e.g. the single token <c>&lt;tool_call&gt;</c> rather than its letters).
/// </summary>
internal sealed class ScriptedTokenConstraint(IReadOnlySet<int> endTokens, params int[][] scripts) : ITokenConstraint
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

        int[] script = scripts[Math.Min(_script, scripts.Length - 1)];
        int n = Math.Min(generated.Length, script.Length);
        bool onScript = generated[..n].SequenceEqual(script.AsSpan(0, n));
        foreach (int token in generated[n..])
        {
            onScript &= endTokens.Contains(token); // a draft may run on past the end token
        }

        _completed |= generated.Length >= script.Length && onScript;
        for (int token = 0; token < logits.Length; token++)
        {
            bool allowed = onScript && (generated.Length < script.Length ? token == script[generated.Length] : endTokens.Contains(token));
            if (!allowed)
            {
                logits[token] = double.NegativeInfinity;
            }
        }
    }
}
