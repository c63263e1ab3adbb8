using Microsoft.Extensions.AI;
using CoScientist.Core.Cost;
using CoScientist.Core.Llm;
using CoScientist.Tests.Fakes;
using Microsoft.Extensions.DependencyInjection;

namespace CoScientist.Tests.Core;

public sealed class SpendAccountingEdgeTests : IAsyncLifetime
{
    private FakeOpenRouterServer _server = null!;
    private readonly string _dataDir = CoreHarness.NewDataDir();

    public async Task InitializeAsync() => _server = await FakeOpenRouterServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private ServiceProvider Services() => CoreHarness.Create(_server, new Dictionary<string, string?> { ["DATA_DIR"] = _dataDir });

    private static LlmRequest Request(LlmCallContext? context = null) => new()
    {
        Model = "google/gemini-2.5-flash", SystemPrompt = "s", UserPrompt = "u", MaxOutputTokens = 500, Context = context ?? new LlmCallContext(),
    };

    [Fact]
    public async Task ACallCancelledMidway_StaysCountedAtItsWorstCase()
    {
        await using var services = Services();
        _server.Hold(); // the request reaches the provider and stays there, so the cancellation lands mid-call
        using var cts = new CancellationTokenSource();
        var call = services.GetRequiredService<IChatClient>().CompleteAsync(Request(), cts.Token);
        await Wait.UntilAsync(() => _server.HeldRequests == 1);

        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
        _server.Release(); // the provider finishes (and bills) the abandoned request anyway
        await Wait.UntilAsync(() => _server.TotalCharged > 0);

        var counted = services.GetRequiredService<SpendGuard>().Totals().Today;
        Assert.True(counted > 0, "a cancelled call must not be counted as free");
        Assert.True(counted >= _server.TotalCharged, $"counted {counted}, billed {_server.TotalCharged}");
    }

    [Fact]
    public async Task AVisitorCallWithoutItsKey_NeverFallsBackToTheOperatorsKey()
    {
        await using var services = Services();

        var ex = await Assert.ThrowsAsync<LlmException>(() => services.GetRequiredService<IChatClient>().CompleteAsync(
            Request(new LlmCallContext { KeyKind = KeyKind.Visitor, VisitorApiKey = null }), CancellationToken.None));

        Assert.Equal(LlmErrorKind.NotConfigured, ex.Kind);
        Assert.Empty(_server.Requests);
    }

    [Fact]
    public async Task TheKillSwitch_SurvivesARestart()
    {
        await using (var first = Services())
            first.GetRequiredService<SpendGuard>().SetPaused(true);

        await using var restarted = Services();

        Assert.True(restarted.GetRequiredService<SpendGuard>().Paused);
    }
}

public class ReviewFindingsTests
{
    [Fact]
    public void BracketsInProseBeforeTheJson_DoNotDefeatRecovery()
    {
        var node = JsonRecovery.TryParse("As shown in [1] and [2]: {\"winner\": \"A\", \"rationale\": \"r\"} hope it helps");
        Assert.Equal("A", node!["winner"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("2001:db8:abcd:12:1:2:3:4", "2001:db8:abcd:12:9:9:9:9")]
    [InlineData("::ffff:198.51.100.7", "198.51.100.7")]
    public void AddressesOfOneVisitor_CountAsOneClient(string a, string b) =>
        Assert.Equal(CoScientist.Web.Session.ClientIdentityMiddleware.NetworkOf(System.Net.IPAddress.Parse(a)),
            CoScientist.Web.Session.ClientIdentityMiddleware.NetworkOf(System.Net.IPAddress.Parse(b)));

    [Fact]
    public void TheBudgetBound_CoversOneTokenPerByteOfVisitorText()
    {
        var rare = string.Concat(Enumerable.Repeat("𓀀", 100)); // 4 bytes each in UTF-8
        Assert.True(TokenEstimate.PromptUpperBound(rare) >= 400);
    }
}
