using System.Numerics.Tensors;
using System.Text;
using LLama;
using LLama.Common;
using LLama.Native;
using Microsoft.Extensions.AI;
using SpecAI.Extensions.Backend;
using SpecAI.Extensions.ChatClient;
using SpecAI.Extensions.Sampling;

namespace SpecAI.Extensions.Judge;

/// <summary>
/// The target model loaded for judge data: prompts formatted as <see cref="SpeculativeChatClient"/> formats them,
/// responses teacher-forced with the target's hidden state at every position (the features a judge head reads),
/// greedy continuations for equivalence checks, and log-likelihoods for quality measurements.
/// </summary>
public sealed class JudgeTeacher : ITargetContinuation, IDisposable
{
    private readonly LLamaModelSession _session;
    private readonly TeacherForcedSession _forced;
    private readonly ChatPromptFormatter _formatter;
    private readonly HashSet<int> _endOfGeneration;

    private JudgeTeacher(LLamaModelSession session)
    {
        _session = session;
        _forced = new TeacherForcedSession(session);
        _formatter = new ChatPromptFormatter(session.Weights, ToolCallFormat.Auto);
        var vocab = session.Weights.Vocab;
        _endOfGeneration = Enumerable.Range(0, vocab.Count).Where(i => ((LLamaToken)i).IsEndOfGeneration(vocab)).ToHashSet();
        Fingerprint = LLamaJudgeFingerprint.Of(session.Weights, session.Path);
    }

    /// <summary>The target's fingerprint (stored in heads trained on this data).</summary>
    public JudgeTargetFingerprint Fingerprint { get; }

    /// <summary>Most tokens (prompt and response) one sequence may hold.</summary>
    public int ContextSize => _session.ContextSize;

    /// <summary>The target session (hidden states on).</summary>
    internal LLamaModelSession Session => _session;

    /// <summary>Loads the target with hidden-state output.</summary>
    /// <param name="targetModelPath">Target GGUF.</param>
    /// <param name="contextSize">Context size in tokens.</param>
    /// <param name="threads">CPU threads; 0 = llama.cpp's default.</param>
    /// <param name="cancellationToken">Cancels the load.</param>
    /// <returns>The teacher.</returns>
    public static async Task<JudgeTeacher> LoadAsync(string targetModelPath, int contextSize = 2048, int threads = 0, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(targetModelPath);
        ArgumentOutOfRangeException.ThrowIfLessThan(contextSize, 16);
        var parameters = new ModelParams(targetModelPath)
        {
            ContextSize = (uint)contextSize,
            BatchSize = (uint)Math.Min(contextSize, 512),
            UBatchSize = (uint)Math.Min(contextSize, 512),
            SeqMax = 1,
            Embeddings = true,
            PoolingType = LLamaPoolingType.None,
        };
        if (threads > 0)
        {
            parameters.Threads = threads;
            parameters.BatchThreads = threads;
        }

        return new JudgeTeacher(await LLamaModelSession.LoadAsync(targetModelPath, parameters, cancellationToken: cancellationToken).ConfigureAwait(false));
    }

    /// <summary>The prompt tokens of a one-message conversation, exactly as <see cref="SpeculativeChatClient"/> tokenizes them.</summary>
    /// <param name="userMessage">The user message.</param>
    /// <returns>The tokens (template applied, BOS added when the model wants it).</returns>
    public int[] PromptTokens(string userMessage)
    {
        ArgumentNullException.ThrowIfNull(userMessage);
        return _formatter.Tokenize([new ChatMessage(ChatRole.User, userMessage)], null, controlTokensInContent: false);
    }

    /// <summary>
    /// Tokenizes a response (no BOS, special-token text kept literal) and finds each token's characters in it. A leading
    /// space the tokenizer adds (SentencePiece's space prefix) belongs to no character.
    /// </summary>
    /// <param name="response">The response text.</param>
    /// <returns>The tokens and their spans, or null when the tokens do not decode back to the text.</returns>
    public (int[] Tokens, JudgeSpan[] Spans)? TokenizeResponse(string response)
    {
        ArgumentNullException.ThrowIfNull(response);
        var weights = _session.Weights;
        int[] tokens = weights.Tokenize(response, false, special: false, Encoding.UTF8).Select(t => (int)t).ToArray();
        var decoder = new StreamingTokenDecoder(Encoding.UTF8, weights) { DecodeSpecialTokens = false };
        var ends = new int[tokens.Length];
        var text = new StringBuilder();
        for (int i = 0; i < tokens.Length; i++)
        {
            decoder.Add(tokens[i]);
            text.Append(decoder.Read());
            ends[i] = text.Length;
        }

        string decoded = text.ToString();
        if (!decoded.EndsWith(response, StringComparison.Ordinal))
        {
            return null;
        }

        int offset = decoded.Length - response.Length;
        var spans = new JudgeSpan[tokens.Length];
        for (int i = 0, start = 0; i < tokens.Length; start = ends[i], i++)
        {
            spans[i] = new JudgeSpan(Math.Max(0, start - offset), Math.Max(0, ends[i] - offset));
        }

        return (tokens, spans);
    }

    /// <summary>
    /// Labelled token examples of one row: the response teacher-forced after its prompt, the target's hidden state at
    /// each response token, labelled acceptable unless the token overlaps a bad span.
    /// </summary>
    /// <param name="row">The row.</param>
    /// <param name="group">The group of its examples (keeps the row on one side of a held-out split).</param>
    /// <returns>The examples, or null when the response does not round-trip through the tokenizer or the row does not fit the context.</returns>
    public List<JudgeTokenExample>? Examples(JudgeLabelledResponse row, int group)
    {
        ArgumentNullException.ThrowIfNull(row);
        int[] prompt = PromptTokens(row.Prompt);
        if (TokenizeResponse(row.Response) is not var (tokens, spans) || tokens.Length == 0 || prompt.Length + tokens.Length > ContextSize)
        {
            return null;
        }

        var labels = row.LabelTokens(spans);
        var examples = new List<JudgeTokenExample>(tokens.Length);
        Forward([.. prompt, .. tokens], prompt.Length, (position, _, hidden) => examples.Add(new JudgeTokenExample(hidden.ToArray(), labels[position - prompt.Length], group)));
        return examples;
    }

    /// <summary>
    /// The target's log-likelihood of each output token after a prompt (raw logits, temperature 1), and the expected
    /// log-likelihood of the target's own sample at the same position under <paramref name="sampling"/> (what its own
    /// output would score there).
    /// </summary>
    /// <param name="prompt">Prompt tokens.</param>
    /// <param name="output">Generated tokens.</param>
    /// <param name="sampling">The sampling settings the output was generated with.</param>
    /// <returns>Per output token: (log p(token), E over the target's own sample of log p).</returns>
    public (double LogLikelihood, double OwnExpected)[] LogLikelihoods(IReadOnlyList<int> prompt, IReadOnlyList<int> output, SamplingOptions sampling)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(sampling);
        if (prompt.Count == 0)
        {
            throw new ArgumentException("The prompt must hold at least one token.", nameof(prompt));
        }

        int[] all = [.. prompt, .. output];
        var result = new (double, double)[output.Count];
        var processor = new LogitProcessor(sampling);
        var own = new double[_session.VocabularySize];
        var logProbabilities = new double[_session.VocabularySize];
        Forward(all[..^1], prompt.Count - 1, (position, logits, _) =>
        {
            int index = position - (prompt.Count - 1);
            for (int v = 0; v < logits.Length; v++)
            {
                logProbabilities[v] = logits[v];
            }

            double max = TensorPrimitives.Max<double>(logProbabilities);
            double sum = 0;
            for (int v = 0; v < logProbabilities.Length; v++)
            {
                sum += Math.Exp(logProbabilities[v] - max);
            }

            TensorPrimitives.Subtract(logProbabilities, max + Math.Log(sum), logProbabilities);
            processor.Process(logits, all.AsSpan(0, position + 1), index, own);
            double expected = 0;
            for (int v = 0; v < own.Length; v++)
            {
                if (own[v] > 0)
                {
                    expected += own[v] * logProbabilities[v];
                }
            }

            result[index] = (logProbabilities[all[position + 1]], expected);
        });
        return result;
    }

    /// <inheritdoc />
    public IReadOnlyList<int> Continue(IReadOnlyList<int> context, int maxTokens)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Count == 0)
        {
            throw new ArgumentException("The context must hold at least one token.", nameof(context));
        }

        var tokens = new List<int>(context);
        var result = new List<int>();
        int next = -1;
        while (result.Count < maxTokens && tokens.Count < ContextSize)
        {
            Forward(tokens, tokens.Count - 1, (_, logits, _) => next = TensorPrimitives.IndexOfMax(logits));
            result.Add(next);
            tokens.Add(next);
            if (_endOfGeneration.Contains(next))
            {
                break;
            }
        }

        return result;
    }

    /// <inheritdoc />
    public string Detokenize(IReadOnlyList<int> tokens)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        var decoder = new StreamingTokenDecoder(Encoding.UTF8, _session.Weights) { DecodeSpecialTokens = false };
        foreach (int token in tokens)
        {
            decoder.Add(token);
        }

        return decoder.Read();
    }

    /// <summary>Whether a token ends generation.</summary>
    /// <param name="token">The token.</param>
    /// <returns>True for end-of-generation tokens.</returns>
    public bool IsEndOfGeneration(int token) => _endOfGeneration.Contains(token);

    /// <inheritdoc />
    public void Dispose() => _session.Dispose();

    internal void Forward(IReadOnlyList<int> tokens, int outputsFrom, TokenOutputVisitor visit) => _forced.Forward(tokens, outputsFrom, visit);
}
