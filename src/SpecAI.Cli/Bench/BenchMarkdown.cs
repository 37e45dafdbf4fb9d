using System.Globalization;
using System.Text;
using SpecAI.Extensions;

namespace SpecAI.Cli.Bench;

/// <summary>The markdown tables of <c>specai bench</c>.</summary>
internal static class BenchMarkdown
{
    /// <summary>A number for a table cell ("-" when missing).</summary>
    public static string F(double? v, string fmt = "F2") => v is { } x ? x.ToString(fmt, CultureInfo.InvariantCulture) : "-";

    /// <summary>"0.123 ms (1.4 %)": a cost and its share of the decode ("-" when missing).</summary>
    public static string Share(double? ms, double? decodeMs) => ms is not { } x ? "-"
        : decodeMs is { } u && u > 0 ? string.Create(CultureInfo.InvariantCulture, $"{x:F3} ms ({100 * x / u:F1} %)") : F(x, "F3") + " ms";

    /// <summary>The results table (and, in a sweep, the per-agreement summary).</summary>
    public static string Table(BenchReport report, bool sweep)
    {
        var sb = new StringBuilder();
        string pre = sweep ? "| agreement | T " : "";
        string preSep = sweep ? "|---|---" : "";
        sb.AppendLine(pre + "| run | mode | verifier | g | k | tok/s (median) | tokens | target calls | acceptance | mean accepted | c | bound | efficiency | mean batch | b(batch) | bound (batch cost) | efficiency (batch cost) | vs none | vs baseline | vs raw | raw tok/s (paired) | note |");
        sb.AppendLine(preSep + "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
        foreach (var r in report.Runs)
        {
            string name = r.BestDraft ? r.Name + " *" : r.Name;
            string prefix = sweep ? $"| {F(r.Agreement)} | {F(r.Temperature, "G3")} " : "";
            sb.AppendLine(CultureInfo.InvariantCulture,
                $"{prefix}| {name} | {r.Mode} | {r.Verifier} | {r.DraftLength} | {r.DraftCount} | {F(r.TokensPerSecond, "F1")} | {r.GeneratedTokens} | {r.TargetCalls?.ToString(CultureInfo.InvariantCulture) ?? "-"} | {F(r.AcceptanceRate, "F3")} | {F(r.MeanAcceptedLength)} | {F(r.CostRatio, "F3")} | {F(r.BoundSpeedup)} | {F(r.Efficiency)} | {F(r.MeanVerifyBatch)} | {F(r.BatchCostFactor)} | {F(r.BoundSpeedupBatchCost)} | {F(r.EfficiencyBatchCost)} | {F(r.SpeedupVsNone)} | {F(r.SpeedupVsBaseline)} | {F(r.SpeedupVsRaw)} | {F(r.RawTokensPerSecond, "F1")} | {r.Status ?? ""} |");
        }

        if (sweep)
        {
            sb.AppendLine();
            sb.AppendLine("| agreement | T | baseline tok/s | none tok/s | best draft (g) tok/s | vs baseline | eff. (batch cost) | adaptive tok/s | vs baseline | multi k=2 tok/s | vs baseline |");
            sb.AppendLine("|---|---|---|---|---|---|---|---|---|---|---|");
            foreach (var g in report.Runs.GroupBy(r => (r.Agreement, r.Temperature)))
            {
                var rows = g.ToList();
                var baseline = rows.First(r => r.Name == "baseline");
                var none = rows.FirstOrDefault(r => r.Name == "none");
                var best = rows.FirstOrDefault(r => r.BestDraft);
                var adaptive = rows.FirstOrDefault(r => r.Adaptive);
                var multi = rows.FirstOrDefault(r => r.Mode == nameof(SpeculationMode.MultiDraft));
                sb.AppendLine(CultureInfo.InvariantCulture,
                    $"| {F(g.Key.Agreement)} | {F(g.Key.Temperature, "G3")} | {F(baseline.TokensPerSecond, "F1")} | {F(none?.TokensPerSecond, "F1")} | {F(best?.TokensPerSecond, "F1")} (g{best?.DraftLength}) | {F(best?.SpeedupVsBaseline)} | {F(best?.EfficiencyBatchCost)} | {F(adaptive?.TokensPerSecond, "F1")} | {F(adaptive?.SpeedupVsBaseline)} | {F(multi?.TokensPerSecond, "F1")} ({multi?.Verifier}) | {F(multi?.SpeedupVsBaseline)} |");
            }
        }

        var recurrent = report.Runs.Where(r => r.SnapshotRollbacks is not null).ToList();
        if (recurrent.Count > 0)
        {
            // Recurrent and hybrid targets: how rejected drafts were taken back, and what it cost per step.
            sb.AppendLine();
            sb.AppendLine("Rollback on the recurrent/hybrid pair (per run; rollback ms = checkpoint save, restore and replay per target call):");
            sb.AppendLine();
            sb.AppendLine("| run | tok/s (median) | tokens per target call | snapshot rollbacks | checkpoint restores | replayed tokens | rollback ms per call | target ms per call |");
            sb.AppendLine("|---|---|---|---|---|---|---|---|");
            foreach (var r in recurrent)
            {
                sb.AppendLine(CultureInfo.InvariantCulture,
                    $"| {r.Name} | {F(r.TokensPerSecond, "F1")} | {F(r.TokensPerTargetCall)} | {r.SnapshotRollbacks} | {r.CheckpointRestores} | {r.ReplayedTokens} | {F(r.RollbackMsPerCall, "F3")} | {F(r.TargetMsPerCall, "F3")} |");
            }
        }

        sb.AppendLine();
        sb.AppendLine("Managed hot path (ms, and % of the single-token target decode): verification per verified node and per step (target logits to");
        sb.AppendLine("distributions and every node's verifier), managed drafting per drafted node (q and the candidates, the draft model's decode excluded):");
        sb.AppendLine();
        sb.AppendLine(pre + "| run | verifier | k | decode ms | verify / node | verify / step | draft (managed) / node |");
        sb.AppendLine(preSep + "|---|---|---|---|---|---|---|");
        foreach (var r in report.Runs.Where(r => r.VerifyMsPerStep is not null))
        {
            string prefix = sweep ? $"| {F(r.Agreement)} | {F(r.Temperature, "G3")} " : "";
            sb.AppendLine(CultureInfo.InvariantCulture,
                $"{prefix}| {r.Name} | {r.Verifier} | {r.DraftCount} | {F(r.DecodeMs)} | {Share(r.VerifyMsPerNode, r.DecodeMs)} | {Share(r.VerifyMsPerStep, r.DecodeMs)} | {Share(r.DraftManagedMsPerNode, r.DecodeMs)} |");
        }

        sb.AppendLine();
        sb.AppendLine("Target batch cost on this machine (all speculative runs; b(n) = mean ms of an n-token verify batch / mean ms of one token):");
        sb.AppendLine();
        sb.AppendLine("| n | calls | mean ms | b(n) |");
        sb.AppendLine("|---|---|---|---|");
        foreach (var p in report.BatchCostSamples)
        {
            sb.AppendLine(CultureInfo.InvariantCulture, $"| {p.Tokens} | {p.Calls} | {p.MeanMilliseconds:F2} | {p.Ratio:F2} |");
        }

        return sb.ToString();
    }
}
