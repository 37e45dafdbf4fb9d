using System.Runtime.CompilerServices;
using System.Text;
using LLama;
using LLama.Native;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SpecAI.Extensions.Backend;
using SpecAI.Extensions.ChatClient;
using SpecAI.Extensions.ChatClient.Tools;
using SpecAI.Extensions.Drafting;
using SpecAI.Extensions.Engine;
using SpecAI.Extensions.Vocabulary;

namespace SpecAI.Extensions;

/// <summary>
/// An <see cref="IChatClient"/> over a GGUF target model that speculates with a draft model (or prompt
/// lookup): the same answers as the target alone with the lossless verifiers, produced faster.
/// </summary>
/// <remarks>
/// Safe for concurrent use: up to <see cref="SpeculativeChatClientOptions.MaxConcurrentRequests"/> requests are
/// decoded together in shared batches on one dedicated thread that owns the models (more wait in a bounded
/// queue). Dispose the client to free the native models; running answers then end with an exception.
/// </remarks>
public sealed partial class SpeculativeChatClient : IChatClient
{
    private readonly SpeculativeChatClientOptions _options;
    private readonly GenerationScheduler _scheduler;
    private readonly LLamaModelSession _target;
    private readonly LLamaModelSession? _draft;
    private readonly SpeculativeEngine _engine;
    private readonly ChatPromptFormatter _formatter;
    private readonly RequestConstraints _constraints;
    private readonly ChatResponseAssembler _assembler;
    private readonly HashSet<int> _stopTokens;
    private readonly ILogger _logger;
    private readonly Lazy<string[]> _tokenTexts;
    private readonly Judge.JudgeHead? _judge;
    private readonly Lazy<Gguf.GgufTokenEmbeddings> _embeddings;
    private readonly GenerationSettings _defaults;
    private volatile bool _disposed;

    /// <summary>Loads the models and creates the client. Safe on a UI thread: the models load on the client's own thread.</summary>
    /// <param name="options">Model paths and speculation settings; copied.</param>
    /// <param name="loggerFactory">Logging (also receives llama.cpp's native log at Debug/Trace).</param>
    /// <exception cref="ArgumentException">Invalid options.</exception>
    /// <exception cref="FileNotFoundException">A model file is missing.</exception>
    /// <exception cref="IncompatibleDraftModelException">The draft cannot draft for the target under <see cref="SpeculativeChatClientOptions.VocabularyMapping"/>.</exception>
    public SpeculativeChatClient(SpeculativeChatClientOptions options, ILoggerFactory? loggerFactory = null)
        : this(StartAsync(options, loggerFactory, CancellationToken.None).GetAwaiter().GetResult(), loggerFactory)
    {
    }

    private SpeculativeChatClient(Loaded loaded, ILoggerFactory? loggerFactory)
    {
        (_options, _scheduler, _target, _draft) = (loaded.Options, loaded.Scheduler, loaded.Target, loaded.Draft);
        try
        {
            _logger = (ILogger?)loggerFactory?.CreateLogger<SpeculativeChatClient>() ?? NullLogger.Instance;
            _engine = new SpeculativeEngine(_target, _draft is null ? null : new ModelDraftSource(_draft, loaded.Vocabulary));
            _scheduler.Attach(_engine);
            _formatter = new ChatPromptFormatter(_target.Weights, _options.ToolCallFormat, _logger, _target.ModelName);
            _stopTokens = EndOfGenerationTokens(_target.Weights);
            _tokenTexts = new Lazy<string[]>(() => DecodeVocabulary(_target.Weights));
            _constraints = new RequestConstraints(() => TokenTexts, _stopTokens, _formatter.ToolFormat);
            _judge = Judge.JudgeHeadLoader.Load(_options.JudgeHeadPath, _target, _logger);
            _embeddings = new Lazy<Gguf.GgufTokenEmbeddings>(() => Gguf.GgufTokenEmbeddings.Open(_target.Path));
            _assembler = new ChatResponseAssembler(() => new LLamaTokenTextDecoder(_target.Weights), _options.ModelId ?? _target.ModelName);

            // The client's defaults, folded once: its options and what it loaded (LANTERN's embeddings open on first use).
            _defaults = _options.ToGenerationSettings() with { StopTokens = _stopTokens, Judge = _judge, TokenEmbeddings = new LazyTokenEmbeddings(LanternEmbeddings) };
        }
        catch
        {
            _scheduler.Dispose();
            throw;
        }

        string modelId = _options.ModelId ?? _target.ModelName;
        Metadata = new ChatClientMetadata("specai-llamasharp", null, modelId);
        if (_target.IsRecurrent || _draft?.IsRecurrent == true)
        {
            _logger.LogInformation(
                "Recurrent or hybrid models: target {Target} ({TargetArchitecture}) rolls back by {TargetRollback}, draft {Draft} by {DraftRollback}",
                _target.ModelName, _target.Architecture, _target.Rollback, _draft?.ModelName ?? "(none)", _draft?.Rollback);
        }

        VocabularyCompatibility = loaded.Vocabulary?.Compatibility;
        if (VocabularyCompatibility is { } compatibility)
        {
            _logger.LogInformation("Draft vocabulary: {Kind}; {Compatibility}", compatibility.Kind, compatibility);
        }

        _logger.LogInformation(
            "Speculative chat client ready: target {Target}, draft {Draft}, mode {Mode}, template {Template}, up to {Concurrent} concurrent requests",
            _target.ModelName, _draft?.ModelName ?? "(none)", _options.EffectiveMode, _formatter.UsesTemplate ? "GGUF" : "ChatML fallback", _options.MaxConcurrentRequests);
    }

    /// <summary>Provider name, default model id (the target file's name).</summary>
    public ChatClientMetadata Metadata { get; }

    /// <summary>How the draft's vocabulary maps to the target's, decided at load; null without a draft model. Also from <c>GetService(typeof(VocabularyCompatibility))</c>.</summary>
    public VocabularyCompatibility? VocabularyCompatibility { get; }

    /// <summary>Speculation counters accumulated over every request of this client (live).</summary>
    public SpeculationStatistics Statistics { get; } = new();

    /// <summary>The decoded text of every token id (control tokens are empty), for constraints over text.</summary>
    public IReadOnlyList<string> TokenTexts => _tokenTexts.Value;

    /// <summary>The target's session (tests compute exact laws from it).</summary>
    internal LLamaModelSession TargetSession => _target;

    internal LLamaModelSession? DraftSession => _draft;

    internal IReadOnlySet<int> StopTokens => _stopTokens;

    /// <summary>The client's defaults for every request, its options and what it loaded folded into one <see cref="GenerationSettings"/>.</summary>
    internal GenerationSettings DefaultSettings => _defaults;

    /// <summary>The scheduler that runs this client's requests.</summary>
    internal GenerationScheduler Scheduler => _scheduler;

    /// <summary>Loads the models asynchronously and creates the client.</summary>
    /// <param name="options">Model paths and speculation settings; copied.</param>
    /// <param name="loggerFactory">Logging.</param>
    /// <param name="cancellationToken">Cancels loading.</param>
    /// <returns>The client.</returns>
    public static async Task<SpeculativeChatClient> CreateAsync(SpeculativeChatClientOptions options, ILoggerFactory? loggerFactory = null, CancellationToken cancellationToken = default)
        => new(await StartAsync(options, loggerFactory, cancellationToken).ConfigureAwait(false), loggerFactory);

    /// <inheritdoc />
    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        if (IsSuperposed(options))
        {
            return await GetSuperposedResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
        }

        var response = await GetStreamingResponseAsync(messages, options, cancellationToken).ToChatResponseAsync(cancellationToken).ConfigureAwait(false);

        // Update properties land on the message; the lossy label belongs on the response as well.
        if (response.Messages.Any(m => m.AdditionalProperties?.ContainsKey(SpeculativeChatOptionKeys.Lossy) == true))
        {
            (response.AdditionalProperties ??= new())[SpeculativeChatOptionKeys.Lossy] = true;
        }

        return response;
    }

    /// <inheritdoc />
    public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (IsSuperposed(options))
        {
            return StreamSuperposedAsync(messages, options, cancellationToken);
        }

        int[] prompt = TokenizePrompt(messages, options);
        var request = Resolve(prompt, options);
        var tools = ToolCallBuffer.DeclaredNames(options);
        var statistics = new SpeculationStatistics();
        var tokens = _scheduler.GenerateAsync(request, statistics, cancellationToken);
        return StreamAsync(tokens, prompt.Length, request, options?.StopSequences, tools, statistics, cancellationToken);
    }

    /// <inheritdoc />
    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceKey is not null)
        {
            return null;
        }

        if (serviceType.IsInstanceOfType(this))
        {
            return this;
        }

        if (serviceType == typeof(ChatClientMetadata))
        {
            return Metadata;
        }

        if (serviceType == typeof(SpeculativeChatClientOptions))
        {
            return _options.Clone();
        }

        if (serviceType == typeof(SpeculationStatistics))
        {
            return Statistics;
        }

        if (serviceType == typeof(VocabularyCompatibility))
        {
            return VocabularyCompatibility;
        }

        if (serviceType == typeof(LLamaWeights))
        {
            return _target.Weights;
        }

        return null;
    }

    // The target's token embeddings, opened from its GGUF file on the first LANTERN request.
    private Gguf.GgufTokenEmbeddings LanternEmbeddings()
    {
        try
        {
            var embeddings = _embeddings.Value;
            return embeddings.VocabularySize == _target.VocabularySize ? embeddings
                : throw new NotSupportedException($"'{_target.ModelName}' has {embeddings.VocabularySize} embedding rows for {_target.VocabularySize} tokens.");
        }
        catch (Exception ex) when (ex is NotSupportedException or InvalidDataException)
        {
            throw new NotSupportedException($"The LANTERN verifier cannot read the token embeddings of '{_target.ModelName}': {ex.Message}", ex);
        }
    }

    /// <summary>Stops the client: running answers end with <see cref="OperationCanceledException"/> or <see cref="ObjectDisposedException"/>, queued ones with <see cref="ObjectDisposedException"/>; the models are freed. Safe to call from inside a stream.</summary>
    public void Dispose()
    {
        _disposed = true;
        _scheduler.Dispose();
        if (_embeddings is { IsValueCreated: true } embeddings)
        {
            embeddings.Value.Dispose();
        }
    }

    /// <summary>The prompt tokens a request would be decoded from (template applied, BOS added when the model wants it).</summary>
    internal int[] TokenizePrompt(IEnumerable<ChatMessage> messages, ChatOptions? options)
        => IsRawPrompt(options) ? TokenizeRaw(messages) : _formatter.Tokenize(messages, options, _options.AllowControlTokensInContent);

    /// <summary>Generates raw tokens for a request through the same path as the chat methods (tests check laws on tokens).</summary>
    internal async Task<int[]> GenerateTokensAsync(IEnumerable<ChatMessage> messages, ChatOptions? options, CancellationToken cancellationToken = default)
    {
        int[] prompt = TokenizePrompt(messages, options);
        var request = Resolve(prompt, options);
        var statistics = new SpeculationStatistics();
        var tokens = new List<int>();
        try
        {
            await foreach (int token in _scheduler.GenerateAsync(request, statistics, cancellationToken).ConfigureAwait(false))
            {
                tokens.Add(token);
            }

            return tokens.ToArray();
        }
        finally
        {
            Statistics.Add(statistics);
        }
    }

    private async IAsyncEnumerable<ChatResponseUpdate> StreamAsync(IAsyncEnumerable<int> tokens, int promptTokens, ResolvedRequest request, IList<string>? stopSequences, IReadOnlySet<string> tools, SpeculationStatistics statistics, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        bool lossless = request.IsLossless;
        using var activity = SpeculationTelemetry.ActivitySource.StartActivity("specai.generate");
        activity?.SetTag("gen_ai.request.model", Metadata.DefaultModelId);
        activity?.SetTag("specai.mode", request.Mode.ToString());
        var verifier = request.VerifierKind;
        activity?.SetTag("specai.verifier", verifier.ToString());
        activity?.SetTag("specai.lossless", lossless);
        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            await foreach (var update in _assembler.AssembleAsync(tokens, promptTokens, stopSequences, tools, _formatter.ToolFormat, statistics, cancellationToken).ConfigureAwait(false))
            {
                if (update.FinishReason is { } finish)
                {
                    _logger.LogDebug("Generated {Tokens} tokens ({Finish}): {Statistics}", statistics.GeneratedTokens, finish, statistics);
                }

                yield return update;
            }
        }
        finally
        {
            Statistics.Add(statistics);
            var elapsed = System.Diagnostics.Stopwatch.GetElapsedTime(started) - statistics.PrefillTime;
            SpeculationTelemetry.RecordRequest(statistics, request.Mode, verifier, lossless, elapsed);
            activity?.SetTag("gen_ai.usage.output_tokens", statistics.GeneratedTokens);
            activity?.SetTag("specai.target_calls", statistics.TargetCalls);
            activity?.SetTag("specai.acceptance_rate", statistics.AcceptanceRate);
        }
    }

    /// <summary>
    /// A request's settings: the client's defaults with the chat options mapped on top, plus what only the model can
    /// give (the prediction as tokens, the decoder stop sequences are matched through, and for a required tool call or a
    /// JSON response format a grammar mask applied to draft and target alike, see <see cref="RequestConstraints"/>);
    /// then resolved and validated once, by the engine (<see cref="ResolvedRequest.Resolve"/>).
    /// </summary>
    /// <exception cref="ArgumentException">An option is invalid (out-of-range values are reported as invalid chat options).</exception>
    private ResolvedRequest Resolve(int[] prompt, ChatOptions? options)
    {
        var settings = GenerationSettingsMapper.Map(options, _defaults, this);
        if (GenerationSettingsMapper.Prediction(options) is { Length: > 0 } prediction)
        {
            settings = settings with { PredictedTokens = _target.Weights.Tokenize(prediction, false, false, Encoding.UTF8).Select(t => (int)t).ToArray() };
        }

        if (options?.StopSequences is { Count: > 0 } stops)
        {
            // The engine ends the answer at a stop sequence in its commit, reading the text through this decoder.
            settings = settings with { StopSequences = [.. stops], TextDecoder = () => new LLamaTokenTextDecoder(_target.Weights) };
        }

        if (settings.Constraint is null && _constraints.For(options) is { } constraint)
        {
            settings = settings with { Constraint = constraint };
        }

        try
        {
            return _scheduler.Resolve(prompt, settings);
        }
        catch (ArgumentOutOfRangeException ex)
        {
            throw new ArgumentException($"Invalid chat options: {ex.Message}", nameof(options), ex);
        }
    }

    private static async Task<Loaded> StartAsync(SpeculativeChatClientOptions options, ILoggerFactory? loggerFactory, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        options = options.Clone();
        options.Validate();
        var scheduler = new GenerationScheduler(new GenerationSchedulerOptions
        {
            MaxConcurrentRequests = options.MaxConcurrentRequests,
            MaxQueuedRequests = options.MaxQueuedRequests,
        });
        try
        {
            // Every native call, loading included, comes from the scheduler's thread.
            var (target, draft, vocabulary) = await scheduler.InvokeAsync(() => ChatModelLoader.Load(options, loggerFactory, cancellationToken)).ConfigureAwait(false);
            scheduler.Own(target);
            if (draft is not null)
            {
                scheduler.Own(draft);
            }

            return new Loaded(options, scheduler, target, draft, vocabulary);
        }
        catch
        {
            scheduler.Dispose();
            throw;
        }
    }

    private static string[] DecodeVocabulary(LLamaWeights weights)
    {
        var texts = new string[weights.Vocab.Count];
        var decoder = new StreamingTokenDecoder(Encoding.UTF8, weights) { DecodeSpecialTokens = false };
        for (int i = 0; i < texts.Length; i++)
        {
            decoder.Add(i);
            texts[i] = decoder.Read();
            decoder.Reset();
        }

        return texts;
    }

    private static HashSet<int> EndOfGenerationTokens(LLamaWeights weights)
    {
        var vocab = weights.Vocab;
        var tokens = new HashSet<int>();
        for (int i = 0; i < vocab.Count; i++)
        {
            if (((LLamaToken)i).IsEndOfGeneration(vocab))
            {
                tokens.Add(i);
            }
        }

        return tokens;
    }

    private sealed record Loaded(SpeculativeChatClientOptions Options, GenerationScheduler Scheduler, LLamaModelSession Target, LLamaModelSession? Draft, VocabularyBridge? Vocabulary);
}
