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
