using SpecAI.Extensions.Judge;

namespace SpecAI.Extensions.Tests.Judge;

public class JudgeTrainerTests
{
    private static List<JudgeTokenExample> Separable(int count, int seed, double noise = 0)
    {
        var rng = new Random(seed);
        var examples = new List<JudgeTokenExample>();
        for (int i = 0; i < count; i++)
        {
            var h = Enumerable.Range(0, 8).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
            bool acceptable = h[0] + 0.5f * h[3] + noise * (rng.NextDouble() - 0.5) > -0.4;
            examples.Add(new JudgeTokenExample(h, acceptable, i / 10));
        }

        return examples;
    }

    [Fact]
    public void Train_SeparableData_LearnsTheRule()
    {
        var examples = Separable(400, 1).Select(e => (e.Hidden, e.Acceptable)).ToList();
        var head = JudgeTrainer.Train(examples);
        double accuracy = examples.Count(e => head.Score(e.Hidden) > 0.5 == e.Acceptable) / (double)examples.Count;
        Assert.True(accuracy > 0.93, $"accuracy {accuracy}");
    }

    [Fact]
    public void Train_WithHeldOut_ReportsAucAndChoosesThresholdByBadAcceptance()
    {
        var target = new JudgeTargetFingerprint("m", 8, 10, 1);
        var result = JudgeTrainer.Train(Separable(600, 2, noise: 0.4), new JudgeTrainingOptions { MaxBadAcceptance = 0.1, Target = target });
        Assert.Equal(600, result.TrainCount + result.HeldOutCount);
        Assert.InRange(result.HeldOutCount, 100, 140);
        Assert.True(result.HeldOutAuc > 0.9, $"held-out AUC {result.HeldOutAuc}");
        Assert.Equal(target, result.Head.Target);
        var chosen = result.HeldOut.Single(m => m.Threshold == result.Head.Threshold);
        Assert.True(chosen.BadAcceptance <= 0.1);
        Assert.True(result.Head.Threshold < 1);
        Assert.All(result.HeldOut.Where(m => m.Threshold < result.Head.Threshold), m => Assert.True(m.BadAcceptance > 0.1));
    }

    [Fact]
    public void Train_GivenThreshold_IsKept()
    {
        var result = JudgeTrainer.Train(Separable(300, 3), new JudgeTrainingOptions { Threshold = 0.3 });
        Assert.Equal(0.3, result.Head.Threshold);
        Assert.Equal("given", result.ThresholdRule);
    }

    [Fact]
    public void Split_KeepsGroupsTogether_AndIsSeeded()
    {
        var examples = Separable(500, 4);
        var (train, heldOut) = JudgeTrainer.Split(examples, 0.2, seed: 7);
        Assert.Empty(train.Select(e => e.Group).Intersect(heldOut.Select(e => e.Group)));
        Assert.Equal(10, heldOut.Select(e => e.Group).Distinct().Count());
        Assert.Equal(heldOut.Select(e => e.Group), JudgeTrainer.Split(examples, 0.2, seed: 7).HeldOut.Select(e => e.Group));
        Assert.NotEqual(heldOut.Select(e => e.Group).Distinct(), JudgeTrainer.Split(examples, 0.2, seed: 8).HeldOut.Select(e => e.Group).Distinct());
    }

    [Fact]
    public void Train_OneClass_Throws()
    {
        var examples = Separable(50, 5).Select(e => e with { Acceptable = true }).ToList();
        Assert.Throws<ArgumentException>("examples", () => JudgeTrainer.Train(examples, new JudgeTrainingOptions { HeldOutFraction = 0 }));
    }

    [Fact]
    public void Auc_KnownValues()
    {
        Assert.Equal(1.0, JudgeMetrics.Auc([0.1, 0.2, 0.8, 0.9], [false, false, true, true]));
        Assert.Equal(0.0, JudgeMetrics.Auc([0.9, 0.8, 0.2, 0.1], [false, false, true, true]));
        Assert.Equal(0.5, JudgeMetrics.Auc([0.5, 0.5, 0.5, 0.5], [false, true, false, true]));
        Assert.Equal(0.75, JudgeMetrics.Auc([0.1, 0.6, 0.5, 0.9], [false, false, true, true]));
        Assert.True(double.IsNaN(JudgeMetrics.Auc([0.1], [true])));
    }

    [Fact]
    public void AtThresholds_CountsStrictlyAbove()
    {
        var m = JudgeMetrics.AtThresholds([0.2, 0.6, 0.7, 0.9], [false, true, false, true], [0.0, 0.6, 1.0]);
        Assert.Equal(new JudgeThresholdMetrics(0.0, 0.5, 1.0, 1.0, 1.0), m[0]);
        Assert.Equal(new JudgeThresholdMetrics(0.6, 0.5, 0.5, 0.5, 0.5), m[1]);
        Assert.True(double.IsNaN(m[2].Precision));
        Assert.Equal(0.0, m[2].Recall);
    }
}
