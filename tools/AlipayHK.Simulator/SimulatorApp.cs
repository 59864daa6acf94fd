using System.Text.Json.Serialization;
using AlipayHK.Simulator.Authorization;
using AlipayHK.Simulator.Bills;
using AlipayHK.Simulator.CircleStores;
using AlipayHK.Simulator.Faults;
using AlipayHK.Simulator.Inspection;
using AlipayHK.Simulator.Passes;
using AlipayHK.Simulator.Protocol;
using AlipayHK.Simulator.Webhooks;

namespace AlipayHK.Simulator;

/// <summary>Wires the simulator into a web application: the one code path of the tool and of embedded tests.</summary>
internal static class SimulatorApp
{
    public static WebApplication Build(WebApplicationBuilder builder, SimulatorOptions options, TimeProvider clock)
    {
        var keys = SimulatorKeys.Load(options, clock);
        var state = new SimulatorState(options, clock);
        var faults = new FaultRules();
        foreach (var rule in options.Faults)
        {
            faults.Add(rule);
        }

        builder.WebHost.UseUrls(options.Urls);
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(clock);
        builder.Services.AddSingleton(keys);
        builder.Services.AddSingleton(state);
        builder.Services.AddSingleton(faults);
        builder.Services.AddSingleton(state.Calls);
        builder.Services.AddSingleton<SignedApiPipeline>();
        builder.Services.AddSingleton(services => new WebhookSender(options, keys, state.Webhooks, clock, services.GetRequiredService<ILogger<WebhookSender>>()));
        builder.Services.ConfigureHttpJsonOptions(json => json.SerializerOptions.Converters.Add(new JsonStringEnumConverter()));

        var app = builder.Build();
        if (!string.IsNullOrEmpty(options.PathBase))
        {
            // Before routing, so endpoints match below the prefix and the pipeline sees it in PathBase.
            app.UsePathBase(options.PathBase);
            app.UseRouting();
        }
        var pipeline = app.Services.GetRequiredService<SignedApiPipeline>();
        IEnumerable<ApiEndpoint> apis =
        [
            .. new PassApis(options, state.Templates, state.Passes).Endpoints,
            new ApplyTokenApi(options, state.Authorizations).Endpoint,
            new BillQueryApi(state.Bills, state.Authorizations).Endpoint,
            .. new CircleStoreApis(state.CircleStores).Endpoints,
        ];
        foreach (var api in apis)
        {
            app.MapPost(api.Path, context => pipeline.HandleAsync(context, api));
        }
        var admin = AdminEndpoints.Map(app, options, keys, state, faults);
        WebhookAdminEndpoints.Map(admin, app.Services.GetRequiredService<WebhookSender>(), state.Webhooks);
        return app;
    }
}
