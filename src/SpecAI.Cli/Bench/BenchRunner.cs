using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using Microsoft.Extensions.AI;
using SpecAI.Extensions;
using SpecAI.Extensions.Engine;
using SpecAI.Extensions.Gguf.Forge;

namespace SpecAI.Cli.Bench;

/// <summary>Runs the rows of <c>specai bench</c>: baseline, raw, plain and every speculative mode, on the same target and prompts.</summary>
internal static class BenchRunner
{
    /// <summary>Runs every row on every forged or given pair and temperature, then writes JSON, markdown and the plot.</summary>
    public static async Task<int> RunAsync(BenchSettings s, CancellationToken ct)
    {
        if (s.Target is not null && s.Family is not null)
        {
            throw new ArgumentException("--family forges its own target and draft; it cannot be combined with --target.");
        }

        if (s.Target is not null && s.Agreements.Length > 1)
        {
            throw new ArgumentException("--agreements forges families; it cannot be combined with --target.");
        }

        int threads = s.Threads ?? Math.Max(1, Environment.ProcessorCount);
        var results = new List<RunResult>();
        var inputs = new Dictionary<RunResult, BoundInputs>();
        var machineCost = new Dictionary<int, (long Calls, double TotalMs)>();
        string targetName = "", draftName = "";
        var total = Stopwatch.StartNew();
        string loadAtStart = BenchOutput.LoadAverage();

        foreach (double requested in s.Agreements)
        {
            string targetPath, draftPath;
            double? agreement = null, calibrated = null;
            if (s.Target is null)
            {
                Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"forging family (agreement {requested}) into {ForgeCommand.DefaultCache()} ..."));
                var family = LlamaModelForge.GetOrCreateFamily(ForgeCommand.DefaultCache(), s.Family is { } name
                    ? ForgeCommand.NamedFamilyOptions(name, s.Tokenizers, requested, ForgeFamilyScale.Bench)
                    : ForgeCommand.FamilyOptions(requested, 32_000));
                (targetPath, draftPath, agreement, calibrated) = (family.TargetPath, family.DraftPath, requested, family.CalibratedAgreement);
                Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"target {targetPath}\ndraft  {draftPath}\ncalibrated agreement {family.CalibratedAgreement:F3}, MAC cost ratio {family.CostRatio:F1}"));
            }
            else
            {
                targetPath = s.Target;
                draftPath = s.Draft ?? throw new ArgumentException("--draft is required with --target.");
            }

            (targetName, draftName) = (Path.GetFileName(targetPath), Path.GetFileName(draftPath));

            var options = new SpeculativeChatClientOptions
            {
                TargetModelPath = targetPath,
                DraftModelPath = draftPath,
                ContextSize = 2048,
                Temperature = s.Temperatures[0],
                MaxOutputTokens = s.MaxTokens,
                Seed = 1234,
                Threads = threads,
                RecurrentRollbackSnapshots = s.Snapshots,
            };
            using var client = await SpeculativeChatClient.CreateAsync(options, cancellationToken: ct);

            foreach (double temperature in s.Temperatures)
            {
                var group = new List<RunResult>();
                // Baseline: LLamaSharp's own IChatClient over a StatelessExecutor (fresh KV per request by construction), in its own process.
                var b = BaselineCommand.RunChild(targetPath, s.MaxTokens, s.Repeats, temperature, threads);
                group.Add(new RunResult
                {
                    Name = "baseline", Mode = "llamasharp", Verifier = "-", TokensPerSecond = b.TokensPerSecond, GeneratedTokens = b.Tokens,
                    Agreement = agreement, CalibratedAgreement = calibrated, Temperature = temperature, Repeats = b.TokensPerSecondRuns.Count, TokensPerSecondRuns = b.TokensPerSecondRuns,
                });
                Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"[a={agreement} T={temperature}] baseline: {b.TokensPerSecond:F1} tok/s"));

                // Native speed: a plain LLamaSharp greedy loop on the same target and prompts. By default it runs in this
                // process, on the client's scheduler thread and weights, one raw request next to each timed request of
                // every row (PairedRaw); with --raw-child, in a process of its own before the rows (the earlier method).
                var promptTokens = BenchCommand.Prompts.Select(p => client.TokenizePrompt([new ChatMessage(ChatRole.User, p)], null)).ToList();
                PairedRaw? paired = null;
                if (temperature <= 0 && s.RawChild)
                {
                    var raw = RawDecodeCommand.RunChild(targetPath, promptTokens, s.MaxTokens, s.Repeats, threads, [1]);
                    group.Add(new RunResult
                    {
                        Name = "raw", Mode = "raw", Verifier = "-", TokensPerSecond = raw.TokensPerSecond, Agreement = agreement, CalibratedAgreement = calibrated,
                        Temperature = temperature, Repeats = raw.TokensPerSecondRuns.Count, TokensPerSecondRuns = raw.TokensPerSecondRuns,
                    });
                    Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"[a={agreement} T={temperature}] raw (own process): {raw.TokensPerSecond:F1} tok/s"));
                }
                else if (temperature <= 0)
                {
                    paired = await PairedRaw.CreateAsync(client, promptTokens, s.MaxTokens, threads);
                }

                double singleTokenMs = double.NaN;
                async Task Run(RunSpec spec)
                {
                    var (result, bound, single) = await RunSpecAsync(client, s, spec, temperature, agreement, calibrated, singleTokenMs, paired, ct);
                    if (spec.Mode == SpeculationMode.None)
                    {
                        singleTokenMs = single;
                    }

                    if (bound is not null)
                    {
                        inputs[result] = bound;
                    }

                    group.Add(result);
                }

                int[] lengths = s.Sweep ? [2, 3, 4] : [2, 3, 4, 6];
                await WarmUpAsync(
                    client,
                    [
                        new("none", SpeculationMode.None, "-", 0, 1),
                        .. lengths.Select(g => new RunSpec($"draft-g{g}", SpeculationMode.DraftModel, "standard", g, 1)),
                        new("adaptive-g4", SpeculationMode.DraftModel, "standard", 4, 1, Adaptive: true),
                        .. MultiRows(temperature, s.Sweep).Select(m => new RunSpec($"multi-{m.Verifier}-k{m.K}-g3", SpeculationMode.MultiDraft, m.Verifier, 3, m.K)),
                        .. s.Sweep ? Array.Empty<RunSpec>() : [new RunSpec("lookup-g4", SpeculationMode.PromptLookup, "standard", 4, 1)],
                    ],
                    s.MaxTokens,
                    temperature,
                    paired,
                    ct);
                await Run(new("none", SpeculationMode.None, "-", 0, 1));
                foreach (int g in lengths)
                {
                    await Run(new($"draft-g{g}", SpeculationMode.DraftModel, "standard", g, 1));
                }

                // Best single-draft length among 2, 3, 4: the multi-draft rows use it too.
                var best = group.Where(r => r.Mode == nameof(SpeculationMode.DraftModel) && r.DraftLength <= 4 && r.TokensPerSecond is not null)
                    .MaxBy(r => r.TokensPerSecond);
                int bestG = best?.DraftLength ?? 3;
                if (best is not null)
                {
                    best.BestDraft = true;
                }

                await Run(new("adaptive-g4", SpeculationMode.DraftModel, "standard", 4, 1, Adaptive: true));
                foreach (var (verifier, k) in MultiRows(temperature, s.Sweep))
                {
                    await Run(new($"multi-{verifier}-k{k}-g{bestG}", SpeculationMode.MultiDraft, verifier, bestG, k));
                }

                if (!s.Sweep)
                {
                    await Run(new("lookup-g4", SpeculationMode.PromptLookup, "standard", 4, 1));
                }

                if (paired is not null)
                {
                    await paired.DisposeAsync();
                    group.Insert(1, new RunResult
                    {
                        Name = "raw", Mode = "raw", Verifier = "-", TokensPerSecond = BenchMath.Median(paired.AllRates), Agreement = agreement, CalibratedAgreement = calibrated,
                        Temperature = temperature, Repeats = paired.AllRates.Count, TokensPerSecondRuns = paired.AllRates, RawTokensPerSecond = BenchMath.Median(paired.AllRates),
                        RawMsPerDecode = BenchMath.Finite(Math.Round(BenchMath.Median(paired.AllSamples.Select(x => x.MsPerDecode)), 3)),
                        RawPrefillMs = BenchMath.Finite(Math.Round(BenchMath.Median(paired.AllSamples.Select(x => x.PrefillMs)), 3)),
                    });
                    Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"[a={agreement} T={temperature}] raw (paired, in process): {BenchMath.Median(paired.AllRates):F1} tok/s over {paired.AllRates.Count} requests"));
                }

                double baseTps = group[0].TokensPerSecond ?? double.NaN;
                double noneTps = group.First(r => r.Name == "none").TokensPerSecond ?? double.NaN;
                double rawTps = group.FirstOrDefault(r => r.Name == "raw")?.TokensPerSecond ?? double.NaN;
                foreach (var r in group.Where(r => r.TokensPerSecond is not null))
                {
                    r.SpeedupVsBaseline = BenchMath.Finite(r.TokensPerSecond!.Value / baseTps);
                    r.SpeedupVsNone = BenchMath.Finite(r.TokensPerSecond.Value / noneTps);
                    // Paired rows: the median of the per-request ratios to the raw request run next to each (drift cancels
                    // within a pair); otherwise against the raw row's median.
                    r.SpeedupVsRaw = r.PairedRatiosVsRaw is { Count: > 0 } ratios ? BenchMath.Finite(BenchMath.Median(ratios)) : BenchMath.Finite(r.TokensPerSecond.Value / rawTps);
                    if (r.BoundSpeedup is { } bound)
                    {
                        r.Efficiency = BenchMath.Finite(r.TokensPerSecond.Value / noneTps / bound);
                    }
                }

                results.AddRange(group);
            }

            foreach (var (n, (calls, meanMs)) in client.Statistics.TargetBatchCost())
            {
                var (c0, t0) = machineCost.GetValueOrDefault(n);
                machineCost[n] = (c0 + calls, t0 + calls * meanMs);
            }
        }

        // Machine-level batch-cost curve b(n) = mean ms of an n-token target batch / mean ms of one token.
        var samples = BenchMath.BatchCostSamples(machineCost);
        var curve = samples.Where(p => p.Calls >= 2).ToDictionary(p => p.Tokens, p => p.Ratio);
        foreach (var (r, x) in inputs)
        {
            long steps = x.BatchCalls.Values.Sum();
            if (steps == 0 || curve.Count == 0)
            {
                continue;
            }

            // Expected cost of one verify batch in single-token units: b(g+1) for a fixed chain; for adaptive and
            // multi-draft rows the mean of b(n) over the batch sizes the run actually decoded.
            double bMean = x.BatchCalls.Sum(kv => kv.Value * BatchCostCurve.Estimate(curve, kv.Key)) / steps;
            r.MeanVerifyBatch = BenchMath.Finite((double)x.BatchCalls.Sum(kv => (long)kv.Key * kv.Value) / steps);
            r.BatchCostFactor = BenchMath.Finite(bMean);
            r.BoundSpeedupBatchCost = BenchMath.Finite(SpeculationBounds.Speedup(x.A, x.G, x.C, bMean));
            if (r.SpeedupVsNone is { } vsNone && r.BoundSpeedupBatchCost is { } boundBatch)
            {
                r.EfficiencyBatchCost = BenchMath.Finite(vsNone / boundBatch);
            }
        }

        var report = new BenchReport
        {
            Runs = results,
            BatchCostCurve = new SortedDictionary<int, double>(curve),
            BatchCostSamples = samples,
            Machine = new MachineInfo
            {
                Cores = Environment.ProcessorCount,
                Os = RuntimeInformation.OSDescription,
                Runtime = RuntimeInformation.FrameworkDescription,
                Architecture = RuntimeInformation.ProcessArchitecture.ToString(),
                Cpu = BenchOutput.CpuModel(),
                Backend = "LLamaSharp.Backend.Cpu 0.30.0",
                Command = "specai " + string.Join(' ', Environment.GetCommandLineArgs().Skip(1)),
                Target = targetName,
                Draft = draftName,
                MaxTokens = s.MaxTokens,
                Repeats = s.Repeats,
                Temperature = s.Temperatures[0],
                Temperatures = s.Temperatures,
                Agreements = s.Target is null ? s.Agreements : [],
                Threads = threads,
                LoadAverageStart = loadAtStart,
                LoadAverageEnd = BenchOutput.LoadAverage(),
                SingleTokenTargetMs = BenchMath.Finite(samples.FirstOrDefault(p => p.Tokens == 1)?.MeanMilliseconds ?? double.NaN),
                WallSeconds = Math.Round(total.Elapsed.TotalSeconds, 1),
            },
        };
        string table = BenchMarkdown.Table(report, s.Sweep);
        Console.WriteLine(table);
        if (s.Json is { } jsonPath)
        {
            BenchOutput.Write(jsonPath, JsonSerializer.Serialize(report, BenchOutput.JsonOptions));
        }

        if (s.Markdown is { } mdPath)
        {
            BenchOutput.Write(mdPath, table);
        }

        if (s.Plot is { } plotPath)
        {
            BenchPlot.Write(report, s, plotPath);
        }

        return 0;
    }

    /// <summary>The per-request options of a row.</summary>
    private static ChatOptions ChatOptionsFor(RunSpec spec)
    {
        var chat = new ChatOptions { AdditionalProperties = [] };
        chat.AdditionalProperties[SpeculativeChatOptionKeys.Mode] = spec.Mode.ToString();
        if (spec.Mode != SpeculationMode.None)
        {
            chat.AdditionalProperties[SpeculativeChatOptionKeys.DraftLength] = spec.DraftLength;
            chat.AdditionalProperties[SpeculativeChatOptionKeys.Verifier] = spec.Verifier;
            chat.AdditionalProperties[SpeculativeChatOptionKeys.DraftCount] = spec.DraftCount;
            chat.AdditionalProperties[SpeculativeChatOptionKeys.Adaptive] = spec.Adaptive;
        }

        return chat;
    }

    /// <summary>
    /// One untimed request of every row (and of the raw loop) before the first timed row: .NET compiles each code path
    /// first unoptimised (tier 0) and recompiles it in the background once it ran a while, so without this the first
    /// row, and each row that takes a new path (speculation, multi-draft, prompt lookup), paid that start-up under its
    /// own timed requests while the rows after it did not; the raw loop's few methods warm within one request.
    /// </summary>
    private static async Task WarmUpAsync(SpeculativeChatClient client, IEnumerable<RunSpec> specs, int maxTokens, double temperature, PairedRaw? paired, CancellationToken ct)
    {
        foreach (var spec in specs)
        {
            var options = ChatOptionsFor(spec);
            (options.MaxOutputTokens, options.Temperature, options.Seed) = (maxTokens, (float)temperature, 1234);
            try
            {
                await client.GetResponseAsync([new ChatMessage(ChatRole.User, BenchCommand.Prompts[^1])], options, ct);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // The row reports its own failure when it runs.
            }

            if (paired is not null)
            {
                await paired.WarmUpAsync();
            }
        }
    }

    /// <summary>Multi-draft rows: at T = 0 every lossless rule is greedy matching, so only deterministic top-k drafts differ.</summary>
    private static IEnumerable<(string Verifier, int K)> MultiRows(double temperature, bool sweep)
    {
        if (temperature <= 0)
        {
            return [("topk", 2)];
        }

        return sweep ? [("kseq", 2)] : [("kseq", 2), ("kseq", 4), ("rrs-wor", 2), ("greedy-draft", 2)];
    }

    private static async Task<(RunResult Result, BoundInputs? Bound, double SingleTokenMs)> RunSpecAsync(
        SpeculativeChatClient client, BenchSettings s, RunSpec spec, double temperature, double? agreement, double? calibrated, double singleTokenMs, PairedRaw? paired, CancellationToken ct)
    {
        var chat = ChatOptionsFor(spec);
        var result = new RunResult
        {
            Name = spec.Name, Mode = spec.Mode.ToString(), Verifier = spec.Verifier, DraftLength = spec.DraftLength, DraftCount = spec.DraftCount,
            Adaptive = spec.Adaptive, Agreement = agreement, CalibratedAgreement = calibrated, Temperature = temperature,
        };
        BoundInputs? bound = null;
        double single = double.NaN;
        try
        {
            StatisticsSnapshot? before = null;
            var r = await TimeAsync(client, s.MaxTokens, s.Repeats, temperature, chat, null, ct, afterWarmup: () => before = StatisticsSnapshot.Of(client.Statistics), paired: paired);
            var d = StatisticsSnapshot.Of(client.Statistics) - before!;
            result.TokensPerSecond = r.Median;
            if (r.RawRates is { Count: > 0 } rawRates)
            {
                result.RawTokensPerSecond = BenchMath.Median(rawRates);
                result.RawTokensPerSecondRuns = rawRates;
                result.PairedRatiosVsRaw = r.Rates.Zip(rawRates, (x, y) => Math.Round(x / y, 4)).ToList();
                result.RawMsPerDecode = BenchMath.Finite(Math.Round(BenchMath.Median(r.RawSamples!.Select(x => x.MsPerDecode)), 3));
                result.RawPrefillMs = BenchMath.Finite(Math.Round(BenchMath.Median(r.RawSamples!.Select(x => x.PrefillMs)), 3));
            }

            result.TokensPerSecondRuns = r.Rates;
            result.Repeats = r.Rates.Count;
            result.GeneratedTokens = r.Tokens;
            result.TargetCalls = d.TargetCalls;
            result.StepsWithSpeculationOff = d.SpeculationOff;
            result.TargetMsPerCall = BenchMath.Finite(d.TargetMs / d.TargetCalls);
            result.VerifyMsPerCall = BenchMath.Finite(d.VerifyMs / d.TargetCalls);
            result.TokensPerTargetCall = d.TargetCalls > 0 ? (double)r.Tokens / Math.Max(1, d.TargetCalls) : null;
            if (d.SnapshotRollbacks + d.CheckpointRestores > 0 || d.RollbackMs > 0)
            {
                (result.SnapshotRollbacks, result.CheckpointRestores, result.ReplayedTokens) = (d.SnapshotRollbacks, d.CheckpointRestores, d.ReplayedTokens);
                result.RollbackMsPerCall = BenchMath.Finite(d.RollbackMs / d.TargetCalls);
            }

            if (spec.Adaptive)
            {
                result.FinalDraftLength = client.Statistics.CurrentDraftLength;
            }

            if (d.SingleCalls > 0)
            {
                single = d.SingleMs / d.SingleCalls;
            }

            double unit = spec.Mode == SpeculationMode.None ? single : singleTokenMs;
            result.VerifyMsPerStep = result.VerifyMsPerCall;
            result.VerifyMsPerNode = BenchMath.Finite(d.VerifyMs / d.Committed);
            result.DraftManagedMsPerNode = d.Drafted > 0 ? BenchMath.Finite(d.DraftManagedMs / d.Drafted) : null;
            result.DecodeMs = BenchMath.Finite(unit);
            if (d.Drafted > 0 && d.TargetCalls > 0)
            {
                result.AcceptanceRate = (double)d.Accepted / d.Drafted;
                result.MeanAcceptedLength = (double)d.Accepted / d.TargetCalls;
                double g = (double)d.Drafted / d.TargetCalls / spec.DraftCount; // drafted tokens per draft sequence per step
                double a = SpeculationBounds.AcceptanceFromMeanAccepted(result.MeanAcceptedLength.Value, g);
                double draftStepMs = d.DraftCalls > 0 ? d.DraftMs / d.DraftCalls : double.NaN;

                // Multi-draft decodes k drafts per batch; PromptLookup has no draft model (c = 0).
                double c = spec.Mode == SpeculationMode.PromptLookup ? d.DraftMs / Math.Max(1, d.Drafted) / unit : draftStepMs / unit;
                result.DraftTokensPerStep = BenchMath.Finite(g);
                result.PerTokenAcceptance = BenchMath.Finite(a);
                result.CostRatio = BenchMath.Finite(c);
                result.BoundSpeedup = BenchMath.Finite(SpeculationBounds.Speedup(a, g, c));
                if (double.IsFinite(c))
                {
                    bound = new BoundInputs(a, g, c, d.BatchCalls);
                }
            }

            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"[a={agreement} T={temperature}] {spec.Name}: {r.Median:F1} tok/s, target calls {d.TargetCalls}, acc {result.AcceptanceRate:F3}, c {result.CostRatio:F3}"));
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            result.Status = "skipped: " + ex.GetType().Name + ": " + ex.Message;
            Console.Error.WriteLine($"{spec.Name}: {result.Status}");
        }

        return (result, bound, single);
    }

    /// <summary>
    /// One warm-up request, then <paramref name="repeats"/> timed ones over the bench prompts (each a new one-message
    /// conversation with a different prompt): median tokens/s, tokens, each rate. With <paramref name="paired"/>, a raw
    /// request on the same prompt runs next to each timed one (before it on even requests, after it on odd ones).
    /// </summary>
    internal static async Task<(double Median, long Tokens, List<double> Rates, List<double>? RawRates, List<RawSample>? RawSamples)> TimeAsync(
        IChatClient client, int maxTokens, int repeats, double temperature, ChatOptions baseOptions, Func<string, int>? countTokens, CancellationToken ct, Action? afterWarmup = null,
        PairedRaw? paired = null)
    {
        ChatOptions Options()
        {
            var o = baseOptions.Clone();
            o.MaxOutputTokens = maxTokens;
            o.Temperature = (float)temperature;
            o.Seed = 1234;
            return o;
        }

        await client.GetResponseAsync([new ChatMessage(ChatRole.User, "Hello, warm up please.")], Options(), ct);
        if (paired is not null)
        {
            await paired.WarmUpAsync();
        }

        afterWarmup?.Invoke();
        var rates = new List<double>();
        var rawRates = paired is null ? null : new List<double>();
        var rawSamples = paired is null ? null : new List<RawSample>();
        long tokens = 0;
        for (int i = 0; i < repeats; i++)
        {
            int prompt = i % BenchCommand.Prompts.Length;
            RawSample? rawSample = paired is not null && i % 2 == 0 ? await paired.RunAsync(prompt) : null;
            var sw = Stopwatch.StartNew();
            var response = await client.GetResponseAsync([new ChatMessage(ChatRole.User, BenchCommand.Prompts[prompt])], Options(), ct);
            sw.Stop();
            long n = response.Usage?.OutputTokenCount ?? countTokens?.Invoke(response.Text) ?? 0;
            tokens += n;
            rates.Add(Math.Round(n / sw.Elapsed.TotalSeconds, 2));
            if (paired is not null)
            {
                rawSample ??= await paired.RunAsync(prompt);
                rawRates!.Add(Math.Round(rawSample.TokensPerSecond, 2));
                rawSamples!.Add(rawSample);
            }
        }

        return (BenchMath.Median(rates), tokens, rates, rawRates, rawSamples);
    }
}
