namespace CoScientist.Web.Hosting;

/// <summary>
/// `dotnet CoScientist.Web.dll --healthcheck URL` asks a running instance's /healthz and exits 0 or 1.
/// The ASP.NET runtime image has no curl, so the Dockerfile's HEALTHCHECK uses the app itself.
/// </summary>
public static class HealthCheckCommand
{
    public static bool IsRequested(string[] args) => args.Length >= 1 && args[0] == "--healthcheck";

    public static async Task<int> RunAsync(string[] args)
    {
        var url = args.Length >= 2 ? args[1] : "http://127.0.0.1:7860/healthz";
        try
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(4) };
            using var response = await http.GetAsync(url);
            return response.IsSuccessStatusCode ? 0 : 1;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            return 1;
        }
    }
}
