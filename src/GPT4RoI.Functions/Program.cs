using GPT4RoI.Functions;
using GPT4RoI.Functions.Telemetry;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.Hosting;

var builder = FunctionsApplication.CreateBuilder(args);
builder.ConfigureFunctionsWebApplication();
builder.Services.AddGpt4RoIFunctions(builder.Configuration);
builder.Services.AddGpt4RoITelemetry(builder.Configuration);
builder.Build().Run();
