using System.CommandLine;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.Memory;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using SpecAI.Extensions;
using SpecAI.Extensions.Hosting;
using SpecAI.Extensions.Gguf.Forge.Demo;

namespace SpecAI.Cli;

/// <summary>
/// <c>specai serve</c>: an OpenAI-compatible server (<c>/v1/chat/completions</c>, <c>/v1/models</c>, <c>/health</c>,
/// <c>/metrics</c>) with a chat page at <c>/</c>, over a speculative chat client.
/// </summary>
/// <remarks>
/// Every other client setting binds from the "SpecAI" configuration section as in an app: appsettings.json in the
/// working folder, environment variables (<c>SpecAI__DraftLength=6</c>) or extra arguments (<c>--SpecAI:DraftLength 6</c>).
/// Server settings (<see cref="OpenAIChatCompletionsOptions"/>: API keys, hosts, origins, limits) bind from "SpecAI:Server".
/// </remarks>
internal static class ServeCommand
{
    public static Command Create()
    {
        var target = new Option<string?>("--target") { Description = "Target GGUF (the model whose answers are served); default: demo models generated locally into the model cache (fluent-looking nonsense)." };
        var draft = new Option<string?>("--draft") { Description = "Draft GGUF (small, same vocabulary); without it the server decodes plainly or by prompt lookup." };
        var urls = new Option<string>("--urls") { Description = "Addresses to listen on, separated by ';'.", DefaultValueFactory = _ => "http://127.0.0.1:5199" };
        var noMetrics = new Option<bool>("--no-metrics") { Description = "Do not serve Prometheus metrics at /metrics." };
        var apiKeys = new Option<string[]>("--api-key") { Description = $"An API key clients must send as 'Authorization: Bearer KEY' (repeatable; also --api-key-file, {ServeSecurity.ApiKeyVariable}, {ServeSecurity.SectionName}:ApiKeys). /health and the chat page stay open; the page asks for the key.", Arity = ArgumentArity.ZeroOrMore };
        var apiKeyFile = new Option<string?>("--api-key-file") { Description = "A file of API keys, one a line ('#' starts a comment line)." };
        var allowUnauthenticated = new Option<bool>("--allow-unauthenticated") { Description = "Start even when listening beyond loopback without an API key (anyone who can reach it can use the models)." };
        var allowedHosts = new Option<string[]>("--allowed-hosts") { Description = "Host names accepted in the Host header, separated by ',' or ';' (default: loopback names while listening on loopback only, else ASP.NET Core's AllowedHosts).", Arity = ArgumentArity.ZeroOrMore };
        var corsOrigins = new Option<string[]>("--cors-origins") { Description = "Browser origins besides the server's own allowed to call the API (CORS), separated by ',' or ';'; other origins get 403.", Arity = ArgumentArity.ZeroOrMore };
        var command = new Command("serve", "Serve the models over an OpenAI-compatible HTTP API with a chat page at /. Other options bind from the \"SpecAI\" configuration section (appsettings.json, SpecAI__X environment variables, --SpecAI:X arguments).")
        {
            TreatUnmatchedTokensAsErrors = false,
        };
        foreach (var option in new Option[] { target, draft, urls, noMetrics, apiKeys, apiKeyFile, allowUnauthenticated, allowedHosts, corsOrigins })
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
            string[] addresses = parse.GetValue(urls)!.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            void ConfigureServer(OpenAIChatCompletionsOptions options) => ServeSecurity.Configure(
                options,
                builder.Configuration,
                parse.GetValue(apiKeys) ?? [],
                parse.GetValue(apiKeyFile),
                Environment.GetEnvironmentVariable(ServeSecurity.ApiKeyVariable),
                parse.GetValue(allowedHosts) ?? [],
                parse.GetValue(corsOrigins) ?? []);
            var server = new OpenAIChatCompletionsOptions();
            ConfigureServer(server);

            // Checked before anything loads or listens.
            bool allowOpen = parse.GetValue(allowUnauthenticated);
            if (ServeSecurity.BindingError(addresses, server, allowOpen) is { } refusal)
            {
                await parse.InvocationConfiguration.Error.WriteLineAsync(refusal);
                return 1;
            }

            if (allowOpen && server.ApiKeys.Count == 0 && !addresses.All(ServeSecurity.IsLoopback))
            {
                await parse.InvocationConfiguration.Error.WriteLineAsync("warning: listening beyond loopback without an API key (--allow-unauthenticated): anyone who can reach this server can use the models.");
            }

            // Running streams get the drain time, then are cancelled with a final event; the host waits a little longer.
            builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = server.ShutdownDrainTimeout + TimeSpan.FromSeconds(5));
            builder.WebHost.UseUrls(string.Join(';', addresses));
            builder.Services.AddSpeculativeChatClient(builder.Configuration.GetSection(section));
            bool metrics = !parse.GetValue(noMetrics);
            if (metrics)
            {
                builder.Services.AddSpecAIMetrics();
            }

            await using var app = builder.Build();

            // Load the models now, so a bad path or option fails at start and not at the first request.
            var client = app.Services.GetRequiredService<IChatClient>();
            app.MapOpenAIChatCompletions(ConfigureServer);
            if (metrics)
            {
                app.MapSpecAIMetrics().WithOpenAIServerGuard(server);
            }

            await app.StartAsync(cancellationToken);
            string model = client.GetService<ChatClientMetadata>()?.DefaultModelId ?? "?";
            foreach (string url in app.Urls)
            {
                Console.WriteLine($"Serving {model} at {url}/ (chat page), {url}/v1 (OpenAI API){(metrics ? $", {url}/metrics" : string.Empty)}{(server.ApiKeys.Count > 0 ? $"; {server.ApiKeys.Count} API key(s) required" : string.Empty)}");
            }

            await app.WaitForShutdownAsync(cancellationToken);
            return 0;
        });

        return command;
    }
}
