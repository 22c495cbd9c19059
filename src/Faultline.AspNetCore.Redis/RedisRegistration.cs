using StackExchange.Redis;

namespace Faultline.AspNetCore.Redis;

/// <summary>What <c>AddRedis</c> was given for one dependency.</summary>
internal sealed record RedisRegistration(string Name, string? ConnectionString, Action<ConfigurationOptions>? ConfigureClient);
