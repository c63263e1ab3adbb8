using CoScientist.Core.Research;
using CoScientist.Core.Storage;

namespace CoScientist.Web.Session;

/// <summary>Which research this circuit shows, and what its owner can do with their research.</summary>
public sealed partial class ResearchSession
{
    /// <summary>The browser's identity as a research owner: a salted hash of its HttpOnly cookie, never the cookie.</summary>
    public string OwnerId => _client.Client.BrowserHash;

    /// <summary>Opened through a share link: everything is visible, nothing can be run, changed or spent.</summary>
    public bool IsReadOnly => _readOnly;

    /// <summary>This browser may run, rename, share and delete the research shown.</summary>
    public bool IsOwner => !_readOnly && (_live.Record is null || _live.Record.OwnerId == OwnerId);

    /// <summary>Saved research has an address: /r/{id}.</summary>
    public bool IsSaved => _live.Record is not null;

    /// <summary>Opens the owner's research by its id; false when it does not exist or belongs to another browser.</summary>
    public async Task<bool> OpenAsync(string id)
    {
        if (_live.Id == id && !_readOnly) return _live.Record is null || _live.Record.OwnerId == OwnerId;
        if (await _host.OpenAsync(id) is not { } research)
            return false;
        if (research.Record?.OwnerId != OwnerId)
        {
            _host.Release(research);
            return false;
        }
        Attach(research, readOnly: false);
        return true;
    }

    /// <summary>Opens research through its read-only share link; false when the link was revoked or never existed.</summary>
    public async Task<bool> OpenSharedAsync(string shareToken)
    {
        if (await _host.OpenSharedAsync(shareToken) is not { } research)
            return false;
        Attach(research, readOnly: true);
        _sharedToken = shareToken;
        return true;
    }

    /// <summary>Leaves the research shown for a new, empty one (the home page).</summary>
    public void StartNew()
    {
        if (_live.Record is null && !_readOnly) return;
        Attach(_host.Create(), readOnly: false);
    }

    /// <summary>The share link this reader came through was revoked: the research is no longer theirs to see.</summary>
    public bool LinkRevoked { get; private set; }

    /// <summary>A reader whose link was revoked is detached at once, even mid-cycle.</summary>
    private void DetachIfRevoked()
    {
        if (!_readOnly || _sharedToken is null || _live.Record?.ShareToken == _sharedToken) return;
        Attach(_host.Create(), readOnly: true);
        LinkRevoked = true;
    }

    private void Attach(LiveResearch research, bool readOnly)
    {
        _sharedToken = null;
        LinkRevoked = false;
        var previous = _live;
        _attachment.Dispose();
        _live = research;
        _readOnly = readOnly;
        _limitMessage = null;
        _attachment = research.Subscribe(NotifyAsync);
        // Every research handed to Attach comes with a hold of its own; the one shown before gives its hold back.
        _host.Release(previous);
    }

    public Task<IReadOnlyList<ResearchRecord>> MyResearchAsync() => _host.Store.ListByOwnerAsync(OwnerId);

    /// <summary>The operator's pinned examples that are still shared, for the empty home page.</summary>
    public async Task<IReadOnlyList<ExampleLink>> ExamplesAsync() =>
        (await _host.Store.ListExamplesAsync()).Where(r => r.ShareToken is not null)
        .Select(r => new ExampleLink(r.Title, "/s/" + r.ShareToken, r.Cycles, Hypotheses: 0)).ToList(); // the list does not load each research to count

    /// <summary>Shared research on a similar goal, offered when a limit stops this visitor.</summary>
    public async Task<IReadOnlyList<FallbackLink>> FallbackAsync(string goal) =>
        (await _host.SimilarSharedAsync(goal)).Where(x => x.Record.ShareToken is not null && x.Record.OwnerId != OwnerId)
        .Select(x => new FallbackLink(x.Record.Title, "/s/" + x.Record.ShareToken, x.Similarity, x.Record.IsExample)).ToList();

    /// <summary>Research of this owner on the same goal with the same model, to open instead of paying again.</summary>
    public async Task<ResearchRecord?> SameResearchAsync(string goal, string model)
    {
        goal = goal.Trim();
        return (await MyResearchAsync()).FirstOrDefault(r => r.Id != _live.Id && r.Model == model
            && string.Equals(r.Goal.Trim(), goal, StringComparison.OrdinalIgnoreCase));
    }

    public async Task<bool> RenameAsync(string id, string title)
    {
        if (!await OwnsAsync(id) || string.IsNullOrWhiteSpace(title)) return false;
        title = title.Trim();
        return await _host.Store.RenameAsync(id, title.Length > 200 ? title[..200] : title);
    }

    /// <summary>Deletes the research's content; the spend ledger keeps its costs.</summary>
    public async Task<bool> DeleteAsync(string id)
    {
        if (!await OwnsAsync(id)) return false;
        var research = await _host.OpenAsync(id);
        var deleted = research is not null && await _host.DeleteAsync(research);
        if (deleted && _live.Id == id)
            Attach(_host.Create(), readOnly: false);
        await NotifyAsync();
        return deleted;
    }

    /// <summary>The share token of the research shown, made on first use; null when this browser is not its owner or it is not saved.</summary>
    public Task<string?> ShareAsync() => IsOwner ? _host.ShareAsync(_live) : Task.FromResult<string?>(null);

    public Task RevokeShareAsync() => IsOwner ? _host.RevokeShareAsync(_live) : Task.CompletedTask;

    private async Task<bool> OwnsAsync(string id)
    {
        if (_readOnly) return false;
        var record = _live.Id == id ? _live.Record : await _host.Store.GetRecordAsync(id);
        return record?.OwnerId == OwnerId;
    }
}
