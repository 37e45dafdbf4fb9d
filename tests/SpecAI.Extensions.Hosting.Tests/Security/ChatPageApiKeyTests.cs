using Microsoft.Playwright;
using SpecAI.Extensions.Hosting.Tests.TestSupport;

namespace SpecAI.Extensions.Hosting.Tests.Security;

/// <summary>The chat page against a server with an API key, in headless Chromium: it asks once, keeps the key, and chats.</summary>
public sealed class ChatPageApiKeyTests
{
    private const string Key = "page-key";

    [ChromiumFact]
    public async Task ChatPage_AsksForTheKeyOnce_AndChatsWithIt()
    {
        await using var server = await LoopbackServer.StartAsync(new FakeChatClient(), configure: o => o.ApiKeys = [Key]);
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumFactAttribute.ExecutablePath,
            Headless = true,
            Args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
        });
        var page = await browser.NewPageAsync();
        int prompts = 0;
        page.Dialog += async (_, dialog) =>
        {
            Interlocked.Increment(ref prompts);
            await dialog.AcceptAsync(Key);
        };

        await page.GotoAsync(server.BaseAddress.ToString());
        await Assertions.Expect(page.Locator("#model-name")).ToHaveTextAsync("fake-model");
        Assert.Equal(Key, await page.EvaluateAsync<string>("() => localStorage.getItem('specai.apiKey')"));

        // A reload and a chat use the kept key: no second prompt.
        await page.ReloadAsync();
        await Assertions.Expect(page.Locator("#model-name")).ToHaveTextAsync("fake-model");
        await page.FillAsync("#prompt", "Hi");
        await page.PressAsync("#prompt", "Enter");
        await Assertions.Expect(page.Locator(".message.assistant").Last.Locator(".text")).ToHaveTextAsync("Hello world", new() { Timeout = 30_000 });
        Assert.Equal(1, prompts);
    }

    [ChromiumFact]
    public async Task ChatPage_FromAForeignOrigin_CannotCallTheApi()
    {
        var fake = new FakeChatClient();
        await using var server = await LoopbackServer.StartAsync(fake);
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumFactAttribute.ExecutablePath,
            Headless = true,
            Args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
        });
        var page = await browser.NewPageAsync();
        // A page served from another origin (localhost vs 127.0.0.1) posts a "simple" text/plain request, as a cross-site form would.
        var foreign = new UriBuilder(server.BaseAddress) { Host = "localhost" }.Uri;
        await page.GotoAsync(new Uri(foreign, "health").ToString());
        int status = await page.EvaluateAsync<int>(
            "async url => { try { const r = await fetch(url, { method: 'POST', mode: 'no-cors', headers: { 'Content-Type': 'text/plain' }, body: '{}' }); return r.status; } catch { return -1; } }",
            new Uri(server.BaseAddress, "v1/chat/completions").ToString());
        Assert.Equal(0, status); // opaque: the page reads nothing
        Assert.Null(fake.Messages); // and nothing was generated
        var response = await page.APIRequest.PostAsync(new Uri(server.BaseAddress, "v1/chat/completions").ToString(), new()
        {
            Headers = new Dictionary<string, string> { ["Origin"] = foreign.GetLeftPart(UriPartial.Authority), ["Content-Type"] = "application/json" },
            Data = """{"messages":[{"role":"user","content":"Hi"}]}""",
        });
        Assert.Equal(403, response.Status);
    }
}
