using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.Hosting;

// The worker as Azure runs it: ASP.NET Core integration for HTTP, the generated metadata, out of process.
var builder = FunctionsApplication.CreateBuilder(args);
builder.ConfigureFunctionsWebApplication();
await builder.Build().RunAsync().ConfigureAwait(false);
