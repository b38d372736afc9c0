using Images.Application.Common.Settings;

namespace Images.Application.Common;

/// <summary>The event stream (FR-12.1): IMG_EVENTS_*.</summary>
public sealed class EventStreamOptions : IImgSettings<EventStreamOptions>
{
    /// <summary>IMG_EVENTS_REPLAY_HOURS: how long an event stays in the log, to be replayed after a Last-Event-ID.</summary>
    public int ReplayHours { get; set; } = 24;

    /// <summary>IMG_EVENTS_HEARTBEAT_SECONDS: the longest silence on an open stream; a comment line is sent then, so proxies keep it open.</summary>
    public int HeartbeatSeconds { get; set; } = 15;

    public TimeSpan ReplayWindow => TimeSpan.FromHours(ReplayHours);

    public static void Bind(EventStreamOptions options, ImgSettingsReader reader)
    {
        options.ReplayHours = reader.Int("IMG_EVENTS_REPLAY_HOURS", options.ReplayHours, 1, 720);
        options.HeartbeatSeconds = reader.Int("IMG_EVENTS_HEARTBEAT_SECONDS", options.HeartbeatSeconds, 1, 300);
    }
}
