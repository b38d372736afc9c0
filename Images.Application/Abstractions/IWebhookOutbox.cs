using Images.Application.Common;

namespace Images.Application.Abstractions;

/// <summary>
/// The webhook outbox (FR-10.2, ADR 13): an event is written for every subscription that wants it,
/// inside the open unit of work of the state change, so the event exists if and only if the change
/// committed. The dispatcher delivers it afterwards.
/// </summary>
public interface IWebhookOutbox
{
    Task RecordAsync(string eventType, ImageDto image, CancellationToken cancellationToken);
}
