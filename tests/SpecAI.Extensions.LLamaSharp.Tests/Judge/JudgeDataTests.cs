using System.Text.Json;
using SpecAI.Extensions.Judge;

namespace SpecAI.Extensions.LLamaSharp.Tests.Judge;

public sealed class JudgeDataTests : IDisposable
{
    private readonly string _headPath = Path.Combine(Path.GetTempPath(), $"specai-judge-{Guid.NewGuid():N}.spjh");

    public void Dispose() => File.Delete(_headPath);

    /// <summary>The example set shipped in examples/JudgeData (found by walking up from the test binaries).</summary>
    public static string SamplePath
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                string candidate = Path.Combine(dir.FullName, "examples", "JudgeData", "sample.jsonl");
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }

            throw new InvalidOperationException("examples/JudgeData/sample.jsonl not found above " + AppContext.BaseDirectory);
        }
    }

    [Fact]
    public async Task SampleData_Parses_UsesBothForms_AndEveryRowFitsTheStoriesTokenizer()
    {
        var rows = JudgeDataset.Load(SamplePath);
        Assert.InRange(rows.Count, 100, 300);
        Assert.Contains(File.ReadLines(SamplePath), l => l.Contains("\"tokens\""));
        Assert.Contains(File.ReadLines(SamplePath), l => l.Contains("\"bad_spans\""));
        Assert.True(rows.Count(r => r.BadSpans.Count > 0) > rows.Count / 2);
        Assert.Contains(rows, r => r.BadSpans.Count == 0);
        using var teacher = await JudgeTeacher.LoadAsync(TestModels.Stories, contextSize: 512);
        Assert.All(rows, r => Assert.NotNull(teacher.TokenizeResponse(r.Response)));
    }

    [Fact]
    public async Task CollectLabelled_LabelsExactlyTheTokensInsideBadSpans()
    {
        using var teacher = await JudgeTeacher.LoadAsync(TestModels.Stories, contextSize: 512);
        var row = new JudgeLabelledResponse("Tom had a big red ball.", "He goed to the park.", [new JudgeSpan(3, 7)]);
        var (tokens, spans) = teacher.TokenizeResponse(row.Response)!.Value;
        Assert.Equal(row.Response, string.Concat(spans.Select(s => row.Response[s.Start..s.End])));
        var (examples, skipped) = JudgeDataCollector.CollectLabelled(teacher, [row, new JudgeLabelledResponse("A cat sat.", "It was fun.", [])]);
        Assert.Equal(0, skipped);
        var first = examples.Where(e => e.Group == 0).ToList();
        Assert.Equal(tokens.Length, first.Count);
        Assert.All(examples, e => Assert.Equal(64, e.Hidden.Length));
        for (int i = 0; i < tokens.Length; i++)
        {
            bool bad = spans[i].Start < 7 && spans[i].End > 3;
            Assert.Equal(!bad, first[i].Acceptable);
        }

        Assert.Contains(first, e => !e.Acceptable);
        Assert.All(examples.Skip(first.Count), e => Assert.True(e.Acceptable));
    }

    [Fact]
    public async Task AutoLabel_LabelsEachMismatchWithThePluggedCheck()
    {
        using var teacher = await JudgeTeacher.LoadAsync(TestModels.Stories, contextSize: 512);
        var check = new RecordingCheck();
        var result = await AutoJudgeLabeler.CollectAsync(teacher, TestModels.StoriesThreeLayers, ["Tom had a big red ball.", "One day, a cat went to the park."], new AutoJudgeOptions { TokensPerPrompt = 24, EquivalenceCheck = check });
        Assert.Equal(48, result.Positions);
        Assert.True(result.Mismatches > 5, $"{result.Mismatches} mismatches");
        Assert.Equal(result.Mismatches, result.Examples.Count);
        Assert.Equal(result.Mismatches, check.Seen.Count);
        Assert.All(check.Seen, m => Assert.NotEqual(m.TargetToken, m.DraftToken));
        Assert.Equal(check.Seen.Select(m => m.DraftToken % 2 == 0), result.Examples.Select(e => e.Acceptable));
        Assert.Equal(result.Examples.Count(e => e.Acceptable), result.Equivalent);

        // The default check: the target's continuation after the draft token must match its own for N tokens.
        var byDefault = await AutoJudgeLabeler.CollectAsync(teacher, TestModels.StoriesThreeLayers, ["Tom had a big red ball."], new AutoJudgeOptions { TokensPerPrompt = 24, ContinuationTokens = 1 });
        Assert.Equal(24, byDefault.Positions);
        Assert.InRange(byDefault.Equivalent, 0, byDefault.Mismatches);
    }

    [Fact]
    public async Task Evaluator_SmallSweep_ThresholdOneReproducesStandard_AndWritesSnakeCaseJson()
    {
        new JudgeHead(Enumerable.Range(0, 64).Select(i => (i % 3 - 1) * 0.2f).ToArray(), 0.3f, threshold: 0.6).Save(_headPath);
        var report = await JudgeEvaluator.EvaluateAsync(new JudgeEvaluationOptions
        {
            TargetModelPath = TestModels.Stories,
            DraftModelPath = TestModels.StoriesQ4,
            HeadPath = _headPath,
            Rows = JudgeDataset.Load(SamplePath),
            Thresholds = [0.0],
            MaxPrompts = 2,
            SamplesPerPrompt = 2,
            MaxTokens = 24,
            ContextSize = 256,
            Threads = 1,
        });
        Assert.True(report.ThresholdOneReproducesStandard);
        Assert.Equal([1.0, 0.6, 0.0], report.Thresholds.Select(p => p.Threshold!.Value));
        var one = report.Thresholds[0];
        Assert.True(one.IdenticalToStandard);
        Assert.Equal(1.0, one.Quality);
        Assert.Equal(report.Standard.TokensPerTargetCall, one.TokensPerTargetCall);
        Assert.Equal(0, one.JudgeAcceptedTokens);
        Assert.True(report.Thresholds[1].IsDefault);
        var zero = report.Thresholds[2];
        Assert.Equal(zero.DraftedTokens, zero.AcceptedTokens);
        Assert.True(zero.TokensPerTargetCall >= report.Standard.TokensPerTargetCall);
        Assert.Equal(1.0, zero.GoodTokenAcceptance);

        using var json = JsonDocument.Parse(report.ToJson());
        var first = json.RootElement.GetProperty("thresholds")[0];
        foreach (string name in new[] { "threshold", "tokens_per_target_call", "quality", "judge_accepted_tokens", "good_span_precision", "identical_to_standard" })
        {
            Assert.True(first.TryGetProperty(name, out _), name);
        }

        Assert.Equal(1.0, first.GetProperty("threshold").GetDouble());
        Assert.True(json.RootElement.GetProperty("threshold_one_reproduces_standard").GetBoolean());
    }

    private sealed class RecordingCheck : IJudgeEquivalenceCheck
    {
        public List<JudgeMismatch> Seen { get; } = new();

        public bool IsEquivalent(JudgeMismatch mismatch, ITargetContinuation target)
        {
            Seen.Add(mismatch);
            return mismatch.DraftToken % 2 == 0;
        }
    }
}
