using System.CommandLine;
using Microsoft.Extensions.Configuration;
using SpecAI.Cli;

namespace SpecAI.Extensions.Hosting.Tests.Security;

/// <summary>
/// <c>specai serve</c>'s key sources and its refusal to listen beyond loopback without a key. The refusal test never
/// starts a server (it is refused before anything loads or binds), so no traffic goes anywhere.
/// </summary>
public sealed class ServeSecurityTests
{
    [Theory]
    [InlineData("http://0.0.0.0:5199")]
    [InlineData("http://[::]:5199")]
    [InlineData("http://*:5199")]
    [InlineData("http://+:5199")]
    [InlineData("http://192.168.1.20:5199")]
    [InlineData("http://myhost:5199")]
    public void NonLoopbackWithoutKey_IsRefused_NamingApiKey(string url)
    {
        string? error = ServeSecurity.BindingError([url], new OpenAIChatCompletionsOptions(), allowUnauthenticated: false);
        Assert.NotNull(error);
        Assert.Contains("--api-key", error);
        Assert.Contains("--allow-unauthenticated", error);
    }

    [Theory]
    [InlineData("http://127.0.0.1:5199")]
    [InlineData("http://localhost:5199")]
    [InlineData("http://[::1]:5199")]
    [InlineData("https://127.0.0.2:5199")]
    public void Loopback_StartsWithoutKey(string url)
        => Assert.Null(ServeSecurity.BindingError([url], new OpenAIChatCompletionsOptions(), allowUnauthenticated: false));

    [Fact]
    public void NonLoopback_StartsWithAKey_OrWhenAllowed()
    {
        Assert.Null(ServeSecurity.BindingError(["http://0.0.0.0:5199"], new OpenAIChatCompletionsOptions { ApiKeys = ["k"] }, allowUnauthenticated: false));
        Assert.Null(ServeSecurity.BindingError(["http://0.0.0.0:5199"], new OpenAIChatCompletionsOptions(), allowUnauthenticated: true));
        Assert.NotNull(ServeSecurity.BindingError(["http://127.0.0.1:1", "http://0.0.0.0:5199"], new OpenAIChatCompletionsOptions(), allowUnauthenticated: false));
    }

    [Fact]
    public async Task ServeCommand_OnAllInterfacesWithoutKey_ExitsBeforeStarting()
    {
        var root = new RootCommand { ServeCommand.Create() };
        var error = new StringWriter();
        // The target does not exist: had the command gone on to load it, the message would be a different one.
        var parse = root.Parse(["serve", "--target", "no-such-model.gguf", "--urls", "http://0.0.0.0:0"]);
        int exit = await parse.InvokeAsync(new InvocationConfiguration { Error = error, Output = TextWriter.Null });
        Assert.Equal(1, exit);
        Assert.Contains("--api-key", error.ToString());
    }

    [Fact]
    public void Keys_ComeFromArgumentsFileEnvironmentAndConfiguration()
    {
        string file = Path.Combine(Path.GetTempPath(), $"specai-keys-{Guid.NewGuid():N}.txt");
        File.WriteAllLines(file, ["# keys", "from-file", "", "  spaced  "]);
        try
        {
            var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["SpecAI:Server:ApiKeys:0"] = "from-config",
                ["SpecAI:Server:MaxMessages"] = "7",
            }).Build();
            var options = new OpenAIChatCompletionsOptions();
            ServeSecurity.Configure(options, configuration, ["from-argument", "from-argument"], file, "from-environment", ["a.example, b.example"], ["https://app.example"]);

            Assert.Equal(["from-config", "from-argument", "from-file", "spaced", "from-environment"], options.ApiKeys);
            Assert.Equal(7, options.MaxMessages);
            Assert.Equal(["a.example", "b.example"], options.AllowedHosts);
            Assert.Equal(["https://app.example"], options.CorsOrigins);
        }
        finally
        {
            File.Delete(file);
        }
    }
}
