using System.CommandLine;
using System.Globalization;
using Microsoft.Extensions.AI;
using SpecAI.Extensions;

namespace SpecAI.Cli;

/// <summary>
/// <c>specai acceptance</c>: mean tokens per target call of every verifier on one model pair, side by side in one
/// run (a hardware-independent measure of what multi-draft verification buys over a single draft).
/// </summary>
internal static class AcceptanceCommand
{
    private static readonly (string Mode, string Verifier, int Count)[] Rows =
    [
        ("draft", "standard", 1),
        ("multi", "kseq", 2),
        ("multi", "kseq", 4),
        ("multi", "rrs", 4),
        ("multi", "rrs-wor", 4),
        ("multi", "greedy-draft", 4),
    ];

    public static Command Create()
    {
        var target = new Option<string>("--target") { Description = "Target GGUF.", Required = true };
        var draft = new Option<string>("--draft") { Description = "Draft GGUF (any vocabulary: see --vocabulary-mapping).", Required = true };
        var mapping = new Option<VocabularyMapping>("--vocabulary-mapping") { Description = "How a draft of another vocabulary drafts: Auto, Exact, Intersection or Text.", DefaultValueFactory = _ => VocabularyMapping.Auto };
        var temperature = new Option<double>("--temperature") { Description = "Sampling temperature.", DefaultValueFactory = _ => 1.0 };
        var draftLength = new Option<int>("--draft-length") { Description = "Draft length g.", DefaultValueFactory = _ => 4 };
        var seeds = new Option<int>("--seeds") { Description = "Requests per row (one seed each).", DefaultValueFactory = _ => 40 };
        var maxTokens = new Option<int>("--max-tokens") { Description = "Tokens per request.", DefaultValueFactory = _ => 64 };
        var prompt = new Option<string>("--prompt") { Description = "User message.", DefaultValueFactory = _ => "Once upon a time, there was a little girl named Lily." };
        var command = new Command("acceptance", "Tokens per target call of each verifier (single draft vs K-SEQ, RRS, RRS without replacement, greedy-draft) on one pair.");
        foreach (var option in new Option[] { target, draft, mapping, temperature, draftLength, seeds, maxTokens, prompt })
        {
            command.Options.Add(option);
        }

        command.SetAction(async (parse, cancellationToken) =>
        {
            using var client = new SpeculativeChatClient(new SpeculativeChatClientOptions
            {
                TargetModelPath = parse.GetValue(target)!,
                DraftModelPath = parse.GetValue(draft),
                VocabularyMapping = parse.GetValue(mapping),
                ContextSize = 1024,
                BatchSize = 256,
            });
            Console.WriteLine($"Vocabulary: {client.VocabularyCompatibility}");
            Console.WriteLine();
            Console.WriteLine($"| row | tokens per target call | vs single draft | generated | target calls |");
            Console.WriteLine($"|---|---|---|---|---|");
            double single = 0;
            foreach (var (mode, verifier, count) in Rows)
            {
                long generated = 0, calls = 0;
                for (int seed = 0; seed < parse.GetValue(seeds); seed++)
                {
                    var response = await client.GetResponseAsync(parse.GetValue(prompt)!, new ChatOptions
                    {
                        Temperature = (float)parse.GetValue(temperature),
                        Seed = seed,
                        MaxOutputTokens = parse.GetValue(maxTokens),
                        AdditionalProperties = new()
                        {
                            [SpeculativeChatOptionKeys.Mode] = mode,
                            [SpeculativeChatOptionKeys.Verifier] = verifier,
                            [SpeculativeChatOptionKeys.DraftCount] = count,
                            [SpeculativeChatOptionKeys.DraftLength] = parse.GetValue(draftLength),
                            [SpeculativeChatOptionKeys.MeasureOptimalAcceptance] = false,
                        },
                    }, cancellationToken);
                    generated += response.Usage?.OutputTokenCount ?? 0;
                    calls += response.Usage?.AdditionalCounts?[SpeculativeChatOptionKeys.TargetCalls] ?? 0;
                }

                double perCall = (double)generated / Math.Max(1, calls);
                single = single == 0 ? perCall : single;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {verifier} k={count} | {perCall:F3} | {perCall / single:F2}x | {generated} | {calls} |"));
            }

            return 0;
        });
        return command;
    }
}
