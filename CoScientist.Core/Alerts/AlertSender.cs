using System.Net.Http.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CoScientist.Core.Alerts;

/// <summary>
/// Sends one operator alert: a warning in the log at once, and, when <c>alerts:webhook_url</c> is set, a JSON POST in the
/// background, retried with backoff. Nothing here waits for the webhook or throws: an alert is raised beside a settlement
/// or a key check, and a slow or broken webhook must never hold up or fail an LLM call.
/// </summary>
public sealed class AlertSender(IHttpClientFactory http, IOptionsMonitor<AlertOptions> options, TimeProvider clock, ILogger<AlertSender> logger)
    : IDisposable
{
    public const string HttpClientName = "alerts";
    /// <summary>Waits before the second and third attempts; a webhook down longer than this loses the alert (the log and the admin page keep it).</summary>
    public static readonly TimeSpan[] Backoff = [TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(60)];
    public static readonly TimeSpan AttemptTimeout = TimeSpan.FromSeconds(15);

    private readonly CancellationTokenSource _stopping = new();
    private int _pending;

    /// <summary>Webhook deliveries still being attempted.</summary>
    public int Pending => Volatile.Read(ref _pending);

    public void Raise(string message)
    {
        logger.LogWarning("Operator alert: {Alert}", message);
        if (options.CurrentValue.Webhook is not { } webhook)
            return;
        Interlocked.Increment(ref _pending);
        _ = Task.Run(() => DeliverAsync(webhook, message, _stopping.Token));
    }

    private async Task DeliverAsync(Uri webhook, string message, CancellationToken stopping)
    {
        try
        {
            // Slack reads "text" and Discord "content"; each ignores the other's field, so one body suits both.
            var body = new { text = message, content = message };
            for (var attempt = 1; ; attempt++)
            {
                var failure = await PostAsync(webhook, body, stopping);
                if (failure is null)
                    return;
                if (attempt > Backoff.Length)
                {
                    logger.LogError("The alert webhook at {Host} failed {Attempts} times ({Failure}); this alert is in the log and on the admin page only",
                        webhook.Host, attempt, failure);
                    return;
                }
                logger.LogWarning("The alert webhook at {Host} failed ({Failure}); trying again in {Delay}", webhook.Host, failure, Backoff[attempt - 1]);
                await Task.Delay(Backoff[attempt - 1], clock, stopping);
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
        finally
        {
            Interlocked.Decrement(ref _pending);
        }
    }

    /// <returns>Null when the webhook took it, else why not (never the address: its path is the secret).</returns>
    private async Task<string?> PostAsync(Uri webhook, object body, CancellationToken stopping)
    {
        // Real time, not the clock: this bounds a socket, and tests that move the clock through the backoff must not fire it.
        using var timeout = new CancellationTokenSource(AttemptTimeout);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, stopping);
        try
        {
            using var response = await http.CreateClient(HttpClientName).PostAsJsonAsync(webhook, body, linked.Token);
            return response.IsSuccessStatusCode ? null : $"HTTP {(int)response.StatusCode}";
        }
        catch (OperationCanceledException) when (!stopping.IsCancellationRequested)
        {
            return $"no answer within {AttemptTimeout.TotalSeconds:0} s";
        }
        catch (HttpRequestException ex)
        {
            return ex.HttpRequestError.ToString();
        }
    }

    public void Dispose()
    {
        // Not disposed: a delivery still running reads its token.
        _stopping.Cancel();
    }
}
