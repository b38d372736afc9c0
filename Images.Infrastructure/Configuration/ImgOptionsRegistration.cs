using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Images.Infrastructure.Configuration;

public static class ImgOptionsRegistration
{
    /// <summary>
    /// Registers options of type <typeparamref name="T"/> bound from IMG_ variables by <paramref name="bind"/>,
    /// validated when the host starts: a bad value stops the process with a message naming the variable.
    /// </summary>
    public static IServiceCollection AddImgOptions<T>(this IServiceCollection services, Action<T, ImgSettingsReader> bind)
        where T : class, new()
    {
        services.AddOptions<T>()
            .Configure<IConfiguration>((options, configuration) => bind(options, new ImgSettingsReader(configuration)))
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<T>>(sp => new Validator<T>(sp.GetRequiredService<IConfiguration>(), bind));
        return services;
    }

    private sealed class Validator<T>(IConfiguration configuration, Action<T, ImgSettingsReader> bind) : IValidateOptions<T>
        where T : class, new()
    {
        public ValidateOptionsResult Validate(string? name, T options)
        {
            var reader = new ImgSettingsReader(configuration);
            bind(new T(), reader);
            return reader.Errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(reader.Errors);
        }
    }
}
