using Microsoft.Extensions.AI;
using System.Globalization;
using CoScientist.Core;
using CoScientist.Core.Alerts;
using CoScientist.Core.Cost;
using CoScientist.Core.Llm;
using CoScientist.Core.Storage;
using CoScientist.Tests.Fakes;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CoScientist.Tests.Core;

/// <summary>The optional webhook: one body Slack and Discord both accept, retried with backoff, never in a call's way, its secret never logged.</summary>
public sealed class AlertWebhookTests : IAsyncLifetime
{
    private FakeOpenRouterServer _server = null!;
    private FakeWebhook _webhook = null!;
    private readonly CapturingLoggerProvider _logs = new();

    public async Task InitializeAsync()
    {
        _server = await FakeOpenRouterServer.StartAsync(seed: 14);
        _webhook = await FakeWebhook.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _webhook.DisposeAsync();
        await _server.DisposeAsync();
    }

    private ServiceProvider Process(TimeProvider clock) => CoreHarness.Create(_server, new Dictionary<string, string?>
    {
        ["alerts:webhook_url"] = _webhook.Url,
        ["cost_control:daily_spending_limit_usd"] = "1",
    }, _logs, s => s.AddSingleton(clock));

    [Fact]
    public async Task AnAlert_ReachesTheWebhook_AsOneBodyThatSlackAndDiscordBothRead()
    {
        await using var app = Process(TimeProvider.System);

        app.GetRequiredService<AlertSender>().Raise("The daily spending cap is 50% used.");

        await Wait.UntilAsync(() => _webhook.Accepted.Count == 1);
        var body = Assert.Single(_webhook.Accepted);
        Assert.Equal("The daily spending cap is 50% used.", (string?)body["text"]);    // Slack
        Assert.Equal("The daily spending cap is 50% used.", (string?)body["content"]); // Discord
    }

    [Fact]
    public async Task AWebhookFailingOnce_GetsTheAlertOnTheRetryAfterTheBackoff_AndItsAddressIsNeverLogged()
    {
        var clock = new WaitingClock();
        var started = clock.GetUtcNow();
        await using var app = Process(clock);
        _webhook.Answer(500);

        app.GetRequiredService<AlertSender>().Raise("The monthly spending cap is 80% used.");
        await clock.RunAsync(Delivered(1), below: TimeSpan.FromMinutes(5));

        Assert.Equal(2, _webhook.Attempts);
        Assert.Equal(AlertSender.Backoff[0], clock.GetUtcNow() - started);
        Assert.Contains(_logs.Lines, l => l.Contains("The alert webhook at 127.0.0.1 failed (HTTP 500); trying again"));
        Assert.DoesNotContain(_logs.Lines, l => l.Contains(FakeWebhook.SecretPath) || l.Contains("s3cretWebhookToken"));
    }

    [Fact]
    public async Task AWebhookThatKeepsFailing_IsTriedThreeTimes_ThenGivenUpWithAnError()
    {
        var clock = new WaitingClock();
        await using var app = Process(clock);
        _webhook.Answer(500, 502, 503);
        var sender = app.GetRequiredService<AlertSender>();

        sender.Raise("The daily spending cap is reached.");
        await clock.RunAsync(GivenUp(sender), below: TimeSpan.FromMinutes(5));

        Assert.Equal(3, _webhook.Attempts);
        Assert.Empty(_webhook.Accepted);
        Assert.Contains(_logs.Lines, l => l.StartsWith("Error") && l.Contains("failed 3 times (HTTP 503)"));
    }

    [Fact]
    public async Task AWebhookThatHangs_NeverDelaysACallOrASettlement()
    {
        _webhook.Hang = true;
        await using var app = Process(TimeProvider.System);
        var alerts = app.GetRequiredService<SpendAlerts>();
        await alerts.StartAsync(CancellationToken.None);
        await Wait.UntilAsync(() => alerts.Checks == 1); // the check at start is done: what follows is found only through the settlement's signal
        var guard = app.GetRequiredService<SpendGuard>();
        var held = await guard.ReserveAsync(new CallReservation(DateTimeOffset.UtcNow, "s", "c", "google/gemini-2.5-flash", null, KeyKind.Operator, 0.6m), default);
        await guard.SettleAsync(held, new LlmUsage("google/gemini-2.5-flash", null, 1, 1, 0.6m, "gen", Succeeded: true), error: null); // 60% of the daily cap
        await Wait.UntilAsync(() => _webhook.Attempts == 1); // the alert's POST is now stuck

        var answer = await app.GetRequiredService<IChatClient>().CompleteAsync(new LlmRequest
        {
            Model = "google/gemini-2.5-flash", SystemPrompt = "s", UserPrompt = "u",
        }, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(60));

        Assert.False(string.IsNullOrEmpty(answer.Text));
        Assert.Equal(1, app.GetRequiredService<AlertSender>().Pending);
        Assert.Contains(_logs.Lines, l => l.Contains("Operator alert: The daily spending cap on the shared OpenRouter key is 50% used"));
        await alerts.StopAsync(CancellationToken.None);
    }

    [Theory]
    [InlineData("hooks.slack.com/services/T0/B0/secret")]
    [InlineData("ftp://hooks.example/secret")]
    public void AWebhookAddressThatIsNotHttp_StopsTheStart_NamingTheSettingButNotTheAddress(string url)
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection([new("alerts:webhook_url", url)]).Build());
        services.AddLogging();
        services.AddCoScientistCore();
        using var provider = services.BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<AlertOptions>>().Value);

        Assert.Contains("alerts:webhook_url", error.Message);
        Assert.DoesNotContain("secret", error.Message);
    }

    private async Task<bool> Delivered(int count)
    {
        await Wait.UntilAsync(() => _webhook.Accepted.Count >= count);
        return true;
    }

    private static async Task<bool> GivenUp(AlertSender sender)
    {
        await Wait.UntilAsync(() => sender.Pending == 0);
        return true;
    }
}
