using CoScientist.Tests.Fakes;
using Microsoft.Playwright;

namespace CoScientist.Tests.E2E;

/// <summary>
/// A kill -9 while visitors' cycles run loses no money and leaves nothing hanging: after the restart the ledger counts
/// at least what OpenRouter charged (replies lost with the process included), no reservation stays open past its
/// window, and each cycle that was running says it was interrupted. The crash benchmark repeats this ten times.
/// </summary>
public sealed class CrashRecoveryBrowserTests : IAsyncLifetime
{
    private FakeOpenRouterServer _openRouter = null!;
    private IPlaywright _playwright = null!;
    private IBrowser _browser = null!;

    public async Task InitializeAsync()
    {
        _openRouter = await FakeOpenRouterServer.StartAsync(seed: 23);
        _openRouter.Latency = TimeSpan.FromMilliseconds(400); // calls are in flight when the process dies
        _playwright = await Playwright.CreateAsync();
        _browser = await AppFixture.LaunchChromiumAsync(_playwright);
    }

    public async Task DisposeAsync()
    {
        await _browser.DisposeAsync();
        _playwright.Dispose();
        await _openRouter.DisposeAsync();
    }

    [Fact]
    public async Task AKillDuringCycles_LosesNoChargedMoney_ClosesEveryReservation_AndShowsTheCyclesInterrupted()
    {
        await using var rig = new CrashRig(_openRouter, _browser, CoreHarness.NewDataDir(), timeoutSeconds: 3);

        var round = await rig.RunRoundAsync(cycles: 3);

        Assert.True(round.RunningAtKill > 0, "no cycle was running when the process was killed");
        Assert.True(round.LostReplies > 0, "no call was in flight when the process was killed");
        Assert.True(round.LedgerCoversCharges, $"OpenRouter charged ${round.ChargedUsd} but the ledger holds ${round.LedgerUsd}");
        Assert.Equal(0, round.OpenPastWindow);
        Assert.Equal(round.RunningAtKill, round.ShownInterrupted);
    }
}
