using System.Text.Json;
using System.Text.Json.Serialization;

namespace SpecAI.Cli.Bench;

/// <summary>Where and how bench results are written.</summary>
internal static class BenchOutput
{
    /// <summary>snake_case, indented.</summary>
    public static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    /// <summary>Writes a file, creating its folder.</summary>
    public static void Write(string path, string text)
    {
        CreateFolderOf(path);
        File.WriteAllText(path, text);
    }

    /// <summary>Saves a plot as a 900 x 550 PNG, creating its folder.</summary>
    public static void SavePlot(ScottPlot.Plot plot, string path)
    {
        CreateFolderOf(path);
        plot.SavePng(path, 900, 550);
    }

    /// <summary>Creates the folder a file will be written to.</summary>
    public static void CreateFolderOf(string path) => Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);

    /// <summary>The CPU model from /proc/cpuinfo (unknown elsewhere).</summary>
    /// <summary>The 1/5/15-minute load average ("n/a" where /proc/loadavg is missing).</summary>
    public static string LoadAverage()
    {
        try
        {
            return File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";
        }
        catch (IOException)
        {
            return "n/a";
        }
    }

    public static string CpuModel()
    {
        try
        {
            return File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown";
        }
        catch (IOException)
        {
            return "unknown";
        }
    }
}
