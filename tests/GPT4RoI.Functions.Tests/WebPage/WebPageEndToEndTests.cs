using System.Globalization;
using System.Text.RegularExpressions;
using GPT4RoI.Functions.Sessions;
using GPT4RoI.Functions.Storage;
using GPT4RoI.Functions.Tests.Hosting;
using GPT4RoI.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

using static Microsoft.Playwright.Assertions;

namespace GPT4RoI.Functions.Tests.WebPage;

/// <summary>
/// The browser page end to end: Chromium (Playwright) against the app hosted in-process
/// (<see cref="FunctionsTestHost"/>: the real function classes, the tiny model, Azurite and the durable session
/// orchestrator). Boxes are drawn with the mouse and the keyboard as a person would; answers come from the model.
/// With <c>GPT4ROI_SCREENSHOT_DIR</c> set, the main states are saved as PNGs there (docs/screenshots).
/// </summary>
[Collection("app")]
public sealed partial class WebPageEndToEndTests(FunctionsHostFixture app, BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    private const int ImageWidth = 522, ImageHeight = 315;
    private static readonly double[] Circle = [95, 70, 215, 190];
    private static readonly double[] Square = [232, 12, 348, 128];

    [GeneratedRegex("[?&]session=([0-9a-f]{32})")]
    private static partial Regex SessionInUrl();

    private async Task<IPage> OpenAsync(IBrowserContext context, FunctionsTestHost? host = null)
    {
        context.SetDefaultTimeout(60_000);
        SetDefaultExpectTimeout(60_000);
        var page = await context.NewPageAsync();
        await page.GotoAsync((host ?? app.Host).Url("api/app/").ToString());
        await Expect(page.GetByTestId("health-status")).ToContainTextAsync("gpt4roi-tiny-shapes");
        return page;
    }

    private static async Task UploadAsync(IPage page)
    {
        await page.GetByTestId("image-input").SetInputFilesAsync(RepoPaths.SampleImage);
        await Expect(page.GetByTestId("canvas")).ToBeVisibleAsync();
    }

    /// <summary>Drags a box over the canvas, given in image pixels.</summary>
    private static async Task DrawAsync(IPage page, double[] box)
    {
        var rect = (await page.GetByTestId("canvas").BoundingBoxAsync())!;
        double X(double x) => rect.X + (x / ImageWidth * rect.Width);
        double Y(double y) => rect.Y + (y / ImageHeight * rect.Height);
        await page.Mouse.MoveAsync((float)X(box[0]), (float)Y(box[1]));
        await page.Mouse.DownAsync();
        await page.Mouse.MoveAsync((float)X(box[2]), (float)Y(box[3]), new MouseMoveOptions { Steps = 6 });
        await page.Mouse.UpAsync();
    }

    private static async Task<double[]> BoxOfAsync(ILocator item) =>
        (await item.GetAttributeAsync("data-box"))!.Split(',').Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray();

    private static void Near(double[] expected, double[] actual, double tolerance)
    {
        Assert.Equal(4, actual.Length);
        for (var i = 0; i < 4; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance, $"box [{string.Join(",", actual)}] is not near [{string.Join(",", expected)}]");
        }
    }

    /// <summary>Records every data-state a turn goes through (streaming, pending, done…) in window.__turnStates.</summary>
    private static async Task WatchTurnStatesAsync(IPage page) => await page.EvaluateAsync("""
        () => {
          window.__turnStates = [];
          new MutationObserver((records) => {
            for (const r of records) {
              const t = r.target.closest?.('[data-testid="turn"]') ?? (r.target.dataset?.testid === 'turn' ? r.target : null);
              if (t) window.__turnStates.push(t.dataset.state);
            }
          }).observe(document.getElementById('transcript'), { subtree: true, childList: true, attributes: true, attributeFilter: ['data-state'], characterData: true });
        }
        """);

    /// <summary>Checks that a response streamed its answer as server-sent token events; returns the tokens' text.</summary>
    private static async Task<string> StreamedTokensAsync(IResponse response)
    {
        Assert.Equal(200, response.Status);
        Assert.StartsWith("text/event-stream", await response.HeaderValueAsync("content-type"), StringComparison.Ordinal);
        var events = (await response.TextAsync()).Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
        var tokens = events.Where(e => e.StartsWith("event: token\n", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(tokens);
        Assert.StartsWith("event: result\n", events[^1], StringComparison.Ordinal);
        return string.Concat(tokens.Select(t => System.Text.Json.JsonDocument.Parse(t.Split("data: ")[1]).RootElement.GetProperty("text").GetString())).Trim();
    }

    private static async Task ScreenshotAsync(IPage page, string name)
    {
        if (BrowserFixture.ScreenshotDirectory is { } dir)
        {
            Directory.CreateDirectory(dir);
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(dir, name), FullPage = true });
        }
    }

    [Fact]
    public async Task Conversation_TwoBoxesDrawnTwoTurnsThenReload_AnswersStreamAndTranscriptIsRestored()
    {
        await using var context = await browser.Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1100, Height = 760 } });
        var page = await OpenAsync(context);
        await UploadAsync(page);
        await ScreenshotAsync(page, "web-image.png");

        // Turn 1: a box drawn with the mouse, its chip put into the question where the caret is.
        await DrawAsync(page, Circle);
        var boxes = page.GetByTestId("box-item");
        await Expect(boxes).ToHaveCountAsync(1);
        Near(Circle, await BoxOfAsync(boxes.First), 3);
        var question = page.GetByTestId("question-input");
        await question.FillAsync("What is ?");
        await question.EvaluateAsync("e => e.setSelectionRange(8, 8)");
        await page.GetByTestId("region-chip").First.ClickAsync();
        await Expect(question).ToHaveValueAsync("What is <region1>?");

        await WatchTurnStatesAsync(page);
        // The first question creates the session and streams its answer (server-sent events: session, turn, tokens, result).
        var stream = page.WaitForResponseAsync(r => r.Url.Contains("/api/sessions", StringComparison.Ordinal) && r.Request.Method == "POST");
        await page.GetByTestId("ask-button").ClickAsync();
        await StreamedTokensAsync(await stream);
        var turns = page.GetByTestId("turn");
        await Expect(turns.Nth(0)).ToHaveAttributeAsync("data-state", "done");
        await Expect(turns.Nth(0).GetByTestId("turn-answer")).ToHaveTextAsync("a red circle");
        Assert.Contains("streaming", await page.EvaluateAsync<string[]>("() => window.__turnStates"));
        await Expect(page).ToHaveURLAsync(SessionInUrl());
        var id = SessionInUrl().Match(page.Url).Groups[1].Value;
        await Expect(page.GetByTestId("box-item")).ToHaveCountAsync(1);
        await Expect(page.GetByTestId("box-item").First).ToHaveAttributeAsync("data-kind", "named");
        await Expect(question).ToHaveValueAsync("");
        await ScreenshotAsync(page, "web-answer.png");

        // Turn 2: a second box; it is <region2>, asked as a session turn.
        await DrawAsync(page, Square);
        await Expect(boxes).ToHaveCountAsync(2);
        Near(Square, await BoxOfAsync(boxes.Nth(1)), 3);
        await Expect(boxes.Nth(1)).ToHaveAttributeAsync("data-region", "2");
        await question.FillAsync("What color is <region2>?");
        await page.EvaluateAsync("() => { window.__turnStates = []; }");
        var turnStream = page.WaitForResponseAsync(r => r.Url.Contains("/turns", StringComparison.Ordinal));
        await page.GetByTestId("ask-button").ClickAsync();
        Assert.Equal("green", await StreamedTokensAsync(await turnStream));
        await Expect(turns).ToHaveCountAsync(2);
        await Expect(turns.Nth(1)).ToHaveAttributeAsync("data-state", "done");
        Assert.Contains("streaming", await page.EvaluateAsync<string[]>("() => window.__turnStates"));
        await Expect(turns.Nth(1).GetByTestId("turn-answer")).ToHaveTextAsync("green");
        await Expect(page.GetByTestId("session-status")).ToHaveAttributeAsync("data-state", "active");
        await ScreenshotAsync(page, "web-conversation.png");

        // Reload: the session id in the URL brings the transcript, the numbered regions and the kept image back.
        await page.ReloadAsync();
        Assert.Contains(id, page.Url, StringComparison.Ordinal);
        await Expect(turns).ToHaveCountAsync(2);
        await Expect(turns.Nth(0).GetByTestId("turn-answer")).ToHaveTextAsync("a red circle");
        await Expect(turns.Nth(1).GetByTestId("turn-answer")).ToHaveTextAsync("green");
        await Expect(page.Locator("[data-testid=box-item][data-kind=named]")).ToHaveCountAsync(2);
        await Expect(page.GetByTestId("canvas")).ToBeVisibleAsync();
        await Expect(page.GetByTestId("session-status")).ToContainTextAsync("2 answered turns");

        // A fresh browser (no kept image) gets the transcript and the image from the session.
        await using var other = await browser.Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1100, Height = 760 } });
        var fresh = await OpenAsync(other);
        await fresh.GotoAsync(app.Host.Url($"api/app/?session={id}").ToString());
        await Expect(fresh.GetByTestId("turn")).ToHaveCountAsync(2);
        await Expect(fresh.GetByTestId("canvas")).ToBeVisibleAsync();
        await Expect(fresh.GetByTestId("reopen-notice")).ToBeHiddenAsync();
        await Expect(fresh.Locator("[data-testid=box-item][data-kind=named]")).ToHaveCountAsync(2);
        await Expect(fresh.GetByTestId("session-status")).ToContainTextAsync("Restored from the server");
        await ScreenshotAsync(fresh, "web-restored.png");

        // When the session no longer has it, the page asks for the same file.
        await app.Host.Services.GetRequiredService<StorageClients>().Sessions.GetBlobClient(SessionNames.Image(id)).DeleteAsync();
        await using var third = await browser.Browser.NewContextAsync();
        var reopen = await OpenAsync(third);
        await reopen.GotoAsync(app.Host.Url($"api/app/?session={id}").ToString());
        await Expect(reopen.GetByTestId("turn")).ToHaveCountAsync(2);
        await Expect(reopen.GetByTestId("reopen-notice")).ToBeVisibleAsync();
        await ScreenshotAsync(reopen, "web-reopen.png");
        await UploadAsync(reopen);
        await Expect(reopen.GetByTestId("reopen-notice")).ToBeHiddenAsync();
    }

    [Fact]
    public async Task Errors_ShownNextToTheirCause_BoxesAndQuestionKept()
    {
        await using var context = await browser.Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1100, Height = 760 } });
        var page = await OpenAsync(context);

        // Not an image: refused before anything is sent, next to the image input.
        await page.GetByTestId("image-input").SetInputFilesAsync(new FilePayload { Name = "notes.png", MimeType = "image/png", Buffer = "not a png"u8.ToArray() });
        await Expect(page.GetByTestId("image-error")).ToContainTextAsync("could not be read as an image");

        await UploadAsync(page);
        await Expect(page.GetByTestId("image-error")).ToBeHiddenAsync();
        await DrawAsync(page, Circle);
        await DrawAsync(page, Square);
        var boxes = page.GetByTestId("box-item");
        await Expect(boxes).ToHaveCountAsync(2);
        var drawn = new[] { await boxes.Nth(0).GetAttributeAsync("data-box"), await boxes.Nth(1).GetAttributeAsync("data-box") };
        var question = page.GetByTestId("question-input");

        // A box the question does not name: the problem is shown on that box.
        await question.FillAsync("What is <region1>?");
        await page.GetByTestId("ask-button").ClickAsync();
        await Expect(boxes.Nth(1).GetByTestId("box-error")).ToContainTextAsync("<region2> is drawn but the question does not name it");
        await Expect(page.GetByTestId("question-error")).ToBeVisibleAsync();
        await Expect(page.GetByTestId("turn")).ToHaveCountAsync(0);

        // The server refuses the question (a reserved token): the answer is shown by the question; nothing is lost.
        await question.FillAsync("Is <region1> left of <region2>? <im_patch>");
        await page.GetByTestId("ask-button").ClickAsync();
        await Expect(page.GetByTestId("question-error")).ToContainTextAsync("Invalid question");
        await Expect(boxes).ToHaveCountAsync(2);
        Assert.Equal(drawn, new[] { await boxes.Nth(0).GetAttributeAsync("data-box"), await boxes.Nth(1).GetAttributeAsync("data-box") });
        await Expect(question).ToHaveValueAsync("Is <region1> left of <region2>? <im_patch>");
        await Expect(page.GetByTestId("image-error")).ToBeHiddenAsync();
        await ScreenshotAsync(page, "web-error.png");

        // A conversation deleted elsewhere: the error goes to the conversation line; boxes and question stay.
        await question.FillAsync("What is <region1>?");
        await boxes.Nth(1).GetByTestId("box-delete").ClickAsync();
        await Expect(boxes).ToHaveCountAsync(1);
        await page.GetByTestId("ask-button").ClickAsync();
        await Expect(page.GetByTestId("turn").First).ToHaveAttributeAsync("data-state", "done");
        await Expect(page.GetByTestId("turn").First.GetByTestId("turn-answer")).ToHaveTextAsync("a red circle");
        await Expect(page).ToHaveURLAsync(SessionInUrl());
        var id = SessionInUrl().Match(page.Url).Groups[1].Value;
        using (var http = new HttpClient { BaseAddress = app.Host.Address })
        {
            Assert.Equal(System.Net.HttpStatusCode.NoContent, (await http.DeleteAsync($"api/sessions/{id}")).StatusCode);
        }

        await DrawAsync(page, Square);
        await question.FillAsync("What color is <region2>?");
        await page.GetByTestId("ask-button").ClickAsync();
        await Expect(page.GetByTestId("session-error")).ToContainTextAsync("Your boxes and question are kept");
        await Expect(page.Locator("[data-testid=box-item][data-kind=draft]")).ToHaveCountAsync(1);
        await Expect(question).ToHaveValueAsync("What color is <region2>?");
        await Expect(page.GetByTestId("session-status")).ToHaveAttributeAsync("data-state", "deleted");
    }

    [Fact]
    public async Task Keyboard_NewMoveResizeInsertDelete_AndEveryControlNamed()
    {
        await using var context = await browser.Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1100, Height = 760 } });
        var page = await OpenAsync(context);
        await UploadAsync(page);
        var canvas = page.GetByTestId("canvas");
        await canvas.FocusAsync();

        await page.Keyboard.PressAsync("n");
        var box = page.GetByTestId("box-item");
        await Expect(box).ToHaveCountAsync(1);
        var start = await BoxOfAsync(box.First);
        await page.Keyboard.PressAsync("ArrowRight");
        await page.Keyboard.PressAsync("Shift+ArrowDown");
        Assert.Equal([start[0] + 1, start[1] + 10, start[2] + 1, start[3] + 10], await BoxOfAsync(box.First));
        await page.Keyboard.PressAsync("Alt+ArrowRight");
        await page.Keyboard.PressAsync("Control+Shift+ArrowDown");
        Assert.Equal([start[0] + 1, start[1] + 10, start[2] + 2, start[3] + 20], await BoxOfAsync(box.First));
        await Expect(page.GetByTestId("announcer")).ToContainTextAsync("<region1> resized");

        await page.Keyboard.PressAsync("n");
        await Expect(box).ToHaveCountAsync(2);
        await Expect(box.Nth(1)).ToHaveClassAsync(new Regex("selected"));
        await page.Keyboard.PressAsync("Shift+Tab");
        await Expect(box.Nth(0)).ToHaveClassAsync(new Regex("selected"));
        await page.Keyboard.PressAsync("Enter");
        await Expect(page.GetByTestId("question-input")).ToHaveValueAsync("<region1>");
        await ScreenshotAsync(page, "web-keyboard.png");

        await canvas.FocusAsync();
        await page.Keyboard.PressAsync("Tab");
        await page.Keyboard.PressAsync("Tab");
        await Expect(box.Nth(1)).ToHaveClassAsync(new Regex("selected"));
        await page.Keyboard.PressAsync("Delete");
        await Expect(box).ToHaveCountAsync(1);
        await Expect(box.Nth(0)).ToHaveClassAsync(new Regex("selected"));
        await page.Keyboard.PressAsync("Backspace");
        await Expect(box).ToHaveCountAsync(0);
        await Expect(page.GetByTestId("box-empty")).ToBeVisibleAsync();

        // Every visible control has an accessible name (text, aria-label, aria-labelledby or a <label>).
        var unnamed = await page.EvaluateAsync<string[]>("""
            () => [...document.querySelectorAll('button, input, textarea, select, canvas, [role=button]')]
              .filter((e) => !e.hidden && e.getClientRects().length > 0 || e.type === 'file')
              .filter((e) => !((e.getAttribute('aria-label') || '').trim()
                || (e.getAttribute('aria-labelledby') || '').split(' ').some((id) => document.getElementById(id)?.textContent.trim())
                || (e.labels && [...e.labels].some((l) => l.textContent.trim()))
                || (e.tagName === 'BUTTON' && e.textContent.trim())))
              .map((e) => e.outerHTML.slice(0, 120))
            """);
        Assert.Empty(unnamed);
    }

    [Fact]
    public async Task Detect_ButtonClicked_FillsTheBoxesFromTheDetector()
    {
        await using var context = await browser.Browser.NewContextAsync();
        var page = await OpenAsync(context);
        await UploadAsync(page);
        var detect = page.GetByTestId("detect-button");
        await Expect(detect).ToBeVisibleAsync();
        await detect.ClickAsync();

        // The sample holds a red circle, a green square and a yellow triangle; the detector's boxes become draft boxes.
        await Expect(page.GetByTestId("box-item")).ToHaveCountAsync(3);
        var boxes = new List<double[]>();
        foreach (var item in await page.GetByTestId("box-item").AllAsync())
        {
            boxes.Add(await BoxOfAsync(item));
        }

        Assert.Contains(boxes, b => Math.Abs(b[0] - Circle[0]) <= 8 && Math.Abs(b[1] - Circle[1]) <= 8 && Math.Abs(b[2] - Circle[2]) <= 8 && Math.Abs(b[3] - Circle[3]) <= 8);
        await Expect(page.GetByTestId("detect-error")).ToBeHiddenAsync();
        await ScreenshotAsync(page, "web-detect.png");
    }

    [Fact]
    public async Task Stop_ClickedWhileTheAnswerIsHeldBack_TheStoppedTurnIsRecordedAndShown()
    {
        // An app of its own whose turns wait for this test before they are answered: the page shows the turn waiting
        // with the Stop button; Stop is clicked before the answer starts, so it ends after its first token.
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var held = await FunctionsTestHost.StartAsync(app.Storage, new()
        {
            ["Gpt4RoI:SessionTurnWait"] = "00:01:00",
            ["Gpt4RoI:SessionPollInterval"] = "00:00:00.050",
            ["Gpt4RoI:SessionProgressInterval"] = "00:00:00.200",
        }, _ => release.Task);
        await using var context = await browser.Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1100, Height = 760 } });
        var page = await OpenAsync(context, held);
        await UploadAsync(page);
        await DrawAsync(page, Circle);
        await page.GetByTestId("question-input").FillAsync("What is <region1>?");
        await page.GetByTestId("ask-button").ClickAsync();

        var stop = page.GetByTestId("stop-button");
        await Expect(stop).ToBeVisibleAsync();
        await Expect(page.GetByTestId("turn-answer").First).ToContainTextAsync("Waiting for the model");
        await ScreenshotAsync(page, "web-waiting.png");
        var stopped = page.WaitForResponseAsync(r => r.Url.Contains("/stop", StringComparison.Ordinal));
        await stop.ClickAsync();
        Assert.Equal(202, (await stopped).Status);
        release.SetResult();

        var turn = page.GetByTestId("turn").First;
        await Expect(turn).ToHaveAttributeAsync("data-state", "done");
        await Expect(turn.GetByTestId("turn-meta")).ToContainTextAsync("stopped");
        await Expect(stop).ToBeHiddenAsync();
        var id = SessionInUrl().Match(page.Url).Groups[1].Value;
        var transcript = (await held.Services.GetRequiredService<SessionStore>().ReadAsync(id))!.Value.Transcript;
        Assert.Equal("Stopped", transcript.Turns.Single().StopReason);
        // The conversation goes on: the next question is answered in full.
        await DrawAsync(page, Square);
        await page.GetByTestId("question-input").FillAsync("What color is <region2>?");
        await page.GetByTestId("ask-button").ClickAsync();
        await Expect(page.GetByTestId("turn")).ToHaveCountAsync(2);
        await Expect(page.GetByTestId("turn").Nth(1).GetByTestId("turn-answer")).ToHaveTextAsync("green");
    }

    [Fact]
    public async Task Phone_OneColumnNoSideScroll_AskAndAnswer()
    {
        await using var context = await browser.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            ViewportSize = new ViewportSize { Width = 390, Height = 844 },
            IsMobile = true,
            HasTouch = true,
            DeviceScaleFactor = 1,
        });
        var page = await OpenAsync(context);
        await UploadAsync(page);
        await DrawAsync(page, Circle);
        await Expect(page.GetByTestId("box-item")).ToHaveCountAsync(1);
        Near(Circle, await BoxOfAsync(page.GetByTestId("box-item").First), 6);
        await page.GetByTestId("question-input").FillAsync("What is <region1>?");
        await page.GetByTestId("ask-button").ClickAsync();
        await Expect(page.GetByTestId("turn").First).ToHaveAttributeAsync("data-state", "done");
        await Expect(page.GetByTestId("turn-answer").First).ToHaveTextAsync("a red circle");

        Assert.True(await page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth"), "the page scrolls sideways at 390 px");
        var ask = (await page.GetByTestId("ask-button").BoundingBoxAsync())!;
        Assert.True(ask.Height >= 44, $"the Ask button is {ask.Height} px high");
        var canvas = (await page.GetByTestId("canvas").BoundingBoxAsync())!;
        Assert.True(canvas.Width <= 390, $"the canvas is {canvas.Width} px wide");
        await ScreenshotAsync(page, "web-phone.png");

        await page.EmulateMediaAsync(new PageEmulateMediaOptions { ColorScheme = ColorScheme.Dark });
        Assert.True(await page.EvaluateAsync<bool>("() => matchMedia('(prefers-color-scheme: dark)').matches"));
        await ScreenshotAsync(page, "web-phone-dark.png");
    }
}
