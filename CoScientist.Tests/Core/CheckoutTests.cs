using CoScientist.Tests.E2E;

namespace CoScientist.Tests.Core;

/// <summary>The repository as a newcomer meets it: what the README promises and what running the tests leaves behind.</summary>
public class CheckoutTests
{
    private static readonly string Root = PublishedAppFixture.RepositoryRoot();

    [Fact]
    public void AnOrdinaryTestRun_LeavesTheReadmeScreenshotsAlone()
    {
        Assert.Null(Screenshots.DocsDirectory(refresh: null));
        Assert.Null(Screenshots.DocsDirectory(refresh: "0"));
        Assert.Equal(Path.Combine(Root, "docs", "screenshots"), Screenshots.DocsDirectory(refresh: "1"));
        Assert.Contains($"{Screenshots.RefreshVariable}=1 dotnet test", File.ReadAllText(Path.Combine(Root, "README.md")));
    }
}
