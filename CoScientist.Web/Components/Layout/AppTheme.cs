using MudBlazor;

namespace CoScientist.Web.Components.Layout;

/// <summary>
/// MudBlazor's palettes with the colours that carry text darkened (light theme) or lightened (dark theme) until
/// every pairing the app shows reaches WCAG AA contrast, 4.5:1: text on the surface, white or dark text on a
/// filled chip or button, coloured text on a tinted alert or chip. The defaults (e.g. white on #00c853, 2.2:1)
/// failed axe-core's colour-contrast rule. The hues stay MudBlazor's, so the app still looks like itself.
/// </summary>
public static class AppTheme
{
    // Text on the dark theme's pale filled colours: dark, as white on them would be unreadable.
    private const string DarkInk = "#1e1e2d";

    public static MudTheme Value { get; } = new()
    {
        PaletteLight = new PaletteLight
        {
            Secondary = "#c2185b",
            Tertiary = "#00796b",
            Info = "#1565c0",
            Success = "#2e7d32",
            Warning = "#a84f00",
            Error = "#c62828",
        },
        PaletteDark = new PaletteDark
        {
            Primary = "#a99ff5",
            PrimaryContrastText = DarkInk,
            Secondary = "#ff80ab",
            SecondaryContrastText = DarkInk,
            Tertiary = "#4fd1b5",
            TertiaryContrastText = DarkInk,
            // Alerts write their text in the "darken" shade; on a dark surface it has to be the lighter one.
            Info = "#7cc4ff",
            InfoDarken = "#9fd3ff",
            InfoContrastText = DarkInk,
            Success = "#4cd39b",
            SuccessDarken = "#7ee0b5",
            SuccessContrastText = DarkInk,
            Warning = "#ffb74d",
            WarningDarken = "#ffcc80",
            WarningContrastText = DarkInk,
            Error = "#ff8a80",
            ErrorDarken = "#ffaaa3",
            ErrorContrastText = DarkInk,
            TextSecondary = "rgba(255,255,255,0.7)",
        },
    };
}
