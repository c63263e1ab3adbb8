using CoScientist.Core;
using CoScientist.Core.Configuration;
using CoScientist.Web.Extensions;
using CoScientist.Web.Hosting;

if (HealthCheckCommand.IsRequested(args))
    return await HealthCheckCommand.RunAsync(args);
if (MigrateToPostgresCommand.IsRequested(args))
    return await MigrateToPostgresCommand.RunAsync(args, Console.Out);

var builder = WebApplication.CreateBuilder(args);
builder.Configuration.AddCoScientistYaml(builder.Environment.ContentRootPath, builder.Configuration["CONFIG_PATH"]);
ThreadPoolSizing.Apply(builder.Configuration);

builder.Services.AddCoScientistCore();
builder.AddCoScientistWeb();

var app = builder.Build();
app.UseCoScientistWeb();
app.Run();
return 0;

/// <summary>Visible to WebApplicationFactory in the tests.</summary>
public partial class Program;
