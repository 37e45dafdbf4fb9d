using System.Globalization;
using SpecAI.Extensions;

namespace SpecAI.Cli.Bench;

/// <summary>The PNG chart of <c>specai bench</c>.</summary>
internal static class BenchPlot
{
    /// <summary>Tokens/s bars, or speedup against agreement in a sweep.</summary>
    public static void Write(BenchReport report, BenchSettings s, string path)
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

        BenchOutput.SavePlot(plt, path);
    }
}
