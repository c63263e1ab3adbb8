using System.ComponentModel.DataAnnotations;
using System.Text.RegularExpressions;

namespace CoScientist.Web.Hosting;

/// <summary>
/// Who may frame the app: `frame_ancestors` in config.yaml ('self' and Hugging Face by default),
/// plus the Space's own origin when SPACE_HOST is set (Hugging Face sets it inside a Space).
/// </summary>
public sealed partial class SecurityHeadersOptions : IValidatableObject
{
    public static readonly string[] DefaultFrameAncestors = ["'self'", "https://huggingface.co"];

    /// <summary>CSP sources: 'self', 'none', or an origin such as https://example.org. Empty means the defaults.</summary>
    [ConfigurationKeyName("frame_ancestors"), Display(Name = "frame_ancestors")]
    public List<string> FrameAncestors { get; set; } = [];

    [ConfigurationKeyName("SPACE_HOST"), Display(Name = "SPACE_HOST")]
    public string? SpaceHost { get; set; }

    /// <summary>The frame-ancestors sources in force: the configured list (or the defaults), then the Space's origin.</summary>
    public IReadOnlyList<string> EffectiveFrameAncestors()
    {
        var sources = (FrameAncestors.Count > 0 ? FrameAncestors : [.. DefaultFrameAncestors]).Select(s => s.Trim()).ToList();
        if (sources is ["'none'"])
            return sources;
        if (!string.IsNullOrWhiteSpace(SpaceHost))
            sources.Add("https://" + SpaceHost.Trim());
        return sources.Distinct(StringComparer.OrdinalIgnoreCase).ToList();
    }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        foreach (var source in FrameAncestors.Select(s => s.Trim()))
            if (source is not ("'self'" or "'none'") && !Origin().IsMatch(source))
                yield return new ValidationResult(
                    $"frame_ancestors: '{source}' is not 'self', 'none' or an origin such as https://example.org.", [nameof(FrameAncestors)]);
        if (FrameAncestors.Count > 1 && FrameAncestors.Any(s => s.Trim() == "'none'"))
            yield return new ValidationResult("frame_ancestors: 'none' must stand alone.", [nameof(FrameAncestors)]);
        if (!string.IsNullOrWhiteSpace(SpaceHost) && !Host().IsMatch(SpaceHost.Trim()))
            yield return new ValidationResult($"SPACE_HOST: '{SpaceHost}' is not a host name.", [nameof(SpaceHost)]);
    }

    // No spaces, semicolons or commas: a source cannot smuggle another directive into the header.
    [GeneratedRegex(@"^https?://(\*\.)?[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*(:\d{1,5})?$")]
    private static partial Regex Origin();

    [GeneratedRegex(@"^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*(:\d{1,5})?$")]
    private static partial Regex Host();
}
