using Images.Infrastructure.Common;

namespace Images.Infrastructure.Messaging.Kafka;

/// <summary>Wakes the outbox relay as soon as a task is written, instead of at its next poll.</summary>
public sealed class OutboxSignal : WakeSignal;
