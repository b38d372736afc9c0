using Amazon.S3.Model;

namespace Images.Infrastructure.Storage.S3;

/// <summary>
/// An object read as it is sent: seekable over its known length, so ASP.NET Core answers Range
/// requests (206) from it. Reading goes on from the open response; a seek elsewhere closes it and
/// the next read opens a ranged GET from the new position. Store errors while reading are the
/// store's (<see cref="Application.Common.StorageUnavailableException"/>).
/// </summary>
internal sealed class S3ReadStream : Stream
{
    private readonly S3BlobStore _store;
    private readonly string _key;
    private GetObjectResponse? _response;
    private long _position;
    private long _responseAt;

    public S3ReadStream(S3BlobStore store, string key, GetObjectResponse response)
    {
        _store = store;
        _key = key;
        _response = response;
        Length = response.ContentLength;
    }

    public override bool CanRead => true;

    public override bool CanSeek => true;

    public override bool CanWrite => false;

    public override long Length { get; }

    public override long Position
    {
        get => _position;
        set => Seek(value, SeekOrigin.Begin);
    }

    public override int Read(byte[] buffer, int offset, int count) =>
        ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_position >= Length || buffer.Length == 0)
        {
            return 0;
        }

        if (_response is null || _responseAt != _position)
        {
            _response?.Dispose();
            _response = await _store.GetAsync(_key, new ByteRange(_position, Length - 1), cancellationToken)
                ?? throw new Application.Common.StorageUnavailableException(
                    "The image store lost an object while it was being read.", full: false, new FileNotFoundException(_key));
            _responseAt = _position;
        }

        int read;
        try
        {
            read = await _response.ResponseStream.ReadAsync(buffer, cancellationToken);
        }
        catch (Exception ex) when (S3Faults.IsStoreFault(ex, cancellationToken))
        {
            throw S3Faults.Unavailable(ex);
        }

        if (read == 0 && _position < Length)
        {
            throw new Application.Common.StorageUnavailableException(
                "The image store ended an object early.", full: false, new EndOfStreamException(_key));
        }

        _position += read;
        _responseAt = _position;
        return read;
    }

    public override long Seek(long offset, SeekOrigin origin)
    {
        var target = origin switch
        {
            SeekOrigin.Begin => offset,
            SeekOrigin.Current => _position + offset,
            _ => Length + offset,
        };
        ArgumentOutOfRangeException.ThrowIfNegative(target, nameof(offset));
        _position = target;
        return target;
    }

    public override void Flush()
    {
    }

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _response?.Dispose();
            _response = null;
        }

        base.Dispose(disposing);
    }
}
