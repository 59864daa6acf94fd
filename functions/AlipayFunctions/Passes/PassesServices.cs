using AlipayFunctions.Hosting;

namespace AlipayFunctions.Passes;

internal static class PassesServices
{
    public static IServiceCollection AddPasses(this IServiceCollection services)
    {
        services.AddSingleton<TemplateCache>();
        services.AddSingleton<IQueueFunction, CreatePassFunction>();
        services.AddSingleton<IQueueFunction, SyncPassFunction>();
        return services;
    }
}
