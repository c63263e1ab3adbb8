using System.Net.Http;
using System.Net.Sockets;

namespace CoScientist.Core.Llm;

/// <summary>
/// Tells a failure that kept the request from ever reaching OpenRouter (connection refused, DNS,
/// TLS before the request was written) from one that may have happened after OpenRouter received
/// it (a reset, a cut stream, a timeout). Only the first kind is known to cost nothing; the budget
/// layer keeps the worst case of every other kind until it is reconciled.
/// </summary>
public static class ConnectionFailure
{
    /// <summary>True when the request certainly never left this machine for the provider.</summary>
    public static bool NeverSent(Exception? exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            // The SDK's retry policy gathers every attempt's failure: all of them must be known unsent.
            if (e is AggregateException aggregate)
                return aggregate.InnerExceptions.Count > 0 && aggregate.InnerExceptions.All(NeverSent);
            // Only the connect step's own error is trusted: a socket error alone (host unreachable, say) can also
            // end a connection that had already sent its request.
            if (e is HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError
                    or HttpRequestError.SecureConnectionError or HttpRequestError.ProxyTunnelError })
                return true;
        }
        return false;
    }

    /// <summary>A transport failure as a message fit for a visitor: what happened, not "HTTP 0".</summary>
    public static LlmException ToLlmException(Exception exception) => NeverSent(exception)
        ? new LlmException(LlmErrorKind.Unreachable,
            "OpenRouter could not be reached (" + Reason(exception) + "). Nothing was sent or charged; try again in a moment.", inner: exception)
        : new LlmException(LlmErrorKind.ConnectionLost,
            "The connection to OpenRouter was lost before the answer arrived. The call may have been charged, so it counts at its worst case until OpenRouter confirms its cost.",
            inner: exception);

    private static string Reason(Exception exception)
    {
        for (var e = exception; e is not null; e = e is AggregateException a ? a.InnerExceptions.LastOrDefault() : e.InnerException)
            switch (e)
            {
                case HttpRequestException { HttpRequestError: HttpRequestError.NameResolutionError }:
                case SocketException { SocketErrorCode: SocketError.HostNotFound or SocketError.TryAgain or SocketError.NoData }:
                    return "its address could not be resolved";
                case HttpRequestException { HttpRequestError: HttpRequestError.SecureConnectionError }:
                    return "the secure connection could not be set up";
                case SocketException { SocketErrorCode: SocketError.ConnectionRefused }:
                    return "the connection was refused";
            }
        return "no connection could be made";
    }
}
