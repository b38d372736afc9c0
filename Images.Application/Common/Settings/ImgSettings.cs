using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Images.Application.Common.Settings;

/// <summary>
/// An options type of one concern, read from the seed's IMG_ variables by its own
/// <see cref="Bind"/>, which sits beside the type and takes each default from the property's initial
/// value, so that every default is written once (NFR-2).
/// </summary>
public interface IImgSettings<TSelf>
    where TSelf : class, IImgSettings<TSelf>, new()
{
    static abstract void Bind(TSelf options, ImgSettingsReader reader);
}

public static class ImgSettings
{
    /// <summary>
    /// Registers <typeparamref name="T"/>, validated when the host starts: a bad value stops the
    /// process with a message naming the variable, with every bad value at once.
    /// </summary>
    public static IServiceCollection AddImgOptions<T>(this IServiceCollection services)
        where T : class, IImgSettings<T>, new()
    {
        services.AddOptions<T>()
            .Configure<IConfiguration>((options, configuration) => T.Bind(options, new ImgSettingsReader(configuration)))
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<T>>(sp => new Validator<T>(sp.GetRequiredService<IConfiguration>()));
        return services;
    }

    /// <summary>Reads <typeparamref name="T"/> now, for a decision made while composing a host (which transport, which port).</summary>
    public static T Read<T>(IConfiguration configuration)
        where T : class, IImgSettings<T>, new()
    {
        var options = new T();
        T.Bind(options, new ImgSettingsReader(configuration));
        return options;
    }

    private sealed class Validator<T>(IConfiguration configuration) : IValidateOptions<T>
        where T : class, IImgSettings<T>, new()
    {
        public ValidateOptionsResult Validate(string? name, T options)
        {
            var reader = new ImgSettingsReader(configuration);
            T.Bind(new T(), reader);
            return reader.Errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(reader.Errors);
        }
    }
}
