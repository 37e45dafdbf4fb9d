using SpecAI.Extensions.Engine;

namespace SpecAI.Extensions.Tests.Engine;

public class SpeculationBoundsTests
{
    [Theory]
    [InlineData(0.0, 4, 1.0)]
    [InlineData(0.5, 1, 1.5)]
    [InlineData(0.8, 3, 2.952)]
    [InlineData(1.0, 4, 5.0)]
    public void ExpectedTokens_MatchesTheGeometricSum(double a, int g, double expected)
    {
        // 1 + a + a^2 + ... + a^g
        double sum = Enumerable.Range(0, g + 1).Sum(i => Math.Pow(a, i));
        Assert.Equal(sum, SpeculationBounds.ExpectedTokens(a, g), 9);
        Assert.Equal(expected, SpeculationBounds.ExpectedTokens(a, g), 3);
    }

    [Fact]
    public void Speedup_IsLeviathansFormula_AndBatchCostDividesIt()
    {
        // Leviathan et al. 2023, example: a = 0.8, g = 3, c = 0.1 -> (1 - 0.8^4) / (0.2 * 1.3)
        Assert.Equal((1 - Math.Pow(0.8, 4)) / (0.2 * 1.3), SpeculationBounds.Speedup(0.8, 3, 0.1), 12);
        Assert.Equal(SpeculationBounds.Speedup(0.8, 3, 0.1) * 1.3 / 3.3, SpeculationBounds.Speedup(0.8, 3, 0.1, batchCost: 3), 12);
    }

    [Theory]
    [InlineData(0.3, 2)]
    [InlineData(0.82, 3)]
    [InlineData(0.95, 6)]
    public void AcceptanceFromMeanAccepted_InvertsTheModel(double a, int g)
    {
        double meanAccepted = SpeculationBounds.ExpectedTokens(a, g) - 1;
        Assert.Equal(a, SpeculationBounds.AcceptanceFromMeanAccepted(meanAccepted, g), 6);
    }

    [Fact]
    public void AcceptanceFromMeanAccepted_NothingDrafted_IsZero()
    {
        Assert.Equal(0, SpeculationBounds.AcceptanceFromMeanAccepted(1.2, 0));
        Assert.Equal(0, SpeculationBounds.AcceptanceFromMeanAccepted(0, 4));
    }
}
