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
    }
};

document.addEventListener("click", e => {
    if (e.target && e.target.id === "reconnect-retry" && window.Blazor) window.Blazor.reconnect();
});

// Space on a focused map node opens it (handled by Blazor) and must not scroll the page as well.
document.addEventListener("keydown", e => {
    if (e.key === " " && e.target && e.target.closest && e.target.closest(".proximity-node")) e.preventDefault();
});
