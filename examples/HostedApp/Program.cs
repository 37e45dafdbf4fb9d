// HostedApp: the speculative client from configuration ("SpecAI" section of appsettings.json) in a generic host,
// with the Microsoft.Extensions.AI OpenTelemetry middleware; runs one prompt and exits.
// Leave SpecAI:TargetModelPath empty to generate the demo models into .models/ (no download; fluent-looking nonsense).
// Set OpenTelemetry:ConsoleExporter=true (or --OpenTelemetry:ConsoleExporter true) to print the gen_ai spans.
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenTelemetry.Trace;
using SpecAI.Extensions;
using SpecAI.Extensions.Gguf.Forge.Demo;

const string SourceName = "SpecAI.HostedApp";

var builder = Host.CreateApplicationBuilder(args);
var section = builder.Configuration.GetSection(SpeculativeChatClientOptions.SectionName);
if (string.IsNullOrEmpty(section["TargetModelPath"]))
{
    var family = DemoModelForge.GetOrCreateFamily(Path.Combine(Directory.GetCurrentDirectory(), ".models"));
    section["TargetModelPath"] = family.TargetPath;
    section["DraftModelPath"] = family.DraftPath;
    Console.WriteLine(DemoModelForge.Notice);
}

builder.Services.AddSpeculativeChatClient(section)
    .UseLogging()
    .UseOpenTelemetry(sourceName: SourceName);

if (builder.Configuration.GetValue<bool>("OpenTelemetry:ConsoleExporter"))
{
    builder.Services.AddOpenTelemetry().WithTracing(t => t.AddSource(SourceName).AddConsoleExporter());
}

using var host = builder.Build();
await host.StartAsync().ConfigureAwait(false);

var client = host.Services.GetRequiredService<IChatClient>();
string prompt = builder.Configuration["Prompt"] ?? "Hello!";
Console.WriteLine($"user> {prompt}");
var response = await client.GetResponseAsync(prompt).ConfigureAwait(false);
Console.WriteLine($"bot>  {response.Text}");

var statistics = client.GetService<SpeculativeChatClient>()!.Statistics;
Console.WriteLine($"{statistics.GeneratedTokens} tokens, acceptance {statistics.AcceptanceRate:P1}, {statistics.TokensPerTargetCall:F2} tokens per target call");

await host.StopAsync().ConfigureAwait(false);
