// Downloads text produced on the server (exports) as a file. No inline script: CSP stays strict.
window.coscientist = {
    download(filename, contentType, content) {
        const url = URL.createObjectURL(new Blob([content], { type: contentType }));
        const link = document.createElement("a");
        link.href = url;
        link.download = filename;
        document.body.appendChild(link);
        link.click();
        link.remove();
        setTimeout(() => URL.revokeObjectURL(url), 10000);
    },
    // True when the text reached the clipboard; false where the browser refuses (no secure context, no permission).
    async copyText(text) {
        try {
            await navigator.clipboard.writeText(text);
            return true;
        } catch {
            return false;
        }
    }
};

document.addEventListener("click", e => {
    if (e.target && e.target.id === "reconnect-retry" && window.Blazor) window.Blazor.reconnect();
});

// Space on a focused map node opens it (handled by Blazor) and must not scroll the page as well.
document.addEventListener("keydown", e => {
    if (e.key === " " && e.target && e.target.closest && e.target.closest(".proximity-node")) e.preventDefault();
});

// A value too large for one message to the server (circuits:max_message_bytes) would close the
// connection, and the page would reconnect without a word. Before Blazor sends an input or change
// event, cut such a value to the field's limit (its maxlength) and say so, as a browser does for a paste.
(() => {
    const limit = Number(document.body.dataset.maxMessageBytes) || 32 * 1024;
    const budget = limit - 2048; // the event's envelope travels with the value
    const encoder = new TextEncoder();
    const size = text => encoder.encode(JSON.stringify(text)).length;
    const fits = text => text.length * 6 <= budget || size(text) <= budget; // 6: the longest JSON escape of one character

    function guard(e) {
        const field = e.target;
        if (!(field instanceof HTMLTextAreaElement || field instanceof HTMLInputElement)) return;
        const notice = document.getElementById("too-long-notice");
        if (fits(field.value)) {
            // The next edit of that field within the limit (not the change event that follows a cut) clears the notice.
            if (e.type === "input" && notice && !notice.hidden && notice.dataset.field === field.id) notice.hidden = true;
            return;
        }
        let keep = field.maxLength > 0 ? field.maxLength : Math.floor(budget / 6);
        while (keep > 0 && !fits(field.value.slice(0, keep))) keep = Math.floor(keep * 0.9);
        field.value = field.value.slice(0, keep);
        if (!notice) return;
        notice.querySelector(".too-long-text").textContent =
            `That text is too long to send: the limit is ${keep.toLocaleString("en-US")} characters. It was cut to the first ${keep.toLocaleString("en-US")}.`;
        notice.dataset.field = field.id;
        notice.hidden = false;
    }
    // Capturing on window runs before Blazor's own listeners, so Blazor sends the value as cut.
    window.addEventListener("input", guard, true);
    window.addEventListener("change", guard, true);
    document.addEventListener("click", e => {
        if (e.target && e.target.classList && e.target.classList.contains("too-long-dismiss")) document.getElementById("too-long-notice").hidden = true;
    });
})();
