using System.Net;
using System.Net.Sockets;

namespace CoScientist.Tests.Fakes;

/// <summary>
/// A TCP proxy in front of the fake OpenRouter that resets connections the way a flaky network does:
/// requests pass through untouched; each piece of an answer coming back may, at the given rate, be
/// the point where the connection dies: a random part of it is let through (possibly none), then
/// both sides are reset (RST, not a polite close). The provider has by then received the request
/// and charged for it; the client never learns what it cost.
/// </summary>
public sealed class ResettingProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly IPEndPoint _upstream;
    private readonly Random _random;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private int _resets;

    public ResettingProxy(Uri upstream, double resetRate, int seed)
    {
        _upstream = new IPEndPoint(IPAddress.Loopback, upstream.Port);
        _random = new Random(seed);
        ResetRate = resetRate;
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _accepting = AcceptAsync();
    }

    public int Port { get; }
    public double ResetRate { get; set; }
    public int Resets => Volatile.Read(ref _resets);

    /// <summary>The fake's base URL, reached through this proxy.</summary>
    public string BaseUrlFor(string upstreamBaseUrl) => new UriBuilder(upstreamBaseUrl) { Port = Port }.Uri.ToString().TrimEnd('/');

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }
            _ = Task.Run(() => RelayAsync(client));
        }
    }

    private async Task RelayAsync(TcpClient client)
    {
        using var upstream = new TcpClient();
        try
        {
            await upstream.ConnectAsync(_upstream, _stop.Token);
            using var both = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
            var up = PumpAsync(client.GetStream(), upstream.GetStream(), resets: false, both.Token);
            var down = PumpAsync(upstream.GetStream(), client.GetStream(), resets: true, both.Token);
            await Task.WhenAny(up, down);
            if (down.IsCompletedSuccessfully && down.Result)
            {
                Interlocked.Increment(ref _resets);
                Reset(client.Client);
                Reset(upstream.Client);
            }
            both.Cancel();
        }
        catch (Exception)
        {
            // A relay that breaks is just another broken connection.
        }
        finally
        {
            client.Dispose();
        }
    }

    /// <returns>True when the connection is to be reset now.</returns>
    private async Task<bool> PumpAsync(Stream from, Stream to, bool resets, CancellationToken token)
    {
        var buffer = new byte[1024];
        while (true)
        {
            int read;
            try
            {
                read = await from.ReadAsync(buffer, token);
            }
            catch (Exception)
            {
                return false;
            }
            if (read == 0) return false;
            int? cut = null;
            if (resets)
                lock (_random)
                    cut = _random.NextDouble() < ResetRate ? _random.Next(0, read) : null;
            if (cut is { } keep)
            {
                if (keep > 0)
                    await to.WriteAsync(buffer.AsMemory(0, keep), token);
                return true;
            }
            try
            {
                await to.WriteAsync(buffer.AsMemory(0, read), token);
            }
            catch (Exception)
            {
                return false;
            }
        }
    }

    private static void Reset(Socket socket)
    {
        try
        {
            socket.LingerState = new LingerOption(true, 0);
            socket.Close();
        }
        catch (Exception)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        await _accepting;
        _stop.Dispose();
    }
}
