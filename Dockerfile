# CoScientist as a Hugging Face Docker Space (or any container host).
# Build: docker build -t coscientist .    Run: docker run -p 7860:7860 -e OPENROUTER_API_KEY=... coscientist
# No secret is baked in: OPENROUTER_API_KEY and ADMIN_TOKEN come from the Space's secrets at run time.

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY Directory.Build.props Directory.Packages.props config.yaml appsettings.Production.json ./
COPY CoScientist.Core/CoScientist.Core.csproj CoScientist.Core/
COPY CoScientist.Web/CoScientist.Web.csproj CoScientist.Web/
RUN dotnet restore CoScientist.Web/CoScientist.Web.csproj -r linux-x64
COPY CoScientist.Core/ CoScientist.Core/
COPY CoScientist.Web/ CoScientist.Web/
# linux-x64 only: the other platforms' native ONNX Runtime and SQLite builds would add 250 MB.
RUN dotnet publish CoScientist.Web/CoScientist.Web.csproj -c Release -r linux-x64 --self-contained false -o /app --no-restore /p:UseAppHost=false

FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS final
# Spaces run containers as uid 1000; the app folder stays read-only to it, only /data is writable.
RUN mkdir -p /data && chown 1000:1000 /data
WORKDIR /app
COPY --from=build /app .
USER 1000
ENV ASPNETCORE_HTTP_PORTS=7860 \
    ASPNETCORE_ENVIRONMENT=Production \
    DEPLOYMENT_ENV=production \
    DATA_DIR=/data
EXPOSE 7860
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["dotnet", "CoScientist.Web.dll", "--healthcheck", "http://127.0.0.1:7860/healthz"]
CMD ["dotnet", "CoScientist.Web.dll"]
