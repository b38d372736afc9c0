using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace Images.Infrastructure.Persistence;

/// <summary>Lets <c>dotnet ef migrations add</c> build the model without a running host.</summary>
internal sealed class DesignTimeDbContextFactory : IDesignTimeDbContextFactory<ImagesDbContext>
{
    public ImagesDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<ImagesDbContext>()
            .UseImagesDatabase("Host=localhost;Database=images;Username=design;Password=design")
            .Options);
}
