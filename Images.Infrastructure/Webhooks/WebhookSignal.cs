using Images.Infrastructure.Common;

namespace Images.Infrastructure.Webhooks;

/// <summary>Wakes this process's webhook dispatcher once an event committed, instead of at its next poll.</summary>
public sealed class WebhookSignal : WakeSignal;
