using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CoScientist.Tests.Fakes;

/// <summary>
/// An incoming-webhook endpoint (as Slack and Discord offer) in-process on 127.0.0.1: keeps every body it is sent, and
/// answers each with the next queued status (200 when none is queued), or never answers while <see cref="Hang"/> is set.
/// </summary>
public sealed class FakeWebhook : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<int> _statuses = new();
    private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _attempts;

    public ConcurrentQueue<JsonObject> Accepted { get; } = new();
    /// <summary>Every POST received, answered or not.</summary>
    public int Attempts => Volatile.Read(ref _attempts);
    public bool Hang { get; set; }
    /// <summary>The secret part of the address, as a Slack or Discord webhook has one in its path.</summary>
    public const string SecretPath = "/services/T000/B000/s3cretWebhookToken";
    public string Url { get; private set; } = "";

    private FakeWebhook()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        _app = builder.Build();
        _app.MapPost(SecretPath, async (HttpContext http) =>
        {
            Interlocked.Increment(ref _attempts);
            if (Hang)
            {
                await _released.Task.WaitAsync(http.RequestAborted);
                return Results.StatusCode(200);
            }
            var body = (await JsonNode.ParseAsync(http.Request.Body))!.AsObject();
            var status = _statuses.TryDequeue(out var s) ? s : 200;
            if (status < 300) Accepted.Enqueue(body);
            return Results.StatusCode(status);
        });
    }

    public static async Task<FakeWebhook> StartAsync()
    {
        var webhook = new FakeWebhook();
        await webhook._app.StartAsync();
        var address = webhook._app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        webhook.Url = address.TrimEnd('/') + SecretPath;
        return webhook;
    }

    /// <summary>The next answers, in order (e.g. 500 then 200).</summary>
    public void Answer(params int[] statuses)
    {
        foreach (var s in statuses) _statuses.Enqueue(s);
    }

    public async ValueTask DisposeAsync()
    {
        _released.TrySetResult();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
