namespace Images.Application.Abstractions;

/// <summary>
/// A transaction that the writes of one use case join: the repository's rows and the processing
/// task of an upload commit together or not at all (FR-1.4, FR-2.7). An adapter whose effect cannot
/// join the transaction (an in-memory queue, a blob written beside the row) registers what to do
/// once it committed, or once it rolled back.
/// </summary>
public interface IUnitOfWork
{
    /// <summary>The open transaction of this scope, or null.</summary>
    IUnitOfWorkTransaction? Current { get; }

    /// <summary>Opens the transaction; disposing it without <see cref="IUnitOfWorkTransaction.CommitAsync"/> rolls everything back.</summary>
    Task<IUnitOfWorkTransaction> BeginAsync(CancellationToken cancellationToken);
}

public interface IUnitOfWorkTransaction : IAsyncDisposable
{
    Task CommitAsync(CancellationToken cancellationToken);

    /// <summary>Runs once the transaction committed (say, hand a task to an in-memory queue).</summary>
    void OnCommitted(Action action);

    /// <summary>Runs once the transaction rolled back (say, collect a blob placed for a row that never landed).</summary>
    void OnRolledBack(Func<Task> action);
}
