using System.Globalization;
using Microsoft.Playwright;
using OpenAI.Chat;
using SpecAI.Extensions.Hosting.Tests.TestSupport;

namespace SpecAI.Extensions.Hosting.Tests;

/// <summary>The chat page in a real headless Chromium, against the server over stories260K.</summary>
[Collection(StoriesServerCollection.Name)]
public sealed class ChatPageBrowserTests(StoriesServer fixture)
{
    private const string Prompt = "Once upon a time, there was a little girl named Lily.";

    [ChromiumFact]
    public async Task ChatPage_StreamsTheAnswer_WithSpeedAndAcceptance()
    {
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumFactAttribute.ExecutablePath,
            Headless = true,
            Args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
        });
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1200, Height = 720 } });
        await page.GotoAsync(fixture.Server.BaseAddress.ToString());
        await Assertions.Expect(page.Locator("#model-name")).ToHaveTextAsync("stories260K");
        await Assertions.Expect(page.Locator("#health")).ToHaveClassAsync("ok");

        // Settings: temperature 0 (a range input), draft mode, draft length 4, 48 tokens.
        await page.EvalOnSelectorAsync("#temperature", "e => { e.value = '0'; e.dispatchEvent(new Event('input')); }");
        await page.SelectOptionAsync("#mode", "draft");
        await page.FillAsync("#draft-length", "4");
        await page.FillAsync("#max-tokens", "48");
        await page.FillAsync("#prompt", Prompt);
        await page.PressAsync("#prompt", "Enter");

        var answer = page.Locator(".message.assistant").Last;
        await Assertions.Expect(answer.Locator(".meta")).ToContainTextAsync("48 tokens in", new() { Timeout = 30_000 });
        string text = await answer.Locator(".text").InnerTextAsync();
        double tokensPerSecond = double.Parse(await page.InnerTextAsync("#stat-tps"), CultureInfo.InvariantCulture);
        string acceptance = await page.InnerTextAsync("#stat-acceptance");
        string meta = await answer.Locator(".meta").InnerTextAsync();

        // The page shows the same answer the API gives for the same settings.
        var options = new ChatCompletionOptions { Temperature = 0, MaxOutputTokenCount = 48 };
        options.Patch.Set("$.specai.mode"u8, "draft");
        options.Patch.Set("$.specai.draft_length"u8, 4);
        ChatCompletion expected = await fixture.Server.OpenAIChatClient().CompleteChatAsync([new UserChatMessage(Prompt)], options);
        Assert.Equal(expected.Content[0].Text.Trim(), text.Trim());
        Assert.True(tokensPerSecond > 0, $"tokens/s {tokensPerSecond}");
        Assert.Matches(@"^\d+%$", acceptance);
        Assert.Contains($"accepted {expected.Usage.OutputTokenDetails.AcceptedPredictionTokenCount} / rejected {expected.Usage.OutputTokenDetails.RejectedPredictionTokenCount}", meta);

        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(AppContext.BaseDirectory, "chat-page.png") });
    }

    [ChromiumFact]
    public async Task ChatPage_OffersLanternUnderVerifier_AndSendsItsKeys()
    {
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumFactAttribute.ExecutablePath,
            Headless = true,
            Args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
        });
        var page = await browser.NewPageAsync();
        await page.GotoAsync(fixture.Server.BaseAddress.ToString());
        await Assertions.Expect(page.Locator("#lantern-fields")).ToBeHiddenAsync();
        await page.SelectOptionAsync("#mode", "draft");
        await page.SelectOptionAsync("#verifier", "lantern");
        await Assertions.Expect(page.Locator("#lantern-fields")).ToBeVisibleAsync();
        await page.FillAsync("#lantern-delta", "0.3");
        await page.FillAsync("#lantern-k", "4");
        await page.FillAsync("#max-tokens", "8");
        await page.FillAsync("#prompt", Prompt);
        var request = await page.RunAndWaitForRequestAsync(() => page.PressAsync("#prompt", "Enter"), r => r.Url.Contains("/chat/completions", StringComparison.Ordinal));
        using var body = System.Text.Json.JsonDocument.Parse(request.PostData!);
        Assert.Equal("lantern", body.RootElement.GetProperty("specai.verifier").GetString());
        Assert.Equal(0.3, body.RootElement.GetProperty("specai.lantern_delta").GetDouble());
        Assert.Equal(4, body.RootElement.GetProperty("specai.lantern_k").GetInt32());
        await Assertions.Expect(page.Locator(".message.assistant").Last.Locator(".meta")).ToContainTextAsync("8 tokens in", new() { Timeout = 30_000 });
    }
}
