using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using CoScientist.Tests.Fakes;

namespace CoScientist.Tests.E2E;

/// <summary>What the server does with a message over circuits:max_message_bytes that gets past the page's own guard.</summary>
public sealed class OversizedMessageTests(SpaceAppFixture app) : IClassFixture<SpaceAppFixture>
{
    [Fact]
    public async Task AMessageOverTheLimit_IsLoggedWithTheLimitAndWithoutItsContent()
    {
        const string goal = "PRIVATE-RESEARCH-GOAL-TEXT ";
        using var socket = await ConnectToTheBlazorHubAsync();

        // One blazorpack message (a varint length, then the body), well over the 32 KB limit.
        var body = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat(goal, 64 * 1024 / goal.Length)));
        await socket.SendAsync(Varint(body.Length).Concat(body).ToArray(), WebSocketMessageType.Binary, endOfMessage: true, CancellationToken.None);

        await Wait.UntilAsync(() => app.Logs.Lines.Any(l => l.Contains("OversizedMessageLog")), TimeSpan.FromSeconds(20));
        var line = app.Logs.Lines.Single(l => l.Contains("OversizedMessageLog"));
        Assert.StartsWith("Warning", line);
        Assert.Contains("over the 32768-byte limit (circuits:max_message_bytes)", line);
        Assert.DoesNotContain("PRIVATE-RESEARCH-GOAL", app.Logs.All);
    }

    /// <summary>A SignalR connection as blazor.web.js opens it: negotiate, WebSocket, blazorpack handshake.</summary>
    private async Task<ClientWebSocket> ConnectToTheBlazorHubAsync()
    {
        using var http = new HttpClient();
        var negotiate = await http.PostAsync(app.BaseUrl + "/_blazor/negotiate?negotiateVersion=1", content: null);
        negotiate.EnsureSuccessStatusCode();
        using var answer = JsonDocument.Parse(await negotiate.Content.ReadAsStringAsync());
        var token = answer.RootElement.GetProperty("connectionToken").GetString();

        var socket = new ClientWebSocket();
        await socket.ConnectAsync(new Uri("ws" + app.BaseUrl["http".Length..] + "/_blazor?id=" + token), CancellationToken.None);
        await socket.SendAsync(Encoding.UTF8.GetBytes("{\"protocol\":\"blazorpack\",\"version\":1}\u001e"), WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);
        var reply = new byte[1024];
        var received = await socket.ReceiveAsync(reply, CancellationToken.None);
        Assert.Equal("{}\u001e", Encoding.UTF8.GetString(reply, 0, received.Count)); // handshake accepted
        return socket;
    }

    private static IEnumerable<byte> Varint(int value)
    {
        do
        {
            var b = (byte)(value & 0x7f);
            value >>= 7;
            yield return value > 0 ? (byte)(b | 0x80) : b;
        } while (value > 0);
    }
}
