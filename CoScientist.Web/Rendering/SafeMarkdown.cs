using Markdig;
using Markdig.Syntax;
using Markdig.Syntax.Inlines;

namespace CoScientist.Web.Rendering;

/// <summary>
/// LLM output is untrusted text. It is rendered as Markdown with raw HTML disabled (tags come out
/// as escaped text), and links and images keep their targets only when those are absolute http(s)
/// addresses; anything else (javascript:, data:, relative) loses its link and stays plain text.
/// Links open in a new tab without a referrer or opener.
/// </summary>
public static class SafeMarkdown
{
    private static readonly MarkdownPipeline Pipeline = new MarkdownPipelineBuilder()
        .DisableHtml()
        .UseEmphasisExtras()
        .UseAutoLinks()
        .Build();

    public static string ToHtml(string? markdown)
    {
        if (string.IsNullOrWhiteSpace(markdown)) return "";
        var document = Markdown.Parse(markdown, Pipeline);
        foreach (var link in document.Descendants<LinkInline>().ToList())
        {
            if (!IsSafe(link.Url))
                Unlink(link);
            else if (link.IsImage)
                link.IsImage = false; // no remote images: they would load from anywhere
        }
        foreach (var auto in document.Descendants<AutolinkInline>().Where(a => !IsSafe(a.Url)).ToList())
            auto.ReplaceBy(new LiteralInline(auto.Url));

        using var writer = new StringWriter();
        var renderer = new Markdig.Renderers.HtmlRenderer(writer);
        Pipeline.Setup(renderer);
        renderer.Render(document);
        return writer.ToString().Replace("<a href=", "<a target=\"_blank\" rel=\"noopener noreferrer nofollow\" href=", StringComparison.Ordinal);
    }

    public static bool IsSafe(string? url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp);

    private static void Unlink(LinkInline link)
    {
        var text = new ContainerInline();
        while (link.FirstChild is { } child)
        {
            child.Remove();
            text.AppendChild(child);
        }
        link.ReplaceBy(text);
    }
}
