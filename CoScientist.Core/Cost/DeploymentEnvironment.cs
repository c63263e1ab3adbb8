namespace CoScientist.Core.Cost;

/// <summary>Whether this is the public deployment, and why the app thinks so (shown on the page).</summary>
public sealed record DeploymentEnvironment(bool IsProduction, string Reason)
{
    public string Name => IsProduction ? "production" : "development";

    /// <summary>
    /// Any production marker wins, so a stray "development" in a config file can never open up a
    /// public deployment.
    /// </summary>
    /// <param name="read">Reads a configuration value or environment variable by name.</param>
    /// <param name="hostEnvironmentName">ASP.NET's environment name (ASPNETCORE_ENVIRONMENT).</param>
    public static DeploymentEnvironment Detect(Func<string, string?> read, string? hostEnvironmentName)
    {
        static bool Is(string? value, string expected) => string.Equals(value?.Trim(), expected, StringComparison.OrdinalIgnoreCase);

        if (Is(read("DEPLOYMENT_ENV"), "production"))
            return new(true, "DEPLOYMENT_ENV is production");
        if (!string.IsNullOrWhiteSpace(read("SPACE_ID")))
            return new(true, "running in a Hugging Face Space (SPACE_ID is set)");
        if (Is(read("HF_SPACES_DEPLOYMENT"), "true"))
            return new(true, "HF_SPACES_DEPLOYMENT is true");
        if (Is(hostEnvironmentName, "Production"))
            return new(true, "ASPNETCORE_ENVIRONMENT is Production");
        if (Is(read("deployment:environment"), "production"))
            return new(true, "deployment:environment is production");
        return new(false, Is(read("deployment:environment"), "development")
            ? "deployment:environment is development"
            : "no production marker is set (DEPLOYMENT_ENV, SPACE_ID, HF_SPACES_DEPLOYMENT, ASPNETCORE_ENVIRONMENT)");
    }
}
