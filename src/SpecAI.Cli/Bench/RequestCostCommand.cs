using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using LLama;
using LLama.Common;
using LLama.Native;
using Microsoft.Extensions.AI;
using SpecAI.Extensions;
using SpecAI.Extensions.ChatClient;
using SpecAI.Extensions.Engine;
using SpecAI.Extensions.Gguf.Forge;

namespace SpecAI.Cli.Bench;

/// <summary>
/// <c>specai bench-request-costs</c>: where a short answer's time goes with speculation off. One process, rows
/// interleaved request by request (the order rotates every round, each row gets a different prompt), medians:
/// a raw LLamaSharp greedy loop on a context of its own, the scheduler's token stream, <c>GetResponseAsync</c> and
/// <c>GetStreamingResponseAsync</c>; each split into target decodes (prefill apart) and everything else. Same
/// process and interleaving, so load drift hits every row alike (the raw loop does a full prefill per request while
/// the client reuses the cached template prefix; the bench's own <c>raw</c> row is <see cref="PairedRaw"/>). The
/// client decodes its uncached prompt suffix together with the first token, so its prefill column stays 0 and
/// "after the first token" is the like-for-like rate; <c>GetResponseAsync</c> has no first-token time.
/// </summary>
internal static class RequestCostCommand
{
    private static readonly string[] BaseRows = ["raw", "scheduler", "client", "stream"];

    // --raw-variants: the raw loop on the client's scheduler thread (one OpenMP team with the client's decodes) over the
    // client's weights: on a one-sequence context, on a context laid out as the client's (sequences, unified KV), with a
    // per-token hand-off to a thread-pool reader (as the scheduler's channel does); on a thread-pool thread over the
    // client's weights; and on the scheduler thread over copies of the weights loaded apart (default parameters, and
    // GpuLayerCount = 0 as the client loads them). "raw" itself runs on the caller's thread over its own copy.
    private static readonly string[] VariantRows = ["raw-sched", "raw-sched-client-ctx", "raw-pool-shared", "raw-sched-wake", "raw-sched-own-weights", "raw-sched-own-weights-gpu0", "raw-in-client-context"];

    public static Command Create()
    {
        var target = new Option<string?>("--target") { Description = "Target GGUF (default: the bench's forged family)." };
        var agreement = new Option<double>("--agreement") { Description = "Agreement of the forged family.", DefaultValueFactory = _ => 0.9 };
        var maxTokens = new Option<int>("--max-tokens") { Description = "Tokens per answer.", DefaultValueFactory = _ => 64 };
        var rounds = new Option<int>("--rounds") { Description = "Timed rounds (one request per row each), after two warm-up rounds.", DefaultValueFactory = _ => 24 };
        var only = new Option<string?>("--rows") { Description = "Run only these rows (comma-separated; the first is the reference of the ratios)." };
        var threadCount = new Option<int?>("--threads") { Description = "Native decode threads (default: one per core)." };
        var variants = new Option<bool>("--raw-variants") { Description = "Also run the raw loop on the client's scheduler thread, on a one-sequence context and on one laid out as the client's (sequence count, unified KV)." };
        var cmd = new Command("bench-request-costs", "Per-request costs with speculation off: raw greedy loop vs the chat client, same process, interleaved; prints a table.") { Hidden = true };
        foreach (Option o in new Option[] { target, agreement, maxTokens, rounds, variants, threadCount, only })
        {
            cmd.Options.Add(o);
        }

        cmd.SetAction(async (parse, ct) =>
        {
            string path = parse.GetValue(target) ?? LlamaModelForge.GetOrCreateFamily(ForgeCommand.DefaultCache(), ForgeCommand.FamilyOptions(parse.GetValue(agreement), 32_000)).TargetPath;
            await RunAsync(path, parse.GetValue(maxTokens), Math.Max(1, parse.GetValue(rounds)), parse.GetValue(variants) || parse.GetValue(only) is not null, parse.GetValue(threadCount), parse.GetValue(only), ct).ConfigureAwait(false);
            return 0;
        });
        return cmd;
    }

    private static async Task RunAsync(string targetPath, int maxTokens, int rounds, bool variants, int? threadCount, string? only, CancellationToken ct)
    {
        string[] rows = only?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? (variants ? [.. BaseRows, .. VariantRows] : BaseRows);
        NativeLibraryConfig.All.WithLogCallback((_, _) => { });
        int threads = Math.Max(1, threadCount ?? Environment.ProcessorCount);
        var options = new SpeculativeChatClientOptions { TargetModelPath = targetPath, ContextSize = 2048, Temperature = 0, MaxOutputTokens = maxTokens, Seed = 1234, Threads = threads };
        using var client = await SpeculativeChatClient.CreateAsync(options, cancellationToken: ct).ConfigureAwait(false);
        var chat = new ChatOptions { AdditionalProperties = new() { [SpeculativeChatOptionKeys.Mode] = nameof(SpeculationMode.None) } };
        var prompts = BenchCommand.Prompts;
        var tokenized = prompts.Select(p => client.TokenizePrompt([new ChatMessage(ChatRole.User, p)], chat)).ToArray();
        using var raw = new RawLoop(targetPath, threads);
        var defaults = client.DefaultSettings;
        var weights = client.TargetSession.Weights;
        uint contextSize = (uint)client.TargetSession.ContextSize;
        using var rawSched = variants ? await client.Scheduler.InvokeAsync(() => new RawGreedyLoop(weights, contextSize, threads)).ConfigureAwait(false) : null;
        using var rawClientContext = variants
            ? await client.Scheduler.InvokeAsync(() => new RawGreedyLoop(weights, contextSize, threads, (uint)client.TargetSession.MaxSequences, client.TargetSession.HasUnifiedKvCache)).ConfigureAwait(false)
            : null;
        // The client's own target context, on its last sequence id (the scheduler hands ids out lowest first, so a
        // one-request-at-a-time run never takes it): the raw loop decoding next to whatever the client keeps cached.
        using var rawInClient = variants ? new RawGreedyLoop(weights, client.TargetSession.Context, client.TargetSession.MaxSequences - 1) : null;
        using var rawPoolShared = variants ? new RawGreedyLoop(weights, contextSize, threads) : null;
        using var ownWeights = variants ? await client.Scheduler.InvokeAsync(() => LLamaWeights.LoadFromFile(new ModelParams(targetPath) { ContextSize = contextSize, Threads = threads, BatchThreads = threads })).ConfigureAwait(false) : null;
        using var ownWeightsGpu0 = variants ? await client.Scheduler.InvokeAsync(() => LLamaWeights.LoadFromFile(new ModelParams(targetPath) { ContextSize = contextSize, Threads = threads, BatchThreads = threads, GpuLayerCount = 0 })).ConfigureAwait(false) : null;
        using var rawOwnGpu0 = variants ? await client.Scheduler.InvokeAsync(() => new RawGreedyLoop(ownWeightsGpu0!, contextSize, threads)).ConfigureAwait(false) : null;
        using var rawOwnSched = variants ? await client.Scheduler.InvokeAsync(() => new RawGreedyLoop(ownWeights!, contextSize, threads)).ConfigureAwait(false) : null;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"client target context: {client.TargetSession.ContextSize} cells, {client.TargetSession.MaxSequences} sequences, unified KV {client.TargetSession.HasUnifiedKvCache}, batch {client.TargetSession.MaxBatchSize}, threads {threads}"));

        async Task<Sample> Run(string row, int k)
        {
            var statistics = client.Statistics;
            var (decodeBefore, prefillBefore, generatedBefore) = (statistics.TargetTime, statistics.PrefillTime, statistics.GeneratedTokens);
            long t0 = Stopwatch.GetTimestamp();
            double first = double.NaN, last = double.NaN;
            int n = 0;
            switch (row)
            {
                case "raw":
                    return raw.Generate(tokenized[k], maxTokens);
                case "raw-sched" or "raw-sched-client-ctx" or "raw-sched-own-weights" or "raw-sched-own-weights-gpu0" or "raw-in-client-context":
                    var loop = row switch
                    {
                        "raw-sched" => rawSched!, "raw-sched-own-weights" => rawOwnSched!, "raw-sched-own-weights-gpu0" => rawOwnGpu0!, "raw-in-client-context" => rawInClient!,
                        _ => rawClientContext!,
                    };
                    var rs = await client.Scheduler.InvokeAsync(() => loop.Generate(tokenized[k], maxTokens)).ConfigureAwait(false);
                    return new Sample(Ms(t0), rs.DecodeMs, rs.PrefillMs, rs.FirstMs + (Ms(t0) - rs.WallMs), 0, rs.Tokens);
                case "raw-sched-wake":
                    // The raw loop handing each token to a reader on the thread pool, as the scheduler does through its channel.
                    var channel = System.Threading.Channels.Channel.CreateUnbounded<int>(new() { SingleReader = true, SingleWriter = true });
                    var reader = Task.Run(async () =>
                    {
                        int count = 0;
                        await foreach (int _ in channel.Reader.ReadAllAsync(ct).ConfigureAwait(false))
                        {
                            count++;
                        }

                        return count;
                    });
                    var rw = await client.Scheduler.InvokeAsync(() => rawSched!.Generate(tokenized[k], maxTokens, t => channel.Writer.TryWrite(t))).ConfigureAwait(false);
                    channel.Writer.Complete();
                    await reader.ConfigureAwait(false);
                    return new Sample(Ms(t0), rw.DecodeMs, rw.PrefillMs, rw.FirstMs, 0, rw.Tokens);
                case "raw-pool-shared":
                    var rp = rawPoolShared!.Generate(tokenized[k], maxTokens);
                    return new Sample(rp.WallMs, rp.DecodeMs, rp.PrefillMs, rp.FirstMs, 0, rp.Tokens);
                case "scheduler":
                    var settings = GenerationSettingsMapper.Map(chat, defaults, client);
                    int[] prompt = client.TokenizePrompt([new ChatMessage(ChatRole.User, prompts[k])], chat);
                    var own = new SpeculationStatistics();
                    await foreach (int _ in client.Scheduler.GenerateAsync(prompt, settings, own, ct).ConfigureAwait(false))
                    {
                        first = n++ == 0 ? Ms(t0) : first;
                    }

                    return new Sample(Ms(t0), own.TargetTime.TotalMilliseconds, own.PrefillTime.TotalMilliseconds, first, double.NaN, n);
                case "client":
                    var response = await client.GetResponseAsync([new ChatMessage(ChatRole.User, prompts[k])], chat, ct).ConfigureAwait(false);
                    n = (int)(response.Usage?.OutputTokenCount ?? 0);
                    break;
                default:
                    await foreach (var _ in client.GetStreamingResponseAsync([new ChatMessage(ChatRole.User, prompts[k])], chat, ct).ConfigureAwait(false))
                    {
                        first = n++ == 0 ? Ms(t0) : first;
                        last = Ms(t0);
                    }

                    n = (int)(statistics.GeneratedTokens - generatedBefore); // updates are text pieces, not tokens
                    break;
            }

            double wall = Ms(t0);
            return new Sample(wall, (statistics.TargetTime - decodeBefore).TotalMilliseconds, (statistics.PrefillTime - prefillBefore).TotalMilliseconds, first, wall - last, n);
        }

        var samples = rows.ToDictionary(r => r, _ => new List<Sample>());
        Console.WriteLine($"load average at start {LoadAverage()}");
        var handoff = new List<double>();
        for (int r = -2; r < rounds; r++)
        {
            for (int j = 0; j < rows.Length; j++)
            {
                string row = rows[(j + Math.Max(0, r)) % rows.Length];
                int k = ((r + 2) * rows.Length + j) % prompts.Length;
                var sample = await Run(row, k).ConfigureAwait(false);

                if (r >= 0)
                {
                    samples[row].Add(sample);
                }
            }

            long posted = Stopwatch.GetTimestamp();
            double waited = await client.Scheduler.InvokeAsync(() => Ms(posted)).ConfigureAwait(false);
            if (r >= 0)
            {
                handoff.Add(waited);
            }
        }

        Print(samples, handoff, maxTokens, rounds, client, defaults, chat);
    }

    private static void Print(Dictionary<string, List<Sample>> samples, List<double> handoff, int maxTokens, int rounds, SpeculativeChatClient client, GenerationSettings defaults, ChatOptions chat)
    {
        var inv = CultureInfo.InvariantCulture;
        var rawRows = samples.First().Value;
        Console.WriteLine(string.Create(inv, $"max tokens {maxTokens}, rounds {rounds}, load average {LoadAverage()}; medians (ms unless stated)"));
        Console.WriteLine("| row | wall | target decodes | of which prefill | outside decodes | outside decodes per token (µs) | call -> first token | last token -> done | tokens | tok/s | vs raw | tok/s after the first token | vs raw |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|---|---|---|");
        foreach (var (row, list) in samples)
        {
            double Ratio(Func<Sample, double> rate) => MedianFinite(list.Select((s, i) => rate(s) / rate(rawRows[i])));
            static double Rate(Sample s) => s.Tokens / s.Wall * 1000;
            static double AfterFirst(Sample s) => (s.Tokens - 1) / (s.Wall - s.First) * 1000;
            Console.WriteLine(string.Create(inv,
                $"| {row} | {Med(list, s => s.Wall):F1} | {Med(list, s => s.Decode):F1} | {Med(list, s => s.Prefill):F1} | {Med(list, s => s.Wall - s.Decode):F2} | {Med(list, s => (s.Wall - s.Decode) / s.Tokens * 1000):F1} | {Med(list, s => s.First):F1} | {Med(list, s => s.Tail):F3} | {Med(list, s => s.Tokens):F0} | {Med(list, Rate):F1} | {Ratio(Rate):F3} | {Med(list, AfterFirst):F1} | {Ratio(AfterFirst):F3} |"));
        }

        var message = new[] { new ChatMessage(ChatRole.User, BenchCommand.Prompts[3]) };
        Console.WriteLine(string.Create(inv, $"scheduler hand-off (posted -> running on the scheduler thread, idle scheduler): median {BenchMath.Median(handoff):F3} ms, max {handoff.Max():F3} ms"));
        Console.WriteLine(string.Create(inv, $"prompt formatting + tokenization: {Micro(() => client.TokenizePrompt(message, chat), 500):F1} µs; settings mapping: {Micro(() => GenerationSettingsMapper.Map(chat, defaults, client), 2000):F2} µs"));
    }

    private static double Med(List<Sample> list, Func<Sample, double> value) => BenchMath.Median(list.Select(value).Where(double.IsFinite).DefaultIfEmpty(double.NaN));

    private static double MedianFinite(IEnumerable<double> values) => BenchMath.Median(values.Where(double.IsFinite).DefaultIfEmpty(double.NaN));

    private static double Ms(long from) => Stopwatch.GetElapsedTime(from).TotalMilliseconds;

    private static double Micro(Action action, int repeats)
    {
        action();
        long t = Stopwatch.GetTimestamp();
        for (int i = 0; i < repeats; i++)
        {
            action();
        }

        return Stopwatch.GetElapsedTime(t).TotalMicroseconds / repeats;
    }

    private static string LoadAverage() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";

    private sealed record Sample(double Wall, double Decode, double Prefill, double First, double Tail, int Tokens);

    /// <summary>The bench-raw greedy loop (full prefill, argmax over the logits), with its decodes timed apart.</summary>
    private sealed class RawLoop : IDisposable
    {
        private readonly LLamaWeights _weights;
        private readonly LLamaContext _context;
        private readonly LLamaBatch _batch = new();

        public RawLoop(string path, int threads)
        {
            var parameters = new ModelParams(path) { ContextSize = 2048, BatchSize = 512, UBatchSize = 512, SeqMax = 1, Threads = threads, BatchThreads = threads };
            _weights = LLamaWeights.LoadFromFile(parameters);
            _context = _weights.CreateContext(parameters);
        }

        public Sample Generate(int[] prompt, int maxTokens)
        {
            var handle = _context.NativeHandle;
            handle.MemoryClear();
            long t0 = Stopwatch.GetTimestamp();
            _batch.Clear();
            for (int i = 0; i < prompt.Length; i++)
            {
                _batch.Add((LLamaToken)prompt[i], i, LLamaSeqId.Zero, i == prompt.Length - 1);
            }

            double prefill = Decode(handle), decode = prefill, first = double.NaN;
            int position = prompt.Length, generated = 0;
            var logits = handle.GetLogitsIth(_batch.TokenCount - 1);
            while (generated < maxTokens)
            {
                int best = 0;
                for (int i = 1; i < logits.Length; i++)
                {
                    best = logits[i] > logits[best] ? i : best;
                }

                first = generated++ == 0 ? Ms(t0) : first;
                if (((LLamaToken)best).IsEndOfGeneration(_weights.Vocab) || generated == maxTokens)
                {
                    break;
                }

                _batch.Clear();
                _batch.Add((LLamaToken)best, position++, LLamaSeqId.Zero, true);
                decode += Decode(handle);
                logits = handle.GetLogitsIth(0);
            }

            return new Sample(Ms(t0), decode, prefill, first, 0, generated);
        }

        public void Dispose()
        {
            _context.Dispose();
            _weights.Dispose();
        }

        private double Decode(SafeLLamaContextHandle handle)
        {
            long started = Stopwatch.GetTimestamp();
            var result = handle.Decode(_batch);
            return result == DecodeResult.Ok ? Ms(started) : throw new InvalidOperationException($"decode failed: {result}");
        }
    }
}
