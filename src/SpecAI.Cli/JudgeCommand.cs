using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using SpecAI.Extensions.Judge;

namespace SpecAI.Cli;

/// <summary>
/// <c>specai judge train</c> and <c>specai judge eval</c>: train a judge head (LOSSY judge decoding) for a target/draft
/// pair from labelled data, automatic AutoJudge labels or self-labels, and measure its speed/quality trade.
/// </summary>
internal static class JudgeCommand
{
    private static readonly string[] DefaultPrompts =
    [
        "Tell me a short story.", "Explain how rain forms.", "Write a friendly greeting.", "Describe your favourite food.",
        "What is a computer?", "Give three tips for sleeping well.", "Once upon a time,", "Why is the sky blue?",
    ];

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public static Command Create()
    {
        var judge = new Command("judge", "Judge decoding tools (judge decoding is LOSSY: it keeps drafts the target would not have produced).");
        judge.Subcommands.Add(CreateTrain());
        judge.Subcommands.Add(JudgeEvalCommand.Create());
        return judge;
    }

    private static Command CreateTrain()
    {
        var target = new Option<string>("--target") { Description = "Target GGUF.", Required = true };
        var draft = new Option<string>("--draft") { Description = "Draft GGUF (same vocabulary; used by --auto-label and the self-labelled mode).", Required = true };
        var output = new Option<string>("--out") { Description = "Judge head file to write (SPJH v2, bound to the target).", Required = true };
        var data = new Option<string?>("--data") { Description = "Labelled JSON Lines: {\"prompt\", \"response\", \"bad_spans\": [[start, end], ...]} or {\"prompt\", \"tokens\": [{\"text\", \"ok\"}, ...]} (see docs/judge.md)." };
        var autoLabel = new Option<bool>("--auto-label") { Description = "Add automatic labels (AutoJudge): mine draft/target mismatches on the prompts and keep a draft token when the target's continuation after it is unchanged." };
        var autoTokens = new Option<int>("--auto-label-tokens") { Description = "N for --auto-label: continuation tokens that must agree.", DefaultValueFactory = _ => 4 };
        var prompts = new Option<string?>("--prompts") { Description = "Text file with one prompt per line, for --auto-label or the self-labelled mode (default: the --data prompts, else a small built-in set)." };
        var tokens = new Option<int>("--tokens") { Description = "Tokens generated per prompt by --auto-label and the self-labelled mode.", DefaultValueFactory = _ => 64 };
        var threshold = new Option<double?>("--threshold") { Description = "The head's default threshold in [0, 1] (default: the lowest that accepts at most --max-bad-acceptance of the held-out tokens labelled wrong)." };
        var maxBadAcceptance = new Option<double>("--max-bad-acceptance") { Description = "Share of held-out wrong tokens the default threshold may accept.", DefaultValueFactory = _ => new JudgeTrainingOptions().MaxBadAcceptance };
        var heldOut = new Option<double>("--held-out") { Description = "Share of rows held out for evaluation.", DefaultValueFactory = _ => 0.2 };
        var seed = new Option<long>("--seed") { Description = "Seed of the held-out split (use the same with judge eval).", DefaultValueFactory = _ => 0 };
        var epochs = new Option<int>("--epochs") { Description = "Training epochs.", DefaultValueFactory = _ => 300 };
        var l2 = new Option<double>("--l2") { Description = "L2 penalty (standardised features).", DefaultValueFactory = _ => new JudgeTrainingOptions().L2 };
        var context = new Option<int>("--context") { Description = "Context size.", DefaultValueFactory = _ => 2048 };
        var threads = new Option<int>("--threads") { Description = "CPU threads (0 = llama.cpp's default).", DefaultValueFactory = _ => 0 };
        var report = new Option<string?>("--report") { Description = "Also write the training report (AUC, precision/recall per threshold) as JSON here." };
        var train = new Command("train", "Train a judge head from labelled data (--data), automatic labels (--auto-label), or self-labels (neither: draft tokens the target gives >= 10% probability are acceptable).");
        foreach (var option in new Option[] { target, draft, output, data, autoLabel, autoTokens, prompts, tokens, threshold, maxBadAcceptance, heldOut, seed, epochs, l2, context, threads, report })
        {
            train.Options.Add(option);
        }

        train.SetAction(async (parse, cancellationToken) =>
        {
            string draftPath = parse.GetValue(draft)!;
            if (!File.Exists(draftPath))
            {
                throw new FileNotFoundException($"Draft model '{draftPath}' does not exist.", draftPath);
            }

            using var teacher = await JudgeTeacher.LoadAsync(parse.GetValue(target)!, parse.GetValue(context), parse.GetValue(threads), cancellationToken);
            var examples = new List<JudgeTokenExample>();
            string? dataPath = parse.GetValue(data);
            var rows = dataPath is null ? null : JudgeDataset.Load(dataPath);
            if (rows is not null)
            {
                var (labelled, skipped) = JudgeDataCollector.CollectLabelled(teacher, rows, cancellationToken);
                examples.AddRange(labelled);
                Console.WriteLine(Invariant($"Labelled data: {rows.Count} rows, {labelled.Count} tokens ({labelled.Count(e => !e.Acceptable)} in bad spans){(skipped > 0 ? $", {skipped} rows skipped (do not round-trip through the tokenizer or do not fit the context)" : string.Empty)}."));
            }

            string? promptFile = parse.GetValue(prompts);
            var promptList = promptFile is not null ? File.ReadAllLines(promptFile).Where(l => l.Trim().Length > 0).ToArray()
                : rows is not null ? rows.Select(r => r.Prompt).Distinct().ToArray() : DefaultPrompts;
            if (parse.GetValue(autoLabel))
            {
                var auto = await AutoJudgeLabeler.CollectAsync(teacher, draftPath, promptList, new AutoJudgeOptions
                {
                    TokensPerPrompt = parse.GetValue(tokens),
                    ContinuationTokens = parse.GetValue(autoTokens),
                    Threads = parse.GetValue(threads),
                }, cancellationToken);
                // The data's distinct prompts, in order, are its groups (one side of the split); other prompts get groups of their own.
                int offset = promptFile is not null && rows is not null ? rows.Count : 0;
                examples.AddRange(auto.Examples.Select(e => e with { Group = e.Group + offset }));
                Console.WriteLine(Invariant($"Automatic labels: {auto.Positions} target tokens, {auto.Mismatches} draft mismatches, {auto.Equivalent} of them acceptable (continuation unchanged for {parse.GetValue(autoTokens)} tokens)."));
            }
            else if (rows is null)
            {
                var self = await JudgeDataCollector.CollectSelfLabelledAsync(teacher, draftPath, promptList, parse.GetValue(tokens), cancellationToken: cancellationToken);
                examples.AddRange(self);
                Console.WriteLine(Invariant($"Self-labelled: {self.Count} draft tokens, {self.Count(e => e.Acceptable)} acceptable (target probability >= 0.1)."));
            }

            var result = JudgeTrainer.Train(examples, new JudgeTrainingOptions
            {
                Epochs = parse.GetValue(epochs),
                L2 = parse.GetValue(l2),
                HeldOutFraction = parse.GetValue(heldOut),
                Seed = parse.GetValue(seed),
                Threshold = parse.GetValue(threshold),
                MaxBadAcceptance = parse.GetValue(maxBadAcceptance),
                Target = teacher.Fingerprint,
            });
            string outputPath = parse.GetValue(output)!;
            Bench.BenchOutput.CreateFolderOf(outputPath);
            result.Head.Save(outputPath);
            PrintReport(result);
            if (parse.GetValue(report) is { } reportPath)
            {
                File.WriteAllText(reportPath, JsonSerializer.Serialize(new
                {
                    result.TrainCount, result.TrainAcceptable, result.HeldOutCount, result.HeldOutAcceptable, result.TrainAuc, result.HeldOutAuc,
                    Threshold = result.Head.Threshold, result.ThresholdRule, Target = result.Head.Target?.ToString(), Thresholds = result.HeldOut,
                }, JsonOptions));
            }

            Console.WriteLine(Invariant($"Wrote {parse.GetValue(output)} (hidden size {result.Head.HiddenSize}, threshold {result.Head.Threshold:0.###}, target {teacher.Fingerprint})."));
            Console.WriteLine("Serve it with SpeculativeChatClientOptions.JudgeHeadPath and specai.mode = judge; measure it with `specai judge eval`. Judge decoding is LOSSY.");
            return 0;
        });

        return train;
    }

    private static void PrintReport(JudgeTrainingResult r)
    {
        Console.WriteLine(Invariant($"Trained on {r.TrainCount} tokens ({r.TrainAcceptable} acceptable), held out {r.HeldOutCount} ({r.HeldOutAcceptable} acceptable). AUC: train {r.TrainAuc:F3}, held-out {r.HeldOutAuc:F3}."));
        Console.WriteLine(Invariant($"Threshold {r.Head.Threshold:0.###} ({r.ThresholdRule}). {(r.HeldOutCount > 0 ? "Held-out" : "Training")} tokens per threshold (judge accepts score > threshold):"));
        Console.WriteLine("threshold  precision  recall  accepted  bad accepted");
        foreach (var m in r.HeldOut)
        {
            Console.WriteLine(Invariant($"{m.Threshold,9:F2}  {m.Precision,9:F3}  {m.Recall,6:F3}  {m.AcceptedShare,8:F3}  {m.BadAcceptance,12:F3}"));
        }
    }

    internal static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
