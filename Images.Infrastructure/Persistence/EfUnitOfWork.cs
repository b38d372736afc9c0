using Images.Application.Abstractions;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.Logging;

namespace Images.Infrastructure.Persistence;

/// <summary>
/// The unit of work on the scope's <see cref="ImagesDbContext"/>: the repository's writes and the
/// outbox row of the same scope use its connection and transaction. What cannot join the
/// transaction runs after it: on commit, or on rollback.
/// </summary>
internal sealed partial class EfUnitOfWork(ImagesDbContext db, ILogger<EfUnitOfWork> logger) : IUnitOfWork
{
    public IUnitOfWorkTransaction? Current { get; private set; }

    public async Task<IUnitOfWorkTransaction> BeginAsync(CancellationToken cancellationToken)
    {
        if (Current is not null)
        {
            throw new InvalidOperationException("A unit of work is already open in this scope.");
        }

        var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        return Current = new Transaction(this, transaction);
    }

    /// <summary>What a rolled-back transaction added or changed is not tracked any more.</summary>
    private void Forget() => db.ChangeTracker.Clear();

    [LoggerMessage(Level = LogLevel.Error, Message = "An action after the unit of work {Outcome} failed")]
    private partial void LogActionFailed(Exception exception, string outcome);

    private sealed class Transaction(EfUnitOfWork owner, IDbContextTransaction inner) : IUnitOfWorkTransaction
    {
        private readonly List<Action> _committed = [];
        private readonly List<Func<Task>> _rolledBack = [];
        private bool _committedOk;

        public void OnCommitted(Action action) => _committed.Add(action);

        public void OnRolledBack(Func<Task> action) => _rolledBack.Add(action);

        public async Task CommitAsync(CancellationToken cancellationToken)
        {
            await inner.CommitAsync(cancellationToken);
            _committedOk = true;
            owner.Current = null;
            foreach (var action in _committed)
            {
                Run(action, "committed");
            }
        }

        public async ValueTask DisposeAsync()
        {
            owner.Current = null;
            if (!_committedOk)
            {
                try
                {
                    await inner.RollbackAsync();
                }
#pragma warning disable CA1031 // The connection may be what failed; the server rolls back on its own then.
                catch (Exception ex)
#pragma warning restore CA1031
                {
                    owner.LogActionFailed(ex, "rolled back");
                }

                await inner.DisposeAsync();
                owner.Forget();
                foreach (var action in _rolledBack)
                {
                    try
                    {
                        await action();
                    }
#pragma warning disable CA1031 // Clean-up must not hide the failure that caused the rollback.
                    catch (Exception ex)
#pragma warning restore CA1031
                    {
                        owner.LogActionFailed(ex, "rolled back");
                    }
                }

                return;
            }

            await inner.DisposeAsync();
        }

        private void Run(Action action, string outcome)
        {
            try
            {
                action();
            }
#pragma warning disable CA1031 // The commit stands whatever a follow-up does.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                owner.LogActionFailed(ex, outcome);
            }
        }
    }
}
