using System.CommandLine;
using System.Globalization;
using SpecAI.Extensions.Gguf.Forge;

namespace SpecAI.Cli.Bench;

/// <summary><c>specai bench</c>: LLamaSharp's own chat client vs SpeculativeChatClient modes, same target and prompts; with <c>--concurrency</c>, many callers on one client.</summary>
internal static class BenchCommand
{
    /// <summary>The prompts every row runs, in order (a different one per timed request).</summary>
    internal static readonly string[] Prompts =
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
        var arch = new Option<string?>("--arch") { Description = $"Forge a pair of this architecture (Bench scale) and benchmark it: {string.Join(", ", ArchitectureForge.Names)}; hybrids also report their rollback cost per step." };
        var snapshots = new Option<int?>("--snapshots") { Description = "Recurrent-state snapshots for native rollback (qwen35): default the draft length; 0 rolls hybrids back by checkpoint and replay instead." };
        var tokenizers = ForgeCommand.TokenizersOption();
        var threads = new Option<int>("--threads") { Description = "Native decode threads of every row (raw, baseline and our client); default: one per core, except with --superposed: 1 (on a shared or busy CPU one thread gives the steadiest timings).", DefaultValueFactory = _ => 1 };
        var superposed = new Option<bool>("--superposed") { Description = "Superposed Decoding: k = 2, 3, 5 suggestions vs one completion and k nucleus samples decoded together (wall time, target log-likelihood, distinctness); --target or the forged default target (writes artifacts/bench-superposed.*)." };
        var rawChild = new Option<bool>("--raw-child") { Description = "Run the `raw` row (plain LLamaSharp greedy loop) in a process of its own before the other rows, as earlier versions did, instead of in this process next to every timed request (the default)." };
        var cmd = new Command("bench", "Benchmark baseline (LLamaSharp AsChatClient) vs speculative modes on the same target.");
        foreach (Option o in new Option[] { quick, target, draft, agreement, agreements, maxTokens, repeats, temperature, temperatures, json, markdown, plot, concurrency, family, arch, snapshots, tokenizers, superposed, threads, rawChild })
        {
            cmd.Options.Add(o);
        }

        cmd.SetAction((parse, ct) =>
        {
            if (parse.GetValue(superposed))
            {
                string Output(Option<string?> option, string name) => parse.GetResult(option) is null ? Path.Combine("artifacts", name) : parse.GetValue(option)!;
                string targetPath = parse.GetValue(target) ?? ForgedPair(parse.GetValue(agreement), parse.GetValue(family), parse.GetValue(tokenizers)).Target;
                return SuperposedBench.RunAsync(
                    targetPath, [2, 3, 5], parse.GetValue(maxTokens) ?? 32, parse.GetValue(repeats) ?? (parse.GetValue(quick) ? 3 : 7), parse.GetValue(threads),
                    Output(json, "bench-superposed.json"), Output(markdown, "bench-superposed.md"), Output(plot, "bench-superposed.png"), ct);
            }

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

            string? targetOption = parse.GetValue(target), draftOption = parse.GetValue(draft);
            if (parse.GetValue(arch) is { } architecture)
            {
                if (targetOption is not null || parse.GetValue(family) is not null)
                {
                    throw new ArgumentException("--arch forges its own pair: give it without --target or --family.");
                }

                var pair = ArchitectureForge.GetOrCreate(architecture, Path.Combine(ForgeCommand.DefaultCache(), $"arch-{architecture}-bench"), new ArchitectureForgeOptions { Scale = ForgeFamilyScale.Bench });
                (targetOption, draftOption) = (pair.TargetPath, pair.DraftPath);
                Console.Error.WriteLine($"{architecture}: target {pair.TargetPath}, draft {pair.DraftPath}");
            }

            var agreementList = ParseList(parse.GetValue(agreements), "--agreements") ?? [parse.GetValue(agreement)];
            var temperatureList = ParseList(parse.GetValue(temperatures), "--temperatures") ?? [parse.GetValue(temperature)];
            bool sweep = parse.GetValue(agreements) is not null || parse.GetValue(temperatures) is not null;
            return BenchRunner.RunAsync(
                new BenchSettings(
                    parse.GetValue(quick), targetOption, draftOption, agreementList,
                    parse.GetValue(maxTokens) ?? (parse.GetValue(quick) ? 64 : 128),
                    parse.GetValue(repeats) ?? (parse.GetValue(quick) ? 3 : 10),
                    temperatureList, sweep, parse.GetValue(json), parse.GetValue(markdown), parse.GetValue(plot), parse.GetValue(family), parse.GetValue(tokenizers), parse.GetValue(snapshots), parse.GetValue(rawChild),
                    parse.GetResult(threads) is { Implicit: false } ? Math.Max(1, parse.GetValue(threads)) : null),
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
}
