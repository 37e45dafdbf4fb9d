using System.CommandLine;
using System.Globalization;
using SpecAI.Extensions.Judge;

namespace SpecAI.Cli;

/// <summary><c>specai judge train</c>: trains a judge head (LOSSY judge decoding) for a target/draft pair.</summary>
internal static class JudgeCommand
{
    private static readonly string[] DefaultPrompts =
    [
        "Tell me a short story.", "Explain how rain forms.", "Write a friendly greeting.", "Describe your favourite food.",
        "What is a computer?", "Give three tips for sleeping well.", "Once upon a time,", "Why is the sky blue?",
    ];

    public static Command Create()
    {
        var target = new Option<string>("--target") { Description = "Target GGUF.", Required = true };
        var draft = new Option<string>("--draft") { Description = "Draft GGUF (same vocabulary).", Required = true };
        var output = new Option<string>("--out") { Description = "Judge head file to write.", Required = true };
        var prompts = new Option<string?>("--prompts") { Description = "Text file with one prompt per line (default: a small built-in set)." };
        var tokens = new Option<int>("--tokens") { Description = "Draft tokens sampled per prompt.", DefaultValueFactory = _ => 64 };
        var threshold = new Option<double>("--threshold") { Description = "Judge score above which drafts are kept (higher = closer to the target).", DefaultValueFactory = _ => 0.5 };
        var train = new Command("train", "Collect self-labelled examples (draft tokens the target gives >= 10% probability are acceptable) and train a judge head.");
        foreach (var option in new Option[] { target, draft, output, prompts, tokens, threshold })
        {
            train.Options.Add(option);
        }

        train.SetAction(async (parse, cancellationToken) =>
        {
            string? file = parse.GetValue(prompts);
            var lines = file is null ? DefaultPrompts : File.ReadAllLines(file).Where(l => l.Trim().Length > 0).ToArray();
            var examples = await JudgeDataCollector.CollectAsync(parse.GetValue(target)!, parse.GetValue(draft)!, lines, parse.GetValue(tokens), cancellationToken: cancellationToken);
            var head = JudgeTrainer.Train(examples, threshold: parse.GetValue(threshold));
            head.Save(parse.GetValue(output)!);
            int correct = examples.Count(e => head.Score(e.Hidden) > head.Threshold == e.Acceptable);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{examples.Count} examples ({examples.Count(e => e.Acceptable)} acceptable), training accuracy {(double)correct / examples.Count:P1}; wrote {parse.GetValue(output)} (hidden size {head.HiddenSize})."));
            Console.WriteLine("Use it with SpeculativeChatClientOptions.JudgeHeadPath and specai.mode = judge. Judge decoding is LOSSY.");
            return 0;
        });

        var judge = new Command("judge", "Judge decoding tools.");
        judge.Subcommands.Add(train);
        return judge;
    }
}
