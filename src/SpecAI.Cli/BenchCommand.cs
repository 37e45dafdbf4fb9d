using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using LLama;
using LLama.Abstractions;
using LLama.Common;
using Microsoft.Extensions.AI;
using SpecAI.Extensions;
using SpecAI.Extensions.Gguf.Forge;

namespace SpecAI.Cli;

/// <summary><c>specai bench</c>: LLamaSharp's own chat client vs SpeculativeChatClient modes, same target and prompts.</summary>
internal static class BenchCommand
{
    private static readonly string[] Prompts =
    [
        "Write a short story about a lighthouse keeper.",
        "Explain how a bicycle works.",
        "List some facts about the ocean.",
        "Describe a walk through an old city.",
        "Tell me about the history of printing.",
        "What makes a good cup of tea?",
        "Summarise the life of a honey bee.",
        "Give advice to a new gardener.",
        "Describe the sound of rain on a tin roof.",
        "How do trains stay on their tracks?",
        "Write a letter to a friend who moved away.",
        "Explain why the sky changes colour at sunset.",
    ];

    public static Command Create()
    {
        var quick = new Option<bool>("--quick") { Description = "Few repeats (3), 64 tokens, temperature 0 (a few minutes on 2 cores)." };
        var target = new Option<string?>("--target") { Description = "Target GGUF (default: forge the default family into the cache)." };
        var draft = new Option<string?>("--draft") { Description = "Draft GGUF (required with --target)." };
        var agreement = new Option<double>("--agreement") { Description = "Agreement of the forged family.", DefaultValueFactory = _ => 0.9 };
        var agreements = new Option<string?>("--agreements") { Description = "Sweep: comma-separated agreements, one forged (cached) family each, e.g. 0.6,0.8,0.9,0.95." };
        var maxTokens = new Option<int?>("--max-tokens") { Description = "Tokens per request (default 64 quick, 128 otherwise)." };
        var repeats = new Option<int?>("--repeats") { Description = "Timed requests per run; the median is reported (default 3 quick, 10 otherwise)." };
        var temperature = new Option<double>("--temperature") { Description = "Sampling temperature.", DefaultValueFactory = _ => 0.0 };
        var temperatures = new Option<string?>("--temperatures") { Description = "Sweep: comma-separated temperatures, e.g. 0,0.7,1." };
        var json = new Option<string?>("--json") { Description = "Write results as JSON here.", DefaultValueFactory = _ => Path.Combine("artifacts", "bench.json") };
        var markdown = new Option<string?>("--markdown") { Description = "Write a markdown table here.", DefaultValueFactory = _ => Path.Combine("artifacts", "bench.md") };
        var concurrency = new Option<string?>("--concurrency") { Description = "Serve n callers at once on one client, e.g. 1,2,4,8: aggregate tokens/s of plain and speculative (adaptive) decoding next to the batching limit n/b(n), with latency percentiles (writes artifacts/bench-concurrency.*)." };
        var plot = new Option<string?>("--plot") { Description = "Write a PNG chart here (tokens/s bars; speedup vs agreement in a sweep).", DefaultValueFactory = _ => Path.Combine("artifacts", "bench.png") };
        var family = new Option<string?>("--family") { Description = $"Forge a named family over real tokenizers instead of the 32k synthetic one: {string.Join(", ", ForgeFamilies.Names)} (bench shapes)." };
        var tokenizers = ForgeCommand.TokenizersOption();
        var cmd = new Command("bench", "Benchmark baseline (LLamaSharp AsChatClient) vs speculative modes on the same target.");
        foreach (Option o in new Option[] { quick, target, draft, agreement, agreements, maxTokens, repeats, temperature, temperatures, json, markdown, plot, concurrency, family, tokenizers })
        {
            cmd.Options.Add(o);
        }

        cmd.SetAction((parse, ct) =>
        {
            if (parse.GetValue(concurrency) is { } levels)
            {
                string Artifact(Option<string?> option, string name) => parse.GetResult(option) is null ? Path.Combine("artifacts", name) : parse.GetValue(option)!;
                var (targetPath, draftPath) = parse.GetValue(target) is { } t
                    ? (t, parse.GetValue(draft) ?? throw new ArgumentException("--draft is required with --target."))
                    : ForgedPair(parse.GetValue(agreement), parse.GetValue(family), parse.GetValue(tokenizers));
                return ConcurrencyBench.RunCommandAsync(
                    targetPath, draftPath, ParseList(levels, "--concurrency")!.Select(v => (int)v).ToArray(), Prompts,
                    parse.GetValue(maxTokens) ?? (parse.GetValue(quick) ? 64 : 128), parse.GetValue(repeats) ?? (parse.GetValue(quick) ? 2 : 4),
                    parse.GetValue(temperature), Artifact(json, "bench-concurrency.json"), Artifact(markdown, "bench-concurrency.md"), Artifact(plot, "bench-concurrency.png"), ct);
            }

            var agreementList = ParseList(parse.GetValue(agreements), "--agreements") ?? [parse.GetValue(agreement)];
            var temperatureList = ParseList(parse.GetValue(temperatures), "--temperatures") ?? [parse.GetValue(temperature)];
            bool sweep = parse.GetValue(agreements) is not null || parse.GetValue(temperatures) is not null;
            return RunAsync(
                new BenchSettings(
                    parse.GetValue(quick), parse.GetValue(target), parse.GetValue(draft), agreementList,
                    parse.GetValue(maxTokens) ?? (parse.GetValue(quick) ? 64 : 128),
                    parse.GetValue(repeats) ?? (parse.GetValue(quick) ? 3 : 10),
                    temperatureList, sweep, parse.GetValue(json), parse.GetValue(markdown), parse.GetValue(plot), parse.GetValue(family), parse.GetValue(tokenizers)),
                ct);
        });
        return cmd;
    }

    private static (string Target, string Draft) ForgedPair(double agreement, string? name, string? tokenizers)
    {
        var family = LlamaModelForge.GetOrCreateFamily(ForgeCommand.DefaultCache(), name is null
            ? ForgeCommand.FamilyOptions(agreement, 32_000)
            : ForgeCommand.NamedFamilyOptions(name, tokenizers, agreement, ForgeFamilyScale.Bench));
        return (family.TargetPath, family.DraftPath);
    }

    private static double[]? ParseList(string? value, string option)
    {
        if (value is null)
        {
            return null;
        }

        var items = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var result = new double[items.Length];
        for (int i = 0; i < items.Length; i++)
        {
            if (!double.TryParse(items[i], NumberStyles.Float, CultureInfo.InvariantCulture, out result[i]))
            {
                throw new ArgumentException($"{option}: '{items[i]}' is not a number.");
            }
        }

        return result.Length > 0 ? result : throw new ArgumentException($"{option} needs at least one value.");
    }

    private sealed record BenchSettings(
        bool Quick, string? Target, string? Draft, double[] Agreements, int MaxTokens, int Repeats, double[] Temperatures, bool Sweep,
        string? Json, string? Markdown, string? Plot, string? Family = null, string? Tokenizers = null);

    private sealed record RunSpec(string Name, SpeculationMode Mode, string Verifier, int DraftLength, int DraftCount, bool Adaptive = false);

    /// <summary>Per-run measurements the bounds are computed from after all runs (the batch-cost curve is machine-level).</summary>
    private sealed record BoundInputs(double A, double G, double C, IReadOnlyDictionary<int, long> BatchCalls);

    private static async Task<int> RunAsync(BenchSettings s, CancellationToken ct)
    {
        if (s.Target is not null && s.Family is not null)
        {
            throw new ArgumentException("--family forges its own target and draft; it cannot be combined with --target.");
        }

        if (s.Target is not null && s.Agreements.Length > 1)
        {
            throw new ArgumentException("--agreements forges families; it cannot be combined with --target.");
        }

        int threads = Math.Max(1, Environment.ProcessorCount);
        var results = new List<RunResult>();
        var inputs = new Dictionary<RunResult, BoundInputs>();
        var machineCost = new Dictionary<int, (long Calls, double TotalMs)>();
        string targetName = "", draftName = "";
        var total = Stopwatch.StartNew();

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

            // Baseline: LLamaSharp's own IChatClient over a StatelessExecutor (fresh KV per request by construction).
            var mp = new ModelParams(targetPath) { ContextSize = 2048, Threads = threads, BatchThreads = threads };
            using var weights = LLamaWeights.LoadFromFile(mp);
            using IChatClient baseline = new StatelessExecutor(weights, mp).AsChatClient();

            var options = new SpeculativeChatClientOptions
            {
                TargetModelPath = targetPath,
                DraftModelPath = draftPath,
                ContextSize = 2048,
                Temperature = s.Temperatures[0],
                MaxOutputTokens = s.MaxTokens,
                Seed = 1234,
                Threads = threads,
            };
            using var client = await SpeculativeChatClient.CreateAsync(options, cancellationToken: ct);

            foreach (double temperature in s.Temperatures)
            {
                var group = new List<RunResult>();
                var b = await TimeAsync(baseline, s, temperature, new ChatOptions(), text => weights.Tokenize(text, false, false, Encoding.UTF8).Length, ct);
                group.Add(new RunResult
                {
                    Name = "baseline", Mode = "llamasharp", Verifier = "-", TokensPerSecond = b.Median, GeneratedTokens = b.Tokens,
                    Agreement = agreement, CalibratedAgreement = calibrated, Temperature = temperature, Repeats = b.Rates.Count, TokensPerSecondRuns = b.Rates,
                });
                Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"[a={agreement} T={temperature}] baseline: {b.Median:F1} tok/s"));

                // Native speed: a plain LLamaSharp greedy loop on the same target and prompts, in its own process.
                if (temperature <= 0)
                {
                    var promptTokens = Prompts.Select(p => client.TokenizePrompt([new ChatMessage(ChatRole.User, p)], null)).ToList();
                    var raw = RawDecodeCommand.RunChild(targetPath, promptTokens, s.MaxTokens, s.Repeats, threads, [1]);
                    group.Add(new RunResult
                    {
                        Name = "raw", Mode = "raw", Verifier = "-", TokensPerSecond = raw.TokensPerSecond, Agreement = agreement, CalibratedAgreement = calibrated,
                        Temperature = temperature, Repeats = raw.TokensPerSecondRuns.Count, TokensPerSecondRuns = raw.TokensPerSecondRuns,
                    });
                    Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"[a={agreement} T={temperature}] raw: {raw.TokensPerSecond:F1} tok/s"));
                }

                double singleTokenMs = double.NaN;
                async Task Run(RunSpec spec)
                {
                    var (result, bound, single) = await RunSpecAsync(client, s, spec, temperature, agreement, calibrated, singleTokenMs, ct);
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

                await Run(new("none", SpeculationMode.None, "-", 0, 1));
                int[] lengths = s.Sweep ? [2, 3, 4] : [2, 3, 4, 6];
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

                double baseTps = group[0].TokensPerSecond ?? double.NaN;
                double noneTps = group.First(r => r.Name == "none").TokensPerSecond ?? double.NaN;
                double rawTps = group.FirstOrDefault(r => r.Name == "raw")?.TokensPerSecond ?? double.NaN;
                foreach (var r in group.Where(r => r.TokensPerSecond is not null))
                {
                    r.SpeedupVsBaseline = Finite(r.TokensPerSecond!.Value / baseTps);
                    r.SpeedupVsNone = Finite(r.TokensPerSecond.Value / noneTps);
                    r.SpeedupVsRaw = Finite(r.TokensPerSecond.Value / rawTps);
                    if (r.BoundSpeedup is { } bound)
                    {
                        r.Efficiency = Finite(r.TokensPerSecond.Value / noneTps / bound);
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
        var samples = BatchCostSamples(machineCost);
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
            double bMean = x.BatchCalls.Sum(kv => kv.Value * Interpolate(curve, kv.Key)) / steps;
            r.MeanVerifyBatch = Finite((double)x.BatchCalls.Sum(kv => (long)kv.Key * kv.Value) / steps);
            r.BatchCostFactor = Finite(bMean);
            r.BoundSpeedupBatchCost = Finite((1 - Math.Pow(x.A, x.G + 1)) / ((1 - x.A) * (x.G * x.C + bMean)));
            if (r.SpeedupVsNone is { } vsNone && r.BoundSpeedupBatchCost is { } boundBatch)
            {
                r.EfficiencyBatchCost = Finite(vsNone / boundBatch);
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
                Cpu = CpuModel(),
                Backend = "LLamaSharp.Backend.Cpu 0.30.0",
                Command = "specai " + string.Join(' ', Environment.GetCommandLineArgs().Skip(1)),
                Target = targetName,
                Draft = draftName,
                MaxTokens = s.MaxTokens,
                Repeats = s.Repeats,
                Temperature = s.Temperatures[0],
                Temperatures = s.Temperatures,
                Agreements = s.Target is null ? s.Agreements : [],
                SingleTokenTargetMs = Finite(samples.FirstOrDefault(p => p.Tokens == 1)?.MeanMilliseconds ?? double.NaN),
                WallSeconds = Math.Round(total.Elapsed.TotalSeconds, 1),
            },
        };
        string table = Markdown(report, s.Sweep);
        Console.WriteLine(table);
        if (s.Json is { } jsonPath)
        {
            Write(jsonPath, JsonSerializer.Serialize(report, JsonOptions));
        }

        if (s.Markdown is { } mdPath)
        {
            Write(mdPath, table);
        }

        if (s.Plot is { } plotPath)
        {
            Plot(report, s, plotPath);
        }

        return 0;
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
        SpeculativeChatClient client, BenchSettings s, RunSpec spec, double temperature, double? agreement, double? calibrated, double singleTokenMs, CancellationToken ct)
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

        var result = new RunResult
        {
            Name = spec.Name, Mode = spec.Mode.ToString(), Verifier = spec.Verifier, DraftLength = spec.DraftLength, DraftCount = spec.DraftCount,
            Adaptive = spec.Adaptive, Agreement = agreement, CalibratedAgreement = calibrated, Temperature = temperature,
        };
        BoundInputs? bound = null;
        double single = double.NaN;
        try
        {
            Snapshot? before = null;
            var r = await TimeAsync(client, s, temperature, chat, null, ct, afterWarmup: () => before = Snapshot.Of(client.Statistics));
            var d = Snapshot.Of(client.Statistics) - before!;
            result.TokensPerSecond = r.Median;
            result.TokensPerSecondRuns = r.Rates;
            result.Repeats = r.Rates.Count;
            result.GeneratedTokens = r.Tokens;
            result.TargetCalls = d.TargetCalls;
            result.StepsWithSpeculationOff = d.SpeculationOff;
            result.TargetMsPerCall = Finite(d.TargetMs / d.TargetCalls);
            result.VerifyMsPerCall = Finite(d.VerifyMs / d.TargetCalls);
            if (spec.Adaptive)
            {
                result.FinalDraftLength = client.Statistics.CurrentDraftLength;
            }

            if (d.SingleCalls > 0)
            {
                single = d.SingleMs / d.SingleCalls;
            }

            double unit = spec.Mode == SpeculationMode.None ? single : singleTokenMs;
            if (d.Drafted > 0 && d.TargetCalls > 0)
            {
                result.AcceptanceRate = (double)d.Accepted / d.Drafted;
                result.MeanAcceptedLength = (double)d.Accepted / d.TargetCalls;
                double g = (double)d.Drafted / d.TargetCalls / spec.DraftCount; // drafted tokens per draft sequence per step
                double a = SolveAcceptance(result.MeanAcceptedLength.Value, g);
                double draftStepMs = d.DraftCalls > 0 ? d.DraftMs / d.DraftCalls : double.NaN;

                // Multi-draft decodes k drafts per batch; PromptLookup has no draft model (c = 0).
                double c = spec.Mode == SpeculationMode.PromptLookup ? d.DraftMs / Math.Max(1, d.Drafted) / unit : draftStepMs / unit;
                result.DraftTokensPerStep = Finite(g);
                result.PerTokenAcceptance = Finite(a);
                result.CostRatio = Finite(c);
                result.BoundSpeedup = Finite((1 - Math.Pow(a, g + 1)) / ((1 - a) * (g * c + 1)));
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

    /// <summary>Warm-up request, then <c>Repeats</c> timed requests, each a new one-message conversation with a different prompt.</summary>
    private static async Task<(double Median, long Tokens, List<double> Rates)> TimeAsync(
        IChatClient client, BenchSettings s, double temperature, ChatOptions baseOptions, Func<string, int>? countTokens, CancellationToken ct, Action? afterWarmup = null)
    {
        ChatOptions Options()
        {
            var o = baseOptions.Clone();
            o.MaxOutputTokens = s.MaxTokens;
            o.Temperature = (float)temperature;
            o.Seed = 1234;
            return o;
        }

        await client.GetResponseAsync([new ChatMessage(ChatRole.User, "Hello, warm up please.")], Options(), ct);
        afterWarmup?.Invoke();
        var rates = new List<double>();
        long tokens = 0;
        for (int i = 0; i < s.Repeats; i++)
        {
            var sw = Stopwatch.StartNew();
            var response = await client.GetResponseAsync([new ChatMessage(ChatRole.User, Prompts[i % Prompts.Length])], Options(), ct);
            sw.Stop();
            long n = response.Usage?.OutputTokenCount ?? countTokens?.Invoke(response.Text) ?? 0;
            tokens += n;
            rates.Add(Math.Round(n / sw.Elapsed.TotalSeconds, 2));
        }

        return (Median(rates), tokens, rates);
    }

    private static double Median(IEnumerable<double> values)
    {
        var v = values.Order().ToList();
        return v.Count == 0 ? double.NaN : v.Count % 2 == 1 ? v[v.Count / 2] : (v[v.Count / 2 - 1] + v[v.Count / 2]) / 2;
    }

    private static List<BatchCostSample> BatchCostSamples(Dictionary<int, (long Calls, double TotalMs)> cost)
    {
        double one = cost.TryGetValue(1, out var c1) && c1.Calls > 0 ? c1.TotalMs / c1.Calls : double.NaN;
        return cost.Where(kv => kv.Value.Calls > 0).OrderBy(kv => kv.Key).Select(kv => new BatchCostSample
        {
            Tokens = kv.Key,
            Calls = kv.Value.Calls,
            MeanMilliseconds = Math.Round(kv.Value.TotalMs / kv.Value.Calls, 3),
            Ratio = Math.Round(kv.Value.TotalMs / kv.Value.Calls / one, 3),
        }).Where(p => double.IsFinite(p.Ratio)).ToList();
    }

    /// <summary>b(n): linear between measured sizes; beyond them the slope of the two nearest sizes (flat from one size).</summary>
    internal static double Interpolate(IReadOnlyDictionary<int, double> curve, double n)
    {
        var pts = curve.OrderBy(kv => kv.Key).ToList();
        if (pts.Count == 1 || n <= pts[0].Key)
        {
            return pts[0].Value;
        }

        int i = pts.FindIndex(p => p.Key >= n);
        i = i < 0 ? pts.Count - 1 : i;
        var (x0, y0) = (pts[i - 1].Key, pts[i - 1].Value);
        var (x1, y1) = (pts[i].Key, pts[i].Value);
        return y0 + (y1 - y0) * (n - x0) / (x1 - x0);
    }

    /// <summary>Per-token acceptance a with E[accepted per step] = a (1 - a^g) / (1 - a) (Leviathan's i.i.d. model).</summary>
    private static double SolveAcceptance(double meanAccepted, double g)
    {
        if (g <= 0)
        {
            return 0;
        }

        double lo = 0, hi = 1 - 1e-9;
        for (int i = 0; i < 100; i++)
        {
            double mid = (lo + hi) / 2;
            double e = mid * (1 - Math.Pow(mid, g)) / (1 - mid);
            (lo, hi) = e < meanAccepted ? (mid, hi) : (lo, mid);
        }

        return (lo + hi) / 2;
    }

    private static double? Finite(double v) => double.IsFinite(v) ? v : null;

    private static void Write(string path, string text)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        File.WriteAllText(path, text);
    }

    private static string CpuModel()
    {
        try
        {
            return File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown";
        }
        catch (IOException)
        {
            return "unknown";
        }
    }

    private static string F(double? v, string fmt = "F2") => v is { } x ? x.ToString(fmt, CultureInfo.InvariantCulture) : "-";

    private static string Markdown(BenchReport report, bool sweep)
    {
        var sb = new StringBuilder();
        string pre = sweep ? "| agreement | T " : "";
        string preSep = sweep ? "|---|---" : "";
        sb.AppendLine(pre + "| run | mode | verifier | g | k | tok/s (median) | tokens | target calls | acceptance | mean accepted | c | bound | efficiency | mean batch | b(batch) | bound (batch cost) | efficiency (batch cost) | vs none | vs baseline | vs raw | note |");
        sb.AppendLine(preSep + "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
        foreach (var r in report.Runs)
        {
            string name = r.BestDraft ? r.Name + " *" : r.Name;
            string prefix = sweep ? $"| {F(r.Agreement)} | {F(r.Temperature, "G3")} " : "";
            sb.AppendLine(CultureInfo.InvariantCulture,
                $"{prefix}| {name} | {r.Mode} | {r.Verifier} | {r.DraftLength} | {r.DraftCount} | {F(r.TokensPerSecond, "F1")} | {r.GeneratedTokens} | {r.TargetCalls?.ToString(CultureInfo.InvariantCulture) ?? "-"} | {F(r.AcceptanceRate, "F3")} | {F(r.MeanAcceptedLength)} | {F(r.CostRatio, "F3")} | {F(r.BoundSpeedup)} | {F(r.Efficiency)} | {F(r.MeanVerifyBatch)} | {F(r.BatchCostFactor)} | {F(r.BoundSpeedupBatchCost)} | {F(r.EfficiencyBatchCost)} | {F(r.SpeedupVsNone)} | {F(r.SpeedupVsBaseline)} | {F(r.SpeedupVsRaw)} | {r.Status ?? ""} |");
        }

        if (sweep)
        {
            sb.AppendLine();
            sb.AppendLine("| agreement | T | baseline tok/s | none tok/s | best draft (g) tok/s | vs baseline | eff. (batch cost) | adaptive tok/s | vs baseline | multi k=2 tok/s | vs baseline |");
            sb.AppendLine("|---|---|---|---|---|---|---|---|---|---|---|");
            foreach (var g in report.Runs.GroupBy(r => (r.Agreement, r.Temperature)))
            {
                var rows = g.ToList();
                var baseline = rows.First(r => r.Name == "baseline");
                var none = rows.FirstOrDefault(r => r.Name == "none");
                var best = rows.FirstOrDefault(r => r.BestDraft);
                var adaptive = rows.FirstOrDefault(r => r.Adaptive);
                var multi = rows.FirstOrDefault(r => r.Mode == nameof(SpeculationMode.MultiDraft));
                sb.AppendLine(CultureInfo.InvariantCulture,
                    $"| {F(g.Key.Agreement)} | {F(g.Key.Temperature, "G3")} | {F(baseline.TokensPerSecond, "F1")} | {F(none?.TokensPerSecond, "F1")} | {F(best?.TokensPerSecond, "F1")} (g{best?.DraftLength}) | {F(best?.SpeedupVsBaseline)} | {F(best?.EfficiencyBatchCost)} | {F(adaptive?.TokensPerSecond, "F1")} | {F(adaptive?.SpeedupVsBaseline)} | {F(multi?.TokensPerSecond, "F1")} ({multi?.Verifier}) | {F(multi?.SpeedupVsBaseline)} |");
            }
        }

        sb.AppendLine();
        sb.AppendLine("Target batch cost on this machine (all speculative runs; b(n) = mean ms of an n-token verify batch / mean ms of one token):");
        sb.AppendLine();
        sb.AppendLine("| n | calls | mean ms | b(n) |");
        sb.AppendLine("|---|---|---|---|");
        foreach (var p in report.BatchCostSamples)
        {
            sb.AppendLine(CultureInfo.InvariantCulture, $"| {p.Tokens} | {p.Calls} | {p.MeanMilliseconds:F2} | {p.Ratio:F2} |");
        }

        return sb.ToString();
    }

    private static void Plot(BenchReport report, BenchSettings s, string path)
    {
        var plt = new ScottPlot.Plot();
        var groups = report.Runs.GroupBy(r => (r.Agreement, r.Temperature)).ToList();
        if (s.Sweep && s.Agreements.Length > 1)
        {
            foreach (double t in s.Temperatures)
            {
                foreach (var (label, pick) in new (string, Func<RunResult, bool>)[]
                {
                    ("best draft", r => r.BestDraft), ("adaptive", r => r.Adaptive), ("multi k=2", r => r.Mode == nameof(SpeculationMode.MultiDraft)),
                })
                {
                    var pts = groups.Where(g => g.Key.Temperature == t)
                        .Select(g => (X: g.Key.Agreement ?? double.NaN, Y: g.FirstOrDefault(pick)?.SpeedupVsBaseline ?? double.NaN))
                        .Where(p => double.IsFinite(p.X) && double.IsFinite(p.Y)).ToList();
                    var sc = plt.Add.Scatter(pts.Select(p => p.X).ToArray(), pts.Select(p => p.Y).ToArray());
                    sc.LegendText = string.Create(CultureInfo.InvariantCulture, $"{label}, T={t}");
                }
            }

            plt.Add.HorizontalLine(1.0);
            plt.XLabel("target/draft agreement");
            plt.YLabel("speedup vs LLamaSharp AsChatClient");
            plt.ShowLegend();
            plt.Title($"specai bench sweep ({Environment.ProcessorCount} cores, {s.MaxTokens} tokens, median of {s.Repeats})");
        }
        else
        {
            var ok = report.Runs.Where(r => r.TokensPerSecond is not null).ToList();
            plt.Add.Bars(ok.Select(r => r.TokensPerSecond!.Value).ToArray());
            string Label(RunResult r) => groups.Count > 1 ? string.Create(CultureInfo.InvariantCulture, $"{r.Name} T={r.Temperature}") : r.Name;
            plt.Axes.Bottom.SetTicks(Enumerable.Range(0, ok.Count).Select(i => (double)i).ToArray(), ok.Select(Label).ToArray());
            plt.Axes.Bottom.TickLabelStyle.Rotation = 30;
            plt.Axes.Bottom.TickLabelStyle.Alignment = ScottPlot.Alignment.MiddleLeft;
            plt.Axes.Margins(bottom: 0);
            plt.Axes.Bottom.MinimumSize = 110;
            plt.YLabel("tokens / s (median)");
            plt.Title(string.Create(CultureInfo.InvariantCulture, $"specai bench ({Environment.ProcessorCount} cores, {s.MaxTokens} tokens, T={string.Join(',', s.Temperatures)}, median of {s.Repeats})"));
        }

        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        plt.SavePng(path, 900, 550);
    }

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    private sealed record Snapshot(
        long TargetCalls, long Drafted, long Accepted, long DraftCalls, double DraftMs, long SingleCalls, double SingleMs,
        double TargetMs, double VerifyMs, long SpeculationOff, IReadOnlyDictionary<int, long> BatchCalls)
    {
        public static Snapshot Of(SpeculationStatistics st)
        {
            var cost = st.TargetBatchCost();
            var one = cost.TryGetValue(1, out var v) ? v : (0, 0.0);
            return new(
                st.TargetCalls, st.DraftedTokens, st.AcceptedTokens, st.DraftCalls, st.DraftTime.TotalMilliseconds, one.Item1, one.Item1 * one.Item2,
                st.TargetTime.TotalMilliseconds, st.VerifyTime.TotalMilliseconds, st.StepsWithSpeculationOff, cost.ToDictionary(kv => kv.Key, kv => kv.Value.Calls));
        }

        public static Snapshot operator -(Snapshot a, Snapshot b) => new(
            a.TargetCalls - b.TargetCalls, a.Drafted - b.Drafted, a.Accepted - b.Accepted, a.DraftCalls - b.DraftCalls,
            a.DraftMs - b.DraftMs, a.SingleCalls - b.SingleCalls, a.SingleMs - b.SingleMs, a.TargetMs - b.TargetMs, a.VerifyMs - b.VerifyMs,
            a.SpeculationOff - b.SpeculationOff,
            a.BatchCalls.Select(kv => (kv.Key, Calls: kv.Value - b.BatchCalls.GetValueOrDefault(kv.Key))).Where(x => x.Calls > 0).ToDictionary(x => x.Key, x => x.Calls));
    }
}

/// <summary>JSON report.</summary>
internal sealed class BenchReport
{
    public required List<RunResult> Runs { get; init; }

    /// <summary>Machine-level b(n): target time of an n-token batch / single-token time (sizes with at least 2 calls).</summary>
    public required SortedDictionary<int, double> BatchCostCurve { get; init; }

    public required List<BatchCostSample> BatchCostSamples { get; init; }

    public required MachineInfo Machine { get; init; }
}

/// <summary>One measured target batch size.</summary>
internal sealed class BatchCostSample
{
    public int Tokens { get; init; }

    public long Calls { get; init; }

    public double MeanMilliseconds { get; init; }

    public double Ratio { get; init; }
}

/// <summary>One benchmark row.</summary>
internal sealed class RunResult
{
    public required string Name { get; init; }

    public required string Mode { get; init; }

    public required string Verifier { get; init; }

    public int DraftLength { get; init; }

    public int DraftCount { get; init; } = 1;

    public bool Adaptive { get; init; }

    public double? Agreement { get; init; }

    public double? CalibratedAgreement { get; init; }

    public double Temperature { get; init; }

    /// <summary>Median over the timed requests.</summary>
    public double? TokensPerSecond { get; set; }

    public List<double>? TokensPerSecondRuns { get; set; }

    public int Repeats { get; set; }

    public long GeneratedTokens { get; set; }

    public long? TargetCalls { get; set; }

    public double? TargetMsPerCall { get; set; }

    public double? VerifyMsPerCall { get; set; }

    public long? StepsWithSpeculationOff { get; set; }

    public int? FinalDraftLength { get; set; }

    public double? AcceptanceRate { get; set; }

    public double? MeanAcceptedLength { get; set; }

    public double? DraftTokensPerStep { get; set; }

    public double? PerTokenAcceptance { get; set; }

    public double? CostRatio { get; set; }

    public double? BoundSpeedup { get; set; }

    public double? Efficiency { get; set; }

    public double? MeanVerifyBatch { get; set; }

    public double? BatchCostFactor { get; set; }

    public double? BoundSpeedupBatchCost { get; set; }

    public double? EfficiencyBatchCost { get; set; }

    public double? SpeedupVsNone { get; set; }

    public double? SpeedupVsBaseline { get; set; }

    /// <summary>Tokens/s relative to the plain LLamaSharp greedy loop in its own process (row <c>raw</c>, T = 0 only).</summary>
    public double? SpeedupVsRaw { get; set; }

    /// <summary>Fastest single-draft length among 2, 3, 4 in its (agreement, temperature) group.</summary>
    public bool BestDraft { get; set; }

    public string? Status { get; set; }
}

/// <summary>Where the benchmark ran.</summary>
internal sealed class MachineInfo
{
    public int Cores { get; init; }

    public required string Os { get; init; }

    public required string Runtime { get; init; }

    public required string Architecture { get; init; }

    public required string Cpu { get; init; }

    public required string Backend { get; init; }

    public required string Command { get; init; }

    public required string Target { get; init; }

    public required string Draft { get; init; }

    public int MaxTokens { get; init; }

    public int Repeats { get; init; }

    public double Temperature { get; init; }

    public required double[] Temperatures { get; init; }

    public required double[] Agreements { get; init; }

    public double? SingleTokenTargetMs { get; init; }

    public double WallSeconds { get; init; }
}
