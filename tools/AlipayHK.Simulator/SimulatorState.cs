using AlipayHK.Simulator.Authorization;
using AlipayHK.Simulator.Bills;
using AlipayHK.Simulator.CircleStores;
using AlipayHK.Simulator.Inspection;
using AlipayHK.Simulator.Passes;
using AlipayHK.Simulator.Webhooks;

namespace AlipayHK.Simulator;

/// <summary>Everything the simulated AlipayHK holds, in memory; each part is thread-safe.</summary>
public sealed class SimulatorState
{
    internal SimulatorState(SimulatorOptions options, TimeProvider clock)
    {
        Templates = new TemplateStore(options.Templates);
        Passes = new PassStore(clock);
        Authorizations = new AuthorizationStore(options, clock);
        Bills = new BillBatchStore(clock);
        CircleStores = new CircleStoreRegistry();
        Calls = new CallLog(options.MaxRecordedCalls);
        Webhooks = new WebhookLog();
    }

    /// <summary>Card templates.</summary>
    public TemplateStore Templates { get; }

    /// <summary>Passes in users' wallets, with what each card displays.</summary>
    public PassStore Passes { get; }

    /// <summary>Auth codes and tokens.</summary>
    public AuthorizationStore Authorizations { get; }

    /// <summary>Batches of bills users submitted.</summary>
    public BillBatchStore Bills { get; }

    /// <summary>Shops registered by circleStore/save.</summary>
    public CircleStoreRegistry CircleStores { get; }

    /// <summary>Calls received, with their outcome.</summary>
    public CallLog Calls { get; }

    /// <summary>Webhooks sent, with every attempt.</summary>
    public WebhookLog Webhooks { get; }
}
