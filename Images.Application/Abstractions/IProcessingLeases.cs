namespace Images.Application.Abstractions;

/// <summary>
/// Renews the processing lease of an image while its holder works on it (NFR-9), on a connection of
/// its own so that it runs beside the use case's unit of work.
/// </summary>
public interface IProcessingLeases
{
    /// <summary>
    /// Extends the lease to <paramref name="until"/> when <paramref name="holder"/> still holds it.
    /// Returns false when it does not (another process took the image over, or the row is gone).
    /// </summary>
    Task<bool> RenewAsync(Guid imageId, string holder, DateTimeOffset until, CancellationToken cancellationToken);
}
