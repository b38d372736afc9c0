namespace Images.Tests.Support;

/// <summary>
/// The Kafka pipeline on the S3 backend (FR-11.2): the Api (in this process) and every Worker
/// process get folders of their own (IMG_STORAGE_BASE_DIR and IMG_S3_STAGING_DIR), so the only
/// things they share are PostgreSQL, Kafka and the S3 endpoint (s3rver, or the store named by
/// IMG_TEST_S3_*; <see cref="OwnServer"/> fixtures always get an s3rver they can kill).
/// </summary>
public class S3PipelineFixture : KafkaPipelineFixture
{
    private readonly List<string> _directories = [];

    public S3TestStore S3 { get; private set; } = null!;

    /// <summary>The Api's staging folder (its own; nothing else writes there).</summary>
    public string ApiStaging { get; private set; } = string.Empty;

    /// <summary>Every folder a process of this fixture was given: none may hold a blob.</summary>
    public IReadOnlyList<string> Directories
    {
        get
        {
            lock (_directories)
            {
                return [.. _directories];
            }
        }
    }

    /// <summary>Whether the fixture needs an s3rver of its own (to kill it), whatever IMG_TEST_S3_* says.</summary>
    protected virtual bool OwnServer => false;

    protected override IDictionary<string, string?> Settings
    {
        get
        {
            var settings = base.Settings;
            foreach (var (key, value) in S3.Settings(ApiStaging))
            {
                settings[key] = value;
            }

            return settings;
        }
    }

    public override async Task InitializeAsync()
    {
        S3 = await S3TestStore.StartAsync(OwnServer);
        ApiStaging = NewDirectory("api-staging");
        await base.InitializeAsync();
    }

    public override Dictionary<string, string> DefaultWorkerEnvironment()
    {
        var environment = base.DefaultWorkerEnvironment();
        environment["IMG_STORAGE_BASE_DIR"] = NewDirectory("worker-storage");
        foreach (var (key, value) in S3.Settings(NewDirectory("worker-staging")))
        {
            environment[key] = value;
        }

        return environment;
    }

    /// <summary>Files left in any process's folder (the Api's storage folder included): a blob there would mean a shared file system.</summary>
    public string[] LocalFiles() =>
        [.. Directories.Append(Factory.StorageDirectory).Where(Directory.Exists).SelectMany(d => Directory.GetFiles(d, "*", SearchOption.AllDirectories))];

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await S3.DisposeAsync();
        foreach (var directory in Directories.Where(Directory.Exists))
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private string NewDirectory(string kind)
    {
        var path = Path.Combine(Path.GetTempPath(), $"images-tests-{kind}-{Guid.NewGuid().ToString("N")[..12]}");
        Directory.CreateDirectory(path);
        lock (_directories)
        {
            _directories.Add(path);
        }

        return path;
    }
}
