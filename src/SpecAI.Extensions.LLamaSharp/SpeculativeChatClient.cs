using System.Runtime.CompilerServices;
using System.Text;
using LLama;
using LLama.Common;
using LLama.Native;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SpecAI.Extensions.Backend;
using SpecAI.Extensions.ChatClient;
using SpecAI.Extensions.ChatClient.Tools;
using SpecAI.Extensions.Drafting;
using SpecAI.Extensions.Engine;

namespace SpecAI.Extensions;

/// <summary>
/// An <see cref="IChatClient"/> over a GGUF target model that speculates with a draft model (or prompt
/// lookup): the same answers as the target alone with the lossless verifiers, produced faster.
/// </summary>
/// <remarks>
/// One generation runs at a time per client (the models' KV caches are not shared between requests);
/// concurrent callers wait their turn. Dispose the client to free the native models.
/// </remarks>
public sealed class SpeculativeChatClient : IChatClient
{
    private readonly SpeculativeChatClientOptions _options;
    private readonly LLamaModelSession _target;
    private readonly LLamaModelSession? _draft;
    private readonly SpeculativeEngine _engine;
    private readonly ChatPromptFormatter _formatter;
    private readonly RequestConstraints _constraints;
    private readonly HashSet<int> _stopTokens;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly ILogger _logger;
    private readonly Lazy<string[]> _tokenTexts;
    private readonly Judge.JudgeHead? _judge;
    private bool _disposed;

    /// <summary>Loads the models and creates the client.</summary>
    /// <param name="options">Model paths and speculation settings; copied.</param>
    /// <param name="loggerFactory">Logging (also receives llama.cpp's native log at Debug/Trace).</param>
    /// <exception cref="ArgumentException">Invalid options.</exception>
    /// <exception cref="FileNotFoundException">A model file is missing.</exception>
    /// <exception cref="IncompatibleDraftModelException">The draft's vocabulary differs from the target's.</exception>
    public SpeculativeChatClient(SpeculativeChatClientOptions options, ILoggerFactory? loggerFactory = null)
        : this(LoadAsync(options, loggerFactory, CancellationToken.None).GetAwaiter().GetResult(), loggerFactory)
    {
    }

    private SpeculativeChatClient((SpeculativeChatClientOptions Options, LLamaModelSession Target, LLamaModelSession? Draft) loaded, ILoggerFactory? loggerFactory)
    {
        (_options, _target, _draft) = loaded;
        _logger = (ILogger?)loggerFactory?.CreateLogger<SpeculativeChatClient>() ?? NullLogger.Instance;
        _engine = new SpeculativeEngine(_target, _draft is null ? null : new ModelDraftSource(_draft));
        _formatter = new ChatPromptFormatter(_target.Weights, _options.ToolCallFormat);
        _stopTokens = EndOfGenerationTokens(_target.Weights);
        _tokenTexts = new Lazy<string[]>(() => DecodeVocabulary(_target.Weights));
        _constraints = new RequestConstraints(() => TokenTexts, _stopTokens, _formatter.ToolFormat);
        try
        {
            _judge = LoadJudge(_options, _target);
        }
        catch
        {
            _target.Dispose();
            _draft?.Dispose();
            throw;
        }
        string modelId = _options.ModelId ?? _target.ModelName;
        Metadata = new ChatClientMetadata("specai-llamasharp", null, modelId);
        _logger.LogInformation(
            "Speculative chat client ready: target {Target}, draft {Draft}, mode {Mode}, template {Template}",
            _target.ModelName, _draft?.ModelName ?? "(none)", _options.EffectiveMode, _formatter.HasTemplate ? "GGUF" : "ChatML fallback");
    }

    /// <summary>Provider name, default model id (the target file's name).</summary>
    public ChatClientMetadata Metadata { get; }

    /// <summary>Speculation counters accumulated over every request of this client (live).</summary>
    public SpeculationStatistics Statistics { get; } = new();

    /// <summary>Loads the models asynchronously and creates the client.</summary>
    /// <param name="options">Model paths and speculation settings; copied.</param>
    /// <param name="loggerFactory">Logging.</param>
    /// <param name="cancellationToken">Cancels loading.</param>
    /// <returns>The client.</returns>
    public static async Task<SpeculativeChatClient> CreateAsync(SpeculativeChatClientOptions options, ILoggerFactory? loggerFactory = null, CancellationToken cancellationToken = default)
        => new(await LoadAsync(options, loggerFactory, cancellationToken).ConfigureAwait(false), loggerFactory);

    /// <inheritdoc />
    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        => await GetStreamingResponseAsync(messages, options, cancellationToken).ToChatResponseAsync(cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        ObjectDisposedException.ThrowIf(_disposed, this);
        var settings = CompleteSettings(GenerationSettingsMapper.Map(options, _options, _stopTokens), options);
        int[] prompt = TokenizePrompt(messages, options);
        var tools = ToolCallBuffer.DeclaredNames(options);
        return StreamAsync(prompt, settings, options?.StopSequences, tools, cancellationToken);
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

        if (serviceType == typeof(LLamaWeights))
        {
            return _target.Weights;
        }

        return null;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _gate.Wait();
        try
        {
            _target.Dispose();
            _draft?.Dispose();
        }
        finally
        {
            _gate.Release();
            _gate.Dispose();
        }
    }

    /// <summary>The prompt tokens a request would be decoded from (template applied, BOS added when the model wants it).</summary>
    internal int[] TokenizePrompt(IEnumerable<ChatMessage> messages, ChatOptions? options)
        => _formatter.Tokenize(messages, options, _options.AllowControlTokensInContent);

    /// <summary>Generates raw tokens for a request through the same path as the chat methods (tests check laws on tokens).</summary>
    internal async Task<int[]> GenerateTokensAsync(IEnumerable<ChatMessage> messages, ChatOptions? options, CancellationToken cancellationToken = default)
    {
        var settings = CompleteSettings(GenerationSettingsMapper.Map(options, _options, _stopTokens), options);
        int[] prompt = TokenizePrompt(messages, options);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        var statistics = new SpeculationStatistics();
        try
        {
            return _engine.Generate(prompt, settings, statistics, cancellationToken).ToArray();
        }
        finally
        {
            Statistics.Add(statistics);
            _gate.Release();
        }
    }

    /// <summary>The decoded text of every token id (control tokens are empty), for constraints over text.</summary>
    public IReadOnlyList<string> TokenTexts => _tokenTexts.Value;

    /// <summary>The target's session (tests compute exact laws from it).</summary>
    internal LLamaModelSession TargetSession => _target;

    private async IAsyncEnumerable<ChatResponseUpdate> StreamAsync(int[] prompt, GenerationSettings settings, IList<string>? stopSequences, IReadOnlySet<string> tools, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        string responseId = "specai-" + Guid.NewGuid().ToString("N");
        string messageId = Guid.NewGuid().ToString("N");
        var created = DateTimeOffset.UtcNow;
        ChatResponseUpdate Update(IList<AIContent> contents) => new(ChatRole.Assistant, contents)
        {
            ResponseId = responseId,
            MessageId = messageId,
            CreatedAt = created,
            ModelId = Metadata.DefaultModelId,
        };

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        var statistics = new SpeculationStatistics();
        bool lossless = settings.Verifier != VerifierKind.Typical && settings.Mode != SpeculationMode.Judge;
        using var activity = SpeculationTelemetry.ActivitySource.StartActivity("specai.generate");
        activity?.SetTag("gen_ai.request.model", Metadata.DefaultModelId);
        activity?.SetTag("specai.mode", settings.Mode.ToString());
        activity?.SetTag("specai.verifier", settings.Verifier.ToString());
        activity?.SetTag("specai.lossless", lossless);
        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var decoder = new StreamingTokenDecoder(Encoding.UTF8, _target.Weights) { DecodeSpecialTokens = false };
            var filter = new StopSequenceFilter(stopSequences?.ToArray());
            var toolCall = new ToolCallBuffer(tools, _formatter.ToolFormat);
            var finish = ChatFinishReason.Length;
            int generated = 0;
            using var tokens = _engine.Generate(prompt, settings, statistics, cancellationToken).GetEnumerator();
            while (await Task.Run(tokens.MoveNext, cancellationToken).ConfigureAwait(false))
            {
                int token = tokens.Current;
                generated++;
                if (_stopTokens.Contains(token))
                {
                    finish = ChatFinishReason.Stop;
                    break;
                }

                decoder.Add(token);
                string text = toolCall.Push(filter.Push(decoder.Read()));
                if (text.Length > 0)
                {
                    var update = Update([new TextContent(text)]);

                    // Running counters, so a UI can show live acceptance and tokens/s while the answer streams.
                    update.AdditionalProperties = new()
                    {
                        [SpeculativeChatOptionKeys.GeneratedTokens] = statistics.GeneratedTokens,
                        [SpeculativeChatOptionKeys.TargetCalls] = statistics.TargetCalls,
                        [SpeculativeChatOptionKeys.DraftedTokens] = statistics.DraftedTokens,
                        [SpeculativeChatOptionKeys.AcceptedTokens] = statistics.AcceptedTokens,
                    };
                    yield return update;
                }

                if (filter.Stopped)
                {
                    finish = ChatFinishReason.Stop;
                    break;
                }
            }

            if (!filter.Stopped)
            {
                // Text held back for a possible stop sequence that never completed.
                string tail = filter.Push(decoder.Read());
                tail += filter.Stopped ? string.Empty : filter.Flush();
                finish = filter.Stopped ? ChatFinishReason.Stop : finish;
                tail = toolCall.Push(tail);
                if (tail.Length > 0)
                {
                    yield return Update([new TextContent(tail)]);
                }
            }

            var (heldText, calls) = toolCall.Complete();
            if (calls.Count > 0)
            {
                finish = ChatFinishReason.ToolCalls;
                var contents = new List<AIContent>();
                if (heldText.Length > 0)
                {
                    contents.Add(new TextContent(heldText));
                }

                contents.AddRange(calls);
                yield return Update(contents);
            }
            else if (heldText.Length > 0)
            {
                yield return Update([new TextContent(heldText)]);
            }

            var final = Update([new UsageContent(Usage(prompt.Length, generated, statistics))]);
            final.FinishReason = finish;
            _logger.LogDebug("Generated {Tokens} tokens ({Finish}): {Statistics}", generated, finish, statistics);
            yield return final;
        }
        finally
        {
            Statistics.Add(statistics);
            _gate.Release();
            var elapsed = System.Diagnostics.Stopwatch.GetElapsedTime(started) - statistics.PrefillTime;
            SpeculationTelemetry.RecordRequest(statistics, settings.Mode, settings.Verifier, lossless, elapsed);
            activity?.SetTag("gen_ai.usage.output_tokens", statistics.GeneratedTokens);
            activity?.SetTag("specai.target_calls", statistics.TargetCalls);
            activity?.SetTag("specai.acceptance_rate", statistics.AcceptanceRate);
        }
    }

    /// <summary>
    /// Adds what the client owns to the mapped settings: the judge head in Judge mode, and for a required tool call
    /// or a JSON response format a grammar mask applied to draft and target alike (see <see cref="RequestConstraints"/>).
    /// </summary>
    private GenerationSettings CompleteSettings(GenerationSettings settings, ChatOptions? options)
    {
        if (settings.Mode == SpeculationMode.Judge)
        {
            settings = settings with { Judge = _judge ?? throw new ArgumentException($"Judge mode needs {nameof(SpeculativeChatClientOptions.JudgeHeadPath)} in the client options.", nameof(options)) };
        }

        return settings.Constraint is null && _constraints.For(options) is { } constraint ? settings with { Constraint = constraint } : settings;
    }

    private static UsageDetails Usage(int input, int output, SpeculationStatistics statistics)
    {
        var counts = new AdditionalPropertiesDictionary<long>
        {
            [SpeculativeChatOptionKeys.TargetCalls] = statistics.TargetCalls,
            [SpeculativeChatOptionKeys.DraftedTokens] = statistics.DraftedTokens,
            [SpeculativeChatOptionKeys.AcceptedTokens] = statistics.AcceptedTokens,
            [SpeculativeChatOptionKeys.LossySteps] = statistics.LossySteps,
        };
        if (!double.IsNaN(statistics.OptimalAcceptance))
        {
            counts[SpeculativeChatOptionKeys.OptimalAcceptanceMilli] = (long)Math.Round(statistics.OptimalAcceptance * 1000);
            counts[SpeculativeChatOptionKeys.AchievedAcceptanceMilli] = (long)Math.Round(statistics.AchievedAcceptance * 1000);
        }

        return new UsageDetails
        {
            InputTokenCount = input,
            OutputTokenCount = output,
            TotalTokenCount = input + output,
            AdditionalCounts = counts,
        };
    }

    private static async Task<(SpeculativeChatClientOptions, LLamaModelSession, LLamaModelSession?)> LoadAsync(SpeculativeChatClientOptions options, ILoggerFactory? loggerFactory, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        options = options.Clone();
        options.Validate();
        var nativeLogger = loggerFactory?.CreateLogger("SpecAI.Extensions.LLamaCpp");
        bool hasDraft = !string.IsNullOrEmpty(options.DraftModelPath);
        var progress = GuardedProgress.Wrap(options.LoadProgress);
        var target = await LLamaModelSession.LoadAsync(
            options.TargetModelPath,
            CreateParameters(options, options.TargetModelPath, options.GpuLayerCount, hiddenStates: !string.IsNullOrEmpty(options.JudgeHeadPath)),
            progress is null ? null : new ScaledProgress(progress, 0, hasDraft ? 0.5f : 1f),
            nativeLogger,
            cancellationToken).ConfigureAwait(false);
        progress?.Report(hasDraft ? 0.5f : 1f);
        if (!hasDraft)
        {
            return (options, target, null);
        }

        try
        {
            var draft = await LLamaModelSession.LoadAsync(
                options.DraftModelPath!,
                CreateParameters(options, options.DraftModelPath!, options.DraftGpuLayerCount),
                progress is null ? null : new ScaledProgress(progress, 0.5f, 1f),
                nativeLogger,
                cancellationToken).ConfigureAwait(false);
            progress?.Report(1f);
            try
            {
                CheckVocabularies(target, draft);
            }
            catch
            {
                draft.Dispose();
                throw;
            }

            return (options, target, draft);
        }
        catch
        {
            target.Dispose();
            throw;
        }
    }

    private static ModelParams CreateParameters(SpeculativeChatClientOptions options, string path, int gpuLayers, bool hiddenStates = false)
    {
        var parameters = new ModelParams(path)
        {
            Embeddings = hiddenStates,
            PoolingType = hiddenStates ? LLamaPoolingType.None : LLamaPoolingType.Unspecified,
            ContextSize = options.ContextSize > 0 ? (uint)options.ContextSize : null,
            BatchSize = (uint)options.BatchSize,
            UBatchSize = (uint)options.BatchSize,
            SeqMax = (uint)options.SequenceCount,
            KVUnified = true,
            GpuLayerCount = gpuLayers,
            MainGpu = options.MainGpu,
        };
        if (options.Threads > 0)
        {
            parameters.Threads = options.Threads;
            parameters.BatchThreads = options.Threads;
        }

        if (options.SplitMode is not null)
        {
            parameters.SplitMode = Enum.Parse<GPUSplitMode>(options.SplitMode, ignoreCase: true);
        }

        if (options.TensorSplits is { } splits)
        {
            for (int i = 0; i < splits.Length; i++)
            {
                parameters.TensorSplits[i] = splits[i];
            }
        }

        return parameters;
    }

    private static void CheckVocabularies(LLamaModelSession target, LLamaModelSession draft)
    {
        var t = target.Weights.Vocab;
        var d = draft.Weights.Vocab;
        if (t.Count != d.Count)
        {
            throw new IncompatibleDraftModelException(target.ModelName, draft.ModelName, $"vocabulary sizes differ ({t.Count} vs {d.Count})");
        }

        for (int i = 0; i < t.Count; i++)
        {
            string? a = t.LLamaTokenToString((LLamaToken)i, true);
            string? b = d.LLamaTokenToString((LLamaToken)i, true);
            if (!string.Equals(a, b, StringComparison.Ordinal))
            {
                throw new IncompatibleDraftModelException(target.ModelName, draft.ModelName, $"token {i} is '{a}' in the target but '{b}' in the draft");
            }
        }
    }

    /// <summary>Maps one model's load progress into its share of the whole, reporting synchronously.</summary>
    private sealed class ScaledProgress(IProgress<float> inner, float from, float to) : IProgress<float>
    {
        public void Report(float value) => inner.Report(from + (to - from) * Math.Clamp(value, 0f, 1f));
    }

    private static Judge.JudgeHead? LoadJudge(SpeculativeChatClientOptions options, LLamaModelSession target)
    {
        if (string.IsNullOrEmpty(options.JudgeHeadPath))
        {
            return null;
        }

        var head = Judge.JudgeHead.Load(options.JudgeHeadPath);
        if (head.HiddenSize != target.Weights.EmbeddingSize)
        {
            throw new InvalidDataException($"Judge head '{options.JudgeHeadPath}' reads {head.HiddenSize} hidden dimensions but target '{target.ModelName}' has {target.Weights.EmbeddingSize}.");
        }

        return head;
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
}
