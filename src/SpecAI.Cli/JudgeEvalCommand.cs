using System.CommandLine;
using System.Globalization;
using SpecAI.Extensions.Judge;
using static SpecAI.Cli.JudgeCommand;

namespace SpecAI.Cli;

/// <summary><c>specai judge eval</c>: the speed/quality sweep of a judge head (LOSSY) against standard verification, as JSON and a plot.</summary>
internal static class JudgeEvalCommand
{
    public static Command Create()
    {
        var target = new Option<string>("--target") { Description = "Target GGUF.", Required = true };
        var draft = new Option<string>("--draft") { Description = "Draft GGUF (same vocabulary).", Required = true };
        var head = new Option<string>("--head") { Description = "Judge head file.", Required = true };
        var data = new Option<string>("--data") { Description = "Labelled JSON Lines (the held-out rows give the prompts and the labelled spans).", Required = true };
        var json = new Option<string>("--json") { Description = "Write the sweep as JSON here.", Required = true };
        var plot = new Option<string?>("--plot") { Description = "Also plot quality against tokens per target call (PNG)." };
        var thresholds = new Option<string?>("--thresholds") { Description = "Comma-separated thresholds (default 0,0.1,...,1; 1 and the head's default are always added)." };
        var samples = new Option<int>("--samples") { Description = "Generations per prompt and threshold (seeds 0..n-1).", DefaultValueFactory = _ => 4 };
        var maxTokens = new Option<int>("--max-tokens") { Description = "Tokens per generation.", DefaultValueFactory = _ => 64 };
        var temperature = new Option<double>("--temperature") { Description = "Sampling temperature.", DefaultValueFactory = _ => 1.0 };
        var draftLength = new Option<int>("--draft-length") { Description = "Draft length.", DefaultValueFactory = _ => 4 };
        var maxJudged = new Option<int?>("--max-judged") { Description = "MaxJudgedTokensPerStep (default: no limit)." };
        var heldOut = new Option<double>("--held-out") { Description = "Share of rows held out, as in judge train (1 = every row).", DefaultValueFactory = _ => 0.2 };
        var seed = new Option<long>("--seed") { Description = "Seed of the held-out split, as in judge train.", DefaultValueFactory = _ => 0 };
        var maxPrompts = new Option<int?>("--max-prompts") { Description = "Use at most this many held-out prompts." };
        var threads = new Option<int>("--threads") { Description = "CPU threads (0 = llama.cpp's default).", DefaultValueFactory = _ => 0 };
        var command = new Command("eval", "Sweep judge thresholds against standard verification on held-out prompts: tokens per target call, judge-accepted tokens, quality against the target's own output.");
        foreach (var option in new Option[] { target, draft, head, data, json, plot, thresholds, samples, maxTokens, temperature, draftLength, maxJudged, heldOut, seed, maxPrompts, threads })
        {
            command.Options.Add(option);
        }

        command.SetAction(async (parse, cancellationToken) =>
        {
            var report = await JudgeEvaluator.EvaluateAsync(new JudgeEvaluationOptions
            {
                TargetModelPath = parse.GetValue(target)!,
                DraftModelPath = parse.GetValue(draft)!,
                HeadPath = parse.GetValue(head)!,
                Rows = JudgeDataset.Load(parse.GetValue(data)!),
                Thresholds = parse.GetValue(thresholds)?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                    .Select(t => double.Parse(t, CultureInfo.InvariantCulture)).ToArray(),
                SamplesPerPrompt = parse.GetValue(samples),
                MaxTokens = parse.GetValue(maxTokens),
                Temperature = parse.GetValue(temperature),
                DraftLength = parse.GetValue(draftLength),
                MaxJudgedTokensPerStep = parse.GetValue(maxJudged),
                HeldOutFraction = parse.GetValue(heldOut),
                SplitSeed = parse.GetValue(seed),
                MaxPrompts = parse.GetValue(maxPrompts),
                Threads = parse.GetValue(threads),
            }, new Progress<string>(line => Console.Error.WriteLine(line)), cancellationToken);

            string jsonPath = parse.GetValue(json)!;
            Bench.BenchOutput.Write(jsonPath, report.ToJson());
            Console.Write(Markdown(report));
            if (parse.GetValue(plot) is { } plotPath)
            {
                Plot(report, plotPath);
            }

            return report.ThresholdOneReproducesStandard ? 0 : 1;
        });

        return command;
    }

    /// <summary>The sweep as a markdown table (the docs paste it).</summary>
    internal static string Markdown(JudgeEvaluationReport r)
    {
        var sb = new System.Text.StringBuilder();
        sb.AppendLine(Invariant($"Judge sweep (LOSSY below threshold 1): target {r.Target}, draft {r.Draft}, {r.Prompts} held-out prompts x {r.SamplesPerPrompt} samples, {r.MaxTokens} tokens, T={r.Temperature}, draft length {r.DraftLength}; held-out AUC {r.HeldOutAuc:F3}."));
        sb.AppendLine(Invariant($"Threshold 1 reproduces standard verification token for token: {(r.ThresholdOneReproducesStandard ? "yes" : "NO")}."));
        sb.AppendLine();
        sb.AppendLine("| threshold | tokens/target call | vs standard | acceptance | judge-accepted share | quality | quality per position | good-span precision | bad tokens accepted |");
        sb.AppendLine("|---|---|---|---|---|---|---|---|---|");
        foreach (var p in new[] { r.Standard }.Concat(r.Thresholds))
        {
            string name = p.Threshold is { } t ? Invariant($"{t:0.###}{(p.IsDefault ? " (default)" : string.Empty)}") : "standard";
            sb.AppendLine(Invariant($"| {name} | {p.TokensPerTargetCall:F2} | {p.SpeedupVsStandard:F2}x | {p.AcceptanceRate:F3} | {p.JudgeAcceptedShare:F3} | {p.Quality:F3} ± {p.QualityStandardError:F3} | {p.QualityPerPosition:F3} | {Cell(p.GoodSpanPrecision)} | {Cell(p.BadTokenAcceptance)} |"));
        }

        return sb.ToString();
    }

    private static string Cell(double? value) => value is { } v ? v.ToString("F3", CultureInfo.InvariantCulture) : "-";

    private static void Plot(JudgeEvaluationReport r, string path)
    {
        var plt = new ScottPlot.Plot();
        var points = r.Thresholds.ToArray();
        var line = plt.Add.Scatter(points.Select(p => p.TokensPerTargetCall).ToArray(), points.Select(p => p.Quality).ToArray());
        line.LegendText = "judge, by threshold";
        foreach (var p in points)
        {
            var label = plt.Add.Text(Invariant($"{p.Threshold:0.##}{(p.IsDefault ? "*" : string.Empty)}"), p.TokensPerTargetCall, p.Quality);
            label.LabelFontSize = 11;
        }

        var standard = plt.Add.Scatter(new[] { r.Standard.TokensPerTargetCall }, new[] { r.Standard.Quality });
        standard.LegendText = "standard verification (lossless)";
        standard.MarkerSize = 10;
        plt.Add.VerticalLine(1.5 * r.Standard.TokensPerTargetCall).LegendText = "1.5x standard";
        plt.Add.HorizontalLine(0.98).LegendText = "quality 0.98";
        plt.XLabel("tokens per target call");
        plt.YLabel("quality: per-token likelihood vs the target's own samples");
        plt.ShowLegend();
        plt.Title(Invariant($"specai judge eval: {r.Target} + {r.Draft}, T={r.Temperature}, draft length {r.DraftLength} (* = default threshold)"));
        Bench.BenchOutput.SavePlot(plt, path);
    }
}
