using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Images.AppHost;

/// <summary>
/// Kafka as a container (apache/kafka in KRaft mode), written here because Aspire.Hosting.Kafka
/// is not available on these machines. Its connection string is the bootstrap address.
/// </summary>
public sealed class KafkaContainerResource(string name) : ContainerResource(name), IResourceWithConnectionString
{
    public const string PrimaryEndpointName = "tcp";
    public const int ExternalPort = 9092;

    private EndpointReference? _primary;

    public EndpointReference PrimaryEndpoint => _primary ??= new EndpointReference(this, PrimaryEndpointName);

    public ReferenceExpression ConnectionStringExpression =>
        ReferenceExpression.Create($"{PrimaryEndpoint.Property(EndpointProperty.Host)}:{PrimaryEndpoint.Property(EndpointProperty.Port)}");

    /// <summary>Healthy once the broker's port accepts a TCP connection.</summary>
    public static string AddHealthCheck(IDistributedApplicationBuilder builder)
    {
        const string key = "kafka-accepts-connections";
        builder.Services.AddHealthChecks().AddAsyncCheck(key, async cancellationToken =>
        {
            var kafka = builder.Resources.OfType<KafkaContainerResource>().Single();
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(kafka.PrimaryEndpoint.Host, kafka.PrimaryEndpoint.Port, cancellationToken);
                return HealthCheckResult.Healthy();
            }
            catch (Exception ex) when (ex is SocketException or InvalidOperationException)
            {
                return HealthCheckResult.Unhealthy("Kafka does not accept connections yet.", ex);
            }
        });
        return key;
    }
}
