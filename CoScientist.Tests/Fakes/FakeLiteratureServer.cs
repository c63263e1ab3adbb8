using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CoScientist.Tests.Fakes;

public enum LiteratureFault { None, RateLimited, Unavailable, Hang, Malformed }

/// <summary>One request as the fake literature server received it, stamped with the test's clock.</summary>
public sealed record LiteratureRequest(string Service, string Path, IQueryCollection Query, string UserAgent, DateTimeOffset At);

/// <summary>
/// arXiv (/arxiv), Europe PMC (/europepmc/search) and Crossref (/crossref/works, /crossref/works/{doi}) in-process on
/// 127.0.0.1, answering with the recorded fixtures, and failing on demand: queued faults first, then <see cref="Fault"/>.
/// </summary>
public sealed class FakeLiteratureServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly TimeProvider _clock;
    private readonly ConcurrentQueue<LiteratureRequest> _requests = new();
    private readonly SemaphoreSlim _arrivals = new(0);

    public ConcurrentQueue<LiteratureFault> Queued { get; } = new();
    public LiteratureFault Fault { get; set; }
    public int RetryAfterSeconds { get; set; } = 5;
    /// <summary>How long every answer takes (real time), as a distant library would.</summary>
    public TimeSpan Latency { get; set; } = TimeSpan.Zero;
    public string ArxivBody { get; set; } = TestData.Read("arxiv-query-2026-07.xml");
    public string EuropePmcBody { get; set; } = TestData.Read("europepmc-search-core-2025.json");
    public string CrossrefListBody { get; set; } = TestData.Read("crossref-works-query-2026-06.json");
    public string CrossrefWorkBody { get; set; } = TestData.Read("crossref-work-2026-06.json");
    /// <summary>
    /// When set, chooses the body of each request that no fault answers, given the service's fixed body:
    /// return that body, another, or null for 404 Not Found.
    /// </summary>
    public Func<LiteratureRequest, string, string?>? Respond { get; set; }
    public string BaseUrl { get; private set; } = "";
    public IReadOnlyList<LiteratureRequest> Requests => [.. _requests];

    private FakeLiteratureServer(TimeProvider clock)
    {
        _clock = clock;
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        _app = builder.Build();
        _app.MapGet("/arxiv", context => Answer(context, "arxiv", "application/atom+xml", ArxivBody));
        _app.MapGet("/europepmc/search", context => Answer(context, "europepmc", "application/json", EuropePmcBody));
        _app.MapGet("/crossref/works", context => Answer(context, "crossref", "application/json", CrossrefListBody));
        _app.MapGet("/crossref/works/{**doi}", context => Answer(context, "crossref", "application/json", CrossrefWorkBody));
    }

    public static async Task<FakeLiteratureServer> StartAsync(TimeProvider clock)
    {
        var server = new FakeLiteratureServer(clock);
        await server._app.StartAsync();
        server.BaseUrl = server._app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/');
        return server;
    }

    /// <summary>Waits (on real time, bounded) until the server has received <paramref name="count"/> requests in all.</summary>
    public async Task WaitForRequestsAsync(int count)
    {
        while (_requests.Count < count)
            if (!await _arrivals.WaitAsync(TimeSpan.FromSeconds(30))) throw new TimeoutException($"Only {_requests.Count} of {count} requests arrived.");
    }

    private async Task Answer(HttpContext context, string service, string contentType, string body)
    {
        var request = new LiteratureRequest(service, context.Request.Path, context.Request.Query, context.Request.Headers.UserAgent.ToString(), _clock.GetUtcNow());
        _requests.Enqueue(request);
        _arrivals.Release();
        if (Latency > TimeSpan.Zero) await Task.Delay(Latency, context.RequestAborted);
        var fault = Queued.TryDequeue(out var queued) ? queued : Fault;
        if (fault == LiteratureFault.None && Respond is { } respond)
        {
            if (respond(request, body) is not { } chosen)
            {
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                return;
            }
            body = chosen;
        }
        switch (fault)
        {
            case LiteratureFault.RateLimited:
                context.Response.StatusCode = StatusCodes.Status429TooManyRequests;
                context.Response.Headers.RetryAfter = RetryAfterSeconds.ToString();
                return;
            case LiteratureFault.Unavailable:
                context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
                return;
            case LiteratureFault.Hang:
                // Until the client gives up and drops the connection, or the server stops.
                await Task.Delay(Timeout.Infinite, context.RequestAborted).ContinueWith(_ => { });
                return;
            case LiteratureFault.Malformed:
                context.Response.ContentType = contentType;
                await context.Response.WriteAsync(body[..(body.Length / 2)]);
                return;
            default:
                context.Response.ContentType = contentType;
                await context.Response.WriteAsync(body);
                return;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
