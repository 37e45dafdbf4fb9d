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
internal static partial class BenchRunner
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
}
