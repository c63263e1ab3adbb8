using Microsoft.AspNetCore.SignalR;

namespace CoScientist.Web.Hosting;

/// <summary>
/// The largest message a browser may send over its circuit (circuits:max_message_bytes). The page
/// reads it too (app.js), to cut an oversized value before it is sent rather than lose the connection.
/// </summary>
public sealed record MessageSizeLimit(int Bytes)
{
    public const string Setting = "circuits:max_message_bytes";

    // The largest legitimate message is a 2,000-character goal; 32 KB leaves room and no more.
    public static MessageSizeLimit From(IConfiguration configuration) => new(configuration.GetValue(Setting, 32 * 1024));
}

/// <summary>
/// SignalR closes a connection whose message is over the limit and says so only at Debug, so the
/// visitor's page reconnects and the log shows nothing. This says it at Warning, with the limit and
/// never the message's content.
/// </summary>
public sealed class OversizedMessageLog(MessageSizeLimit limit, ILogger<OversizedMessageLog> logger) : IHubFilter
{
    public Task OnDisconnectedAsync(HubLifetimeContext context, Exception? exception, Func<HubLifetimeContext, Exception?, Task> next)
    {
        if (exception is InvalidDataException && exception.Message.Contains("maximum message size", StringComparison.OrdinalIgnoreCase))
            logger.LogWarning("A browser sent a message over the {LimitBytes}-byte limit ({Setting}): its connection was closed, and the page reconnects to its circuit",
                limit.Bytes, MessageSizeLimit.Setting);
        return next(context, exception);
    }
}
