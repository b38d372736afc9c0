using Images.Application.Common;
using Images.Application.Images.Process;
using Microsoft.Extensions.DependencyInjection;

namespace Images.Application.Images.BatchProcess;

public sealed record BatchProcessCommand(IReadOnlyList<Guid>? ImageIds, int? Concurrency);

public sealed record BatchItemResult(Guid Id, string Status, string? Error);

public sealed record BatchProcessResult(IReadOnlyList<BatchItemResult> Results, int Succeeded, int Failed);

/// <summary>FR-2.5: 1-100 ids, concurrency 1-32 (default 8); each id's outcome is reported.</summary>
public sealed class BatchProcessImagesHandler(IServiceScopeFactory scopes)
{
    public const int MaxIds = 100;
    public const int MaxConcurrency = 32;
    public const int DefaultConcurrency = 8;

    public async Task<BatchProcessResult> HandleAsync(BatchProcessCommand command, CancellationToken cancellationToken)
    {
        var ids = Validate(command, out var concurrency);
        var results = new BatchItemResult[ids.Count];

        await Parallel.ForEachAsync(
            Enumerable.Range(0, ids.Count),
            new ParallelOptions { MaxDegreeOfParallelism = concurrency, CancellationToken = cancellationToken },
            async (index, ct) =>
            {
                // One scope per image: each gets its own unit of work.
                await using var scope = scopes.CreateAsyncScope();
                var handler = scope.ServiceProvider.GetRequiredService<ProcessImageHandler>();
                try
                {
                    var image = await handler.HandleAsync(ids[index], ct);
                    results[index] = new BatchItemResult(image.Id, image.Status, image.Error);
                }
                catch (NotFoundException)
                {
                    results[index] = new BatchItemResult(ids[index], "not_found", "Image not found.");
                }
            });

        var succeeded = results.Count(r => r.Status == "completed");
        return new BatchProcessResult(results, succeeded, results.Length - succeeded);
    }

    private static List<Guid> Validate(BatchProcessCommand command, out int concurrency)
    {
        var errors = new Dictionary<string, string[]>();
        concurrency = command.Concurrency ?? DefaultConcurrency;
        if (concurrency is < 1 or > MaxConcurrency)
        {
            errors["concurrency"] = [$"concurrency must be between 1 and {MaxConcurrency}; got {concurrency}."];
        }

        var ids = new List<Guid>();
        if (command.ImageIds is null || command.ImageIds.Count is < 1 or > MaxIds)
        {
            errors["image_ids"] = [$"image_ids must hold between 1 and {MaxIds} ids; got {command.ImageIds?.Count ?? 0}."];
        }
        else
        {
            ids.AddRange(command.ImageIds.Distinct());
        }

        if (errors.Count > 0)
        {
            throw new ValidationException(errors);
        }

        return ids;
    }
}
