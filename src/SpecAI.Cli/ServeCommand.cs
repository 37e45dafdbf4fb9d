using System.CommandLine;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.Memory;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using SpecAI.Extensions;
using SpecAI.Extensions.Gguf.Forge.Demo;

namespace SpecAI.Cli;

/// <summary>
/// <c>specai serve</c>: an OpenAI-compatible server (<c>/v1/chat/completions</c>, <c>/v1/models</c>, <c>/health</c>,
/// <c>/metrics</c>) with a chat page at <c>/</c>, over a speculative chat client.
/// </summary>
/// <remarks>
/// Every other client setting binds from the "SpecAI" configuration section as in an app: appsettings.json in the
/// working folder, environment variables (<c>SpecAI__DraftLength=6</c>) or extra arguments (<c>--SpecAI:DraftLength 6</c>).
/// </remarks>
internal static class ServeCommand
{
    public static Command Create()
    {
        var target = new Option<string?>("--target") { Description = "Target GGUF (the model whose answers are served); default: demo models generated locally into the model cache (fluent-looking nonsense)." };
        var draft = new Option<string?>("--draft") { Description = "Draft GGUF (small, same vocabulary); without it the server decodes plainly or by prompt lookup." };
        var urls = new Option<string>("--urls") { Description = "Addresses to listen on, separated by ';'.", DefaultValueFactory = _ => "http://127.0.0.1:5199" };
        var noMetrics = new Option<bool>("--no-metrics") { Description = "Do not serve Prometheus metrics at /metrics." };
        var command = new Command("serve", "Serve the models over an OpenAI-compatible HTTP API with a chat page at /. Other options bind from the \"SpecAI\" configuration section (appsettings.json, SpecAI__X environment variables, --SpecAI:X arguments).")
        {
            TreatUnmatchedTokensAsErrors = false,
        };
        foreach (var option in new Option[] { target, draft, urls, noMetrics })
        {
            command.Options.Add(option);
        }

        command.SetAction(async (parse, cancellationToken) =>
        {
            var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = parse.UnmatchedTokens.ToArray() });
            // Quiet per-request logs by default; appsettings.json or the environment can still turn them on.
            builder.Configuration.Sources.Insert(0, new MemoryConfigurationSource
            {
                InitialData = new Dictionary<string, string?> { ["Logging:LogLevel:Microsoft.AspNetCore"] = "Warning" },
            });
            string? targetPath = parse.GetValue(target), draftPath = parse.GetValue(draft);
            if (targetPath is null)
            {
                var demo = DemoModelForge.GetOrCreateFamily(ForgeCommand.DefaultCache());
                (targetPath, draftPath) = (demo.TargetPath, draftPath ?? demo.DraftPath);
                Console.WriteLine(DemoModelForge.Notice);
            }

            string section = SpeculativeChatClientOptions.SectionName;
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                [$"{section}:{nameof(SpeculativeChatClientOptions.TargetModelPath)}"] = Path.GetFullPath(targetPath),
                [$"{section}:{nameof(SpeculativeChatClientOptions.DraftModelPath)}"] = draftPath is { } d ? Path.GetFullPath(d) : null,
            });
            builder.WebHost.UseUrls(parse.GetValue(urls)!);
            builder.Services.AddSpeculativeChatClient(builder.Configuration.GetSection(section));
            bool metrics = !parse.GetValue(noMetrics);
            if (metrics)
            {
                builder.Services.AddSpecAIMetrics();
            }

            await using var app = builder.Build();

            // Load the models now, so a bad path or option fails at start and not at the first request.
            var client = app.Services.GetRequiredService<IChatClient>();
            app.MapOpenAIChatCompletions();
            if (metrics)
            {
                app.MapSpecAIMetrics();
            }

            await app.StartAsync(cancellationToken);
            string model = client.GetService<ChatClientMetadata>()?.DefaultModelId ?? "?";
            foreach (string url in app.Urls)
            {
                Console.WriteLine($"Serving {model} at {url}/ (chat page), {url}/v1 (OpenAI API){(metrics ? $", {url}/metrics" : string.Empty)}");
            }

            await app.WaitForShutdownAsync(cancellationToken);
            return 0;
        });

        return command;
    }
}
