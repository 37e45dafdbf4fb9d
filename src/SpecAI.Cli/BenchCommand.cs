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
    ];

    public static Command Create()
    {
        var quick = new Option<bool>("--quick") { Description = "Few repeats, 64 tokens, temperature 0 (a few minutes on 2 cores)." };
        var target = new Option<string?>("--target") { Description = "Target GGUF (default: forge the default family into the cache)." };
        var draft = new Option<string?>("--draft") { Description = "Draft GGUF (required with --target)." };
        var agreement = new Option<double>("--agreement") { Description = "Agreement of the forged family.", DefaultValueFactory = _ => 0.9 };
        var maxTokens = new Option<int?>("--max-tokens") { Description = "Tokens per request (default 64 quick, 128 otherwise)." };
        var repeats = new Option<int?>("--repeats") { Description = "Timed requests per run (default 2 quick, 5 otherwise)." };
        var temperature = new Option<double>("--temperature") { Description = "Sampling temperature.", DefaultValueFactory = _ => 0.0 };
        var json = new Option<string?>("--json") { Description = "Write results as JSON here." };
        var markdown = new Option<string?>("--markdown") { Description = "Write a markdown table here." };
        var plot = new Option<string?>("--plot") { Description = "Write a PNG bar chart of tokens/s here." };
        var cmd = new Command("bench", "Benchmark baseline (LLamaSharp AsChatClient) vs speculative modes on the same target.");
        foreach (Option o in new Option[] { quick, target, draft, agreement, maxTokens, repeats, temperature, json, markdown, plot })
        {
            cmd.Options.Add(o);
        }

        cmd.SetAction((parse, ct) => RunAsync(new BenchSettings(
            parse.GetValue(quick), parse.GetValue(target), parse.GetValue(draft), parse.GetValue(agreement),
            parse.GetValue(maxTokens) ?? (parse.GetValue(quick) ? 64 : 128),
            parse.GetValue(repeats) ?? (parse.GetValue(quick) ? 2 : 5),
            parse.GetValue(temperature), parse.GetValue(json), parse.GetValue(markdown), parse.GetValue(plot)), ct));
        return cmd;
    }

    private sealed record BenchSettings(bool Quick, string? Target, string? Draft, double Agreement, int MaxTokens, int Repeats, double Temperature, string? Json, string? Markdown, string? Plot);

    private sealed record RunSpec(string Name, SpeculationMode? Mode, string Verifier, int DraftLength, int DraftCount, bool Adaptive = false);

    private static async Task<int> RunAsync(BenchSettings s, CancellationToken ct)
    {
        string targetPath, draftPath;
        double? agreement = null;
        if (s.Target is null)
        {
            Console.Error.WriteLine($"forging default family (agreement {s.Agreement}) into {ForgeCommand.DefaultCache()} ...");
            var family = LlamaModelForge.GetOrCreateFamily(ForgeCommand.DefaultCache(), ForgeCommand.FamilyOptions(s.Agreement, 32_000));
            (targetPath, draftPath, agreement) = (family.TargetPath, family.DraftPath, family.CalibratedAgreement);
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"target {targetPath}\ndraft  {draftPath}\ncalibrated agreement {family.CalibratedAgreement:F3}, MAC cost ratio {family.CostRatio:F1}"));
        }
        else
        {
            targetPath = s.Target;
            draftPath = s.Draft ?? throw new ArgumentException("--draft is required with --target.");
        }

        int threads = Math.Max(1, Environment.ProcessorCount);
        var results = new List<RunResult>();

        // Baseline: LLamaSharp's own IChatClient over a StatelessExecutor (fresh KV per request by construction).
        {
            var mp = new ModelParams(targetPath) { ContextSize = 2048, Threads = threads, BatchThreads = threads };
            using var weights = LLamaWeights.LoadFromFile(mp);
            var executor = new StatelessExecutor(weights, mp);
            using IChatClient baseline = executor.AsChatClient();
            var r = await TimeAsync(baseline, s, new ChatOptions(), text => weights.Tokenize(text, false, false, Encoding.UTF8).Length, ct);
            results.Add(new RunResult { Name = "baseline", Mode = "llamasharp", Verifier = "-", TokensPerSecond = r.Median, GeneratedTokens = r.Tokens, Agreement = agreement });
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"baseline: {r.Median:F1} tok/s"));
        }

        var options = new SpeculativeChatClientOptions
        {
            TargetModelPath = targetPath,
            DraftModelPath = draftPath,
            ContextSize = 2048,
            Temperature = s.Temperature,
            MaxOutputTokens = s.MaxTokens,
            Seed = 1234,
            Threads = threads,
        };
        using var client = await SpeculativeChatClient.CreateAsync(options, cancellationToken: ct);
        RunSpec[] specs =
        [
            new("none", SpeculationMode.None, "-", 0, 1),
            new("draft-g2", SpeculationMode.DraftModel, "standard", 2, 1),
            new("draft-g4", SpeculationMode.DraftModel, "standard", 4, 1),
            new("draft-g6", SpeculationMode.DraftModel, "standard", 6, 1),
            new("adaptive-g4", SpeculationMode.DraftModel, "standard", 4, 1, Adaptive: true),
            new("multi-kseq-k2-g4", SpeculationMode.MultiDraft, "kseq", 4, 2),
            new("lookup-g4", SpeculationMode.PromptLookup, "standard", 4, 1),
        ];
        double singleTokenMs = double.NaN;
        foreach (var spec in specs)
        {
            var chat = new ChatOptions { AdditionalProperties = [] };
            chat.AdditionalProperties[SpeculativeChatOptionKeys.Mode] = spec.Mode!.Value.ToString();
            if (spec.Mode != SpeculationMode.None)
            {
                chat.AdditionalProperties[SpeculativeChatOptionKeys.DraftLength] = spec.DraftLength;
                chat.AdditionalProperties[SpeculativeChatOptionKeys.Verifier] = spec.Verifier;
                chat.AdditionalProperties[SpeculativeChatOptionKeys.DraftCount] = spec.DraftCount;
                chat.AdditionalProperties[SpeculativeChatOptionKeys.Adaptive] = spec.Adaptive;
            }

            var result = new RunResult
            {
                Name = spec.Name, Mode = spec.Mode.Value.ToString(), Verifier = spec.Verifier,
                DraftLength = spec.DraftLength, DraftCount = spec.DraftCount, Agreement = agreement,
            };
            try
            {
                Snapshot? before = null;
                var r = await TimeAsync(client, s, chat, null, ct, afterWarmup: () => before = Snapshot.Of(client.Statistics));
                var d = Snapshot.Of(client.Statistics) - before!;
                result.TokensPerSecond = r.Median;
                result.GeneratedTokens = r.Tokens;
                result.TargetCalls = d.TargetCalls;
                if (spec.Mode == SpeculationMode.None && d.SingleCalls > 0)
                {
                    singleTokenMs = d.SingleMs / d.SingleCalls;
                }

                if (d.Drafted > 0 && d.TargetCalls > 0)
                {
                    result.AcceptanceRate = (double)d.Accepted / d.Drafted;
                    result.MeanAcceptedLength = (double)d.Accepted / d.TargetCalls;
                    double g = (double)d.Drafted / d.TargetCalls / spec.DraftCount; // drafted tokens per draft sequence per step
                    double a = SolveAcceptance(result.MeanAcceptedLength.Value, g);
                    double draftStepMs = d.DraftCalls > 0 ? d.DraftMs / d.DraftCalls : double.NaN;
                    // Multi-draft decodes k drafts per batch; PromptLookup has no draft model (c = 0).
                    double c = spec.Mode == SpeculationMode.PromptLookup ? d.DraftMs / Math.Max(1, d.Drafted) / singleTokenMs : draftStepMs / singleTokenMs;
                    result.CostRatio = Finite(c);
                    result.BoundSpeedup = Finite((1 - Math.Pow(a, g + 1)) / ((1 - a) * (g * c + 1)));
                }

                Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{spec.Name}: {r.Median:F1} tok/s, target calls {d.TargetCalls}, acc {result.AcceptanceRate:F3}, c {result.CostRatio:F3}"));
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                result.Status = "skipped: " + ex.GetType().Name + ": " + ex.Message;
                Console.Error.WriteLine($"{spec.Name}: {result.Status}");
            }

            results.Add(result);
        }

        double baseTps = results[0].TokensPerSecond ?? double.NaN;
        double noneTps = results.First(r => r.Name == "none").TokensPerSecond ?? double.NaN;
        foreach (var r in results.Where(r => r.TokensPerSecond is not null))
        {
            r.SpeedupVsBaseline = Finite(r.TokensPerSecond!.Value / baseTps);
            if (r.BoundSpeedup is { } bound)
            {
                r.Efficiency = Finite(r.TokensPerSecond.Value / noneTps / bound);
            }
        }

        var report = new BenchReport
        {
            Runs = results,
            Machine = new MachineInfo
            {
                Cores = Environment.ProcessorCount,
                Os = RuntimeInformation.OSDescription,
                Runtime = RuntimeInformation.FrameworkDescription,
                Architecture = RuntimeInformation.ProcessArchitecture.ToString(),
                Cpu = CpuModel(),
                Backend = "LLamaSharp.Backend.Cpu 0.30.0",
                Command = "specai " + string.Join(' ', Environment.GetCommandLineArgs().Skip(1)),
                Target = Path.GetFileName(targetPath),
                Draft = Path.GetFileName(draftPath),
                MaxTokens = s.MaxTokens,
                Repeats = s.Repeats,
                Temperature = s.Temperature,
                SingleTokenTargetMs = Finite(singleTokenMs),
            },
        };
        string table = Markdown(report);
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
            var ok = results.Where(r => r.TokensPerSecond is not null).ToList();
            var plt = new ScottPlot.Plot();
            plt.Add.Bars(ok.Select(r => r.TokensPerSecond!.Value).ToArray());
            plt.Axes.Bottom.SetTicks(Enumerable.Range(0, ok.Count).Select(i => (double)i).ToArray(), ok.Select(r => r.Name).ToArray());
            plt.Axes.Bottom.TickLabelStyle.Rotation = 30;
            plt.Axes.Bottom.TickLabelStyle.Alignment = ScottPlot.Alignment.MiddleLeft;
            plt.Axes.Margins(bottom: 0);
            plt.YLabel("tokens / s");
            plt.Title($"specai bench ({Environment.ProcessorCount} cores, {s.MaxTokens} tokens, T={s.Temperature})");
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(plotPath))!);
            plt.SavePng(plotPath, 800, 500);
        }

        return 0;
    }

    /// <summary>Warm-up request, then <c>Repeats</c> timed requests, each a new one-message conversation with a different prompt.</summary>
    private static async Task<(double Median, long Tokens)> TimeAsync(IChatClient client, BenchSettings s, ChatOptions baseOptions, Func<string, int>? countTokens, CancellationToken ct, Action? afterWarmup = null)
    {
        ChatOptions Options()
        {
            var o = baseOptions.Clone();
            o.MaxOutputTokens = s.MaxTokens;
            o.Temperature = (float)s.Temperature;
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
            rates.Add(n / sw.Elapsed.TotalSeconds);
        }

        rates.Sort();
        double median = rates.Count % 2 == 1 ? rates[rates.Count / 2] : (rates[rates.Count / 2 - 1] + rates[rates.Count / 2]) / 2;
        return (median, tokens);
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

    private static string Markdown(BenchReport report)
    {
        static string F(double? v, string fmt = "F2") => v is { } x ? x.ToString(fmt, CultureInfo.InvariantCulture) : "-";
        var sb = new StringBuilder();
        sb.AppendLine("| run | mode | verifier | g | k | tok/s | tokens | target calls | acceptance | mean accepted | cost ratio c | bound | vs baseline | efficiency | note |");
        sb.AppendLine("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
        foreach (var r in report.Runs)
        {
            sb.AppendLine(CultureInfo.InvariantCulture, $"| {r.Name} | {r.Mode} | {r.Verifier} | {r.DraftLength} | {r.DraftCount} | {F(r.TokensPerSecond, "F1")} | {r.GeneratedTokens} | {r.TargetCalls?.ToString(CultureInfo.InvariantCulture) ?? "-"} | {F(r.AcceptanceRate, "F3")} | {F(r.MeanAcceptedLength)} | {F(r.CostRatio, "F3")} | {F(r.BoundSpeedup)} | {F(r.SpeedupVsBaseline)} | {F(r.Efficiency)} | {r.Status ?? ""} |");
        }

        return sb.ToString();
    }

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    private sealed record Snapshot(long TargetCalls, long Drafted, long Accepted, long DraftCalls, double DraftMs, long SingleCalls, double SingleMs)
    {
        public static Snapshot Of(SpeculationStatistics st)
        {
            var cost = st.TargetBatchCost();
            var one = cost.TryGetValue(1, out var v) ? v : (0, 0.0);
            return new(st.TargetCalls, st.DraftedTokens, st.AcceptedTokens, st.DraftCalls, st.DraftTime.TotalMilliseconds, one.Item1, one.Item1 * one.Item2);
        }

        public static Snapshot operator -(Snapshot a, Snapshot b) => new(
            a.TargetCalls - b.TargetCalls, a.Drafted - b.Drafted, a.Accepted - b.Accepted, a.DraftCalls - b.DraftCalls,
            a.DraftMs - b.DraftMs, a.SingleCalls - b.SingleCalls, a.SingleMs - b.SingleMs);
    }
}

/// <summary>JSON report.</summary>
internal sealed class BenchReport
{
    public required List<RunResult> Runs { get; init; }

    public required MachineInfo Machine { get; init; }
}

/// <summary>One benchmark row.</summary>
internal sealed class RunResult
{
    public required string Name { get; init; }

    public required string Mode { get; init; }

    public required string Verifier { get; init; }

    public int DraftLength { get; init; }

    public int DraftCount { get; init; } = 1;

    public double? TokensPerSecond { get; set; }

    public long GeneratedTokens { get; set; }

    public long? TargetCalls { get; set; }

    public double? AcceptanceRate { get; set; }

    public double? MeanAcceptedLength { get; set; }

    public double? BoundSpeedup { get; set; }

    public double? SpeedupVsBaseline { get; set; }

    public double? Efficiency { get; set; }

    public double? Agreement { get; init; }

    public double? CostRatio { get; set; }

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

    public double? SingleTokenTargetMs { get; init; }
}
