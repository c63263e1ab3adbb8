namespace CoScientist.Tests.E2E;

/// <summary>The headers of real responses.</summary>
public sealed class SecurityHeadersTests(SpaceAppFixture app) : IClassFixture<SpaceAppFixture>
{
    private const string SpaceHost = SpaceAppFixture.SpaceHost;

    private async Task<HttpResponseMessage> GetPageAsync(string? forwardedProto = null)
    {
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, app.BaseUrl + "/");
        request.Headers.Host = SpaceHost; // as the Space's proxy forwards it, so localhost's exemption from HSTS plays no part
        if (forwardedProto is not null)
        {
            request.Headers.Add("X-Forwarded-For", "203.0.113.7");
            request.Headers.Add("X-Forwarded-Proto", forwardedProto);
        }
        var response = await http.SendAsync(request);
        response.EnsureSuccessStatusCode();
        return response;
    }

    [Fact]
    public async Task OnlyHuggingFaceAndTheSpaceItself_MayFrameThePage()
    {
        var page = await GetPageAsync();

        var csp = page.Headers.GetValues("Content-Security-Policy").Single();
        var frameAncestors = csp.Split(';').Select(d => d.Trim()).Single(d => d.StartsWith("frame-ancestors ", StringComparison.Ordinal));
        Assert.Equal($"frame-ancestors 'self' https://huggingface.co https://{SpaceHost}", frameAncestors);
        Assert.False(page.Headers.Contains("X-Frame-Options"), "X-Frame-Options: SAMEORIGIN would forbid the Space's own iframe");
    }

    [Fact]
    public async Task HstsIsSent_OnlyWhenTheRequestCameOverHttps()
    {
        var overHttp = await GetPageAsync();
        var overHttps = await GetPageAsync(forwardedProto: "https");

        Assert.False(overHttp.Headers.Contains("Strict-Transport-Security"));
        Assert.StartsWith("max-age=", overHttps.Headers.GetValues("Strict-Transport-Security").Single());
    }
}
