using Images.Application.Common;
using Images.Infrastructure.Persistence;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;

namespace Images.Api.Http;

/// <summary>
/// The one place exceptions become RFC 9457 problem responses: validation 422 with an errors map,
/// 404, 413, 415, 501 (signed URLs not configured); an infrastructure fault (the database or the store away, NFR-9) 503 with
/// Retry-After, a full store 507; and, for anything unexpected, a 500 that reveals nothing internal.
/// </summary>
internal sealed partial class ProblemDetailsExceptionHandler(IProblemDetailsService problems, ILogger<ProblemDetailsExceptionHandler> logger)
    : IExceptionHandler
{
    /// <summary>How long a client should wait before retrying after an infrastructure fault.</summary>
    public const int RetryAfterSeconds = 5;

    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        ProblemDetails problem = exception switch
        {
            ValidationException validation => new HttpValidationProblemDetails(validation.Errors.ToDictionary())
            {
                Status = StatusCodes.Status422UnprocessableEntity,
                Title = "Validation failed",
                Detail = validation.Message,
            },
            BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge } => new ProblemDetails
            {
                Status = StatusCodes.Status413PayloadTooLarge,
                Title = "Payload too large",
                Detail = exception.Message,
            },
            BadHttpRequestException bad => new HttpValidationProblemDetails(new Dictionary<string, string[]> { ["request"] = [bad.Message] })
            {
                Status = StatusCodes.Status422UnprocessableEntity,
                Title = "Validation failed",
                Detail = bad.Message,
            },
            IdempotencyKeyMismatchException => new ProblemDetails
            {
                Status = StatusCodes.Status422UnprocessableEntity,
                Title = "Idempotency-Key reused",
                Detail = exception.Message,
            },
            IdempotencyKeyInProgressException => new ProblemDetails
            {
                Status = StatusCodes.Status409Conflict,
                Title = "Request in progress",
                Detail = exception.Message,
            },
            NotFoundException => new ProblemDetails { Status = StatusCodes.Status404NotFound, Title = "Not found", Detail = exception.Message },
            NotAcceptableException => new ProblemDetails { Status = StatusCodes.Status406NotAcceptable, Title = "Not acceptable", Detail = exception.Message },
            UnsupportedMediaTypeException => new ProblemDetails
            {
                Status = StatusCodes.Status415UnsupportedMediaType,
                Title = "Unsupported media type",
                Detail = exception.Message,
            },
            PayloadTooLargeException or RequestTooLargeException => new ProblemDetails
            {
                Status = StatusCodes.Status413PayloadTooLarge,
                Title = "Payload too large",
                Detail = exception.Message,
            },
            SignedUrlsNotConfiguredException => new ProblemDetails
            {
                Status = StatusCodes.Status501NotImplemented,
                Title = "Not implemented",
                Detail = exception.Message,
            },
            StorageUnavailableException { IsFull: true } => new ProblemDetails
            {
                Status = StatusCodes.Status507InsufficientStorage,
                Title = "Insufficient storage",
                Detail = "The image store is full; nothing was stored. Retry later.",
            },
            StorageUnavailableException => Unavailable("The image store is not available; nothing was stored."),
            _ when DatabaseFaults.IsUnavailable(exception) => Unavailable("The database is not available; nothing was stored or changed."),
            _ => new ProblemDetails
            {
                Status = StatusCodes.Status500InternalServerError,
                Title = "Internal server error",
                Detail = "An unexpected error occurred; it has been logged.",
            },
        };

        if (problem.Status == StatusCodes.Status500InternalServerError)
        {
            LogUnhandled(exception, httpContext.Request.Method, httpContext.Request.Path);
        }
        else if (problem.Status is StatusCodes.Status503ServiceUnavailable or StatusCodes.Status507InsufficientStorage)
        {
            httpContext.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            LogUnavailable(exception, httpContext.Request.Method, httpContext.Request.Path, problem.Status.Value);
        }

        httpContext.Response.StatusCode = problem.Status!.Value;
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            ProblemDetails = problem,
            Exception = exception,
        });
    }

    private static ProblemDetails Unavailable(string detail) => new()
    {
        Status = StatusCodes.Status503ServiceUnavailable,
        Title = "Service unavailable",
        Detail = $"{detail} Retry after {RetryAfterSeconds} seconds.",
    };

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Method} {Path} answered {Status}: infrastructure unavailable")]
    private partial void LogUnavailable(Exception exception, string method, string path, int status);

    [LoggerMessage(Level = LogLevel.Error, Message = "Unhandled exception for {Method} {Path}")]
    private partial void LogUnhandled(Exception exception, string method, string path);
}
