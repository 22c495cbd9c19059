using System.Collections;
using System.Reflection;
using System.Text;
using System.Text.Json;
using Faultline.Core.Model;
using Faultline.Core.Running;

namespace Faultline.Core.Tests.Running;

/// <summary>
/// Redaction of results is decided in one place (<see cref="ResultRedaction"/>). A result whose every
/// text — through every nested record, list and dictionary, found by reflection — carries a secret
/// comes out without it: a field added to the model later and forgotten in the redaction fails here.
/// </summary>
public class ResultRedactionTests
{
    private const string Secret = "s3cr3t-VALUE-4711";

    /// <summary>Names the config gives (target, kind, category, dependencies) and the closed error-kind list: never server text, never a secret.</summary>
    private static readonly HashSet<string> ConfigIdentity = ["$.Name", "$.Kind", "$.Category", "$.Error.Kind", "$.DependsOn[0]", "$.Service", "$.Cause.Target"];

    [Fact]
    public void Redact_EveryTextOfAResultHoldsTheSecret_NoneIsLeft()
    {
        var result = (TargetResult)Fill(typeof(TargetResult), depth: 0)!;
        var before = JsonSerializer.Serialize(result);
        var filled = Occurrences(before);
        Assert.True(filled >= 80, $"the filled result holds the secret only {filled} times: the filler missed fields");

        var redacted = SecretRedactor.Of([Secret]).Redact(result);

        var after = JsonSerializer.Serialize(redacted);
        var left = Paths(JsonDocument.Parse(after).RootElement, "$")
            .Where(p => p.Value.Contains(Secret, StringComparison.Ordinal) && !ConfigIdentity.Contains(p.Path))
            .Select(p => p.Path)
            .ToList();
        Assert.True(left.Count == 0, "the secret is still in: " + string.Join(", ", left));
        Assert.Contains(SecretRedactor.Mask, after, StringComparison.Ordinal);
    }

    [Fact]
    public void Redact_NothingKnown_ReturnsTheSameResult()
    {
        var result = (TargetResult)Fill(typeof(TargetResult), depth: 0)!;
        Assert.Same(result, new SecretRedactor().Redact(result));
    }

    [Theory]
    [InlineData("Bearer tok-9f8e7d6c5b", "tok-9f8e7d6c5b")]
    [InlineData("Basic dXNlcjpodW50ZXIy", "dXNlcjpodW50ZXIy")]
    [InlineData("Basic dXNlcjpodW50ZXIy", "user:hunter2")]
    [InlineData("Basic dXNlcjpodW50ZXIy", "hunter2")]
    [InlineData("pa\"ss/wo+rd<1>", "pa\\u0022ss/wo\\u002Brd\\u003C1\\u003E")]
    [InlineData("pa\"ss/wo+rd<1>", "pa\\\"ss/wo+rd<1>")]
    [InlineData("a b&c=d/e", "a%20b%26c%3Dd%2Fe")]
    public void Redact_AValueInTheFormAServerEchoesIt_IsRemoved(string configured, string echoed)
    {
        var redactor = SecretRedactor.Of([configured]);

        var text = redactor.Redact($"{{\"headers\": {{\"x\": \"{echoed}\"}}}}");

        Assert.DoesNotContain(echoed, text, StringComparison.Ordinal);
        Assert.Contains(SecretRedactor.Mask, text, StringComparison.Ordinal);
    }

    [Fact]
    public void Add_AWordAfterASpaceThatIsNoAuthScheme_IsNotASecretOnItsOwn()
    {
        var redactor = SecretRedactor.Of(["hello world"]);

        Assert.Equal("world peace", redactor.Redact("world peace"));
    }

    private static int Occurrences(string text)
    {
        var count = 0;
        for (var i = text.IndexOf(Secret, StringComparison.Ordinal); i >= 0; i = text.IndexOf(Secret, i + 1, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }

    private static IEnumerable<(string Path, string Value)> Paths(JsonElement element, string path)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    yield return (path + "." + property.Name, property.Name);
                    foreach (var inner in Paths(property.Value, path + "." + property.Name))
                    {
                        yield return inner;
                    }
                }

                break;
            case JsonValueKind.Array:
                var index = 0;
                foreach (var item in element.EnumerateArray())
                {
                    foreach (var inner in Paths(item, $"{path}[{index++}]"))
                    {
                        yield return inner;
                    }
                }

                break;
            case JsonValueKind.String:
                yield return (path, element.GetString()!);
                break;
        }
    }

    /// <summary>An instance of <paramref name="type"/> whose every text (and dictionary key) holds the secret.</summary>
    private static object? Fill(Type type, int depth)
    {
        if (depth > 8)
        {
            return null;
        }

        if (Nullable.GetUnderlyingType(type) is { } underlying)
        {
            return Fill(underlying, depth);
        }

        if (type == typeof(string))
        {
            return $"<{Secret}>";
        }

        if (type.IsEnum)
        {
            return Enum.GetValues(type).GetValue(0);
        }

        if (type == typeof(bool))
        {
            return true;
        }

        if (type.IsPrimitive || type == typeof(decimal))
        {
            return Convert.ChangeType(1, type, System.Globalization.CultureInfo.InvariantCulture);
        }

        if (type == typeof(TimeSpan))
        {
            return TimeSpan.FromSeconds(1);
        }

        if (type == typeof(DateTimeOffset))
        {
            return DateTimeOffset.UnixEpoch;
        }

        if (typeof(Exception).IsAssignableFrom(type))
        {
            return null;
        }

        if (type.IsGenericType && type.GetGenericTypeDefinition() is var definition
            && (definition == typeof(IReadOnlyDictionary<,>) || definition == typeof(Dictionary<,>) || definition == typeof(IDictionary<,>)))
        {
            var args = type.GetGenericArguments();
            var dictionary = (IDictionary)Activator.CreateInstance(typeof(Dictionary<,>).MakeGenericType(args))!;
            dictionary[Fill(args[0], depth + 1)!] = Fill(args[1], depth + 1);
            return dictionary;
        }

        if (type.IsGenericType && (type.GetGenericTypeDefinition() == typeof(IReadOnlyList<>) || type.GetGenericTypeDefinition() == typeof(List<>)
            || type.GetGenericTypeDefinition() == typeof(IReadOnlyCollection<>) || type.GetGenericTypeDefinition() == typeof(IEnumerable<>)))
        {
            var item = type.GetGenericArguments()[0];
            var list = (IList)Activator.CreateInstance(typeof(List<>).MakeGenericType(item))!;
            list.Add(Fill(item, depth + 1));
            return list;
        }

        var constructor = type.GetConstructors().OrderByDescending(c => c.GetParameters().Length).First();
        var instance = constructor.Invoke([.. constructor.GetParameters().Select(p => Fill(p.ParameterType, depth + 1))]);
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (property.SetMethod is { IsPublic: true } && property.GetIndexParameters().Length == 0 && property.GetValue(instance) is var current
                && (current is null || current is string || current is IEnumerable || !property.PropertyType.IsValueType))
            {
                if (Fill(property.PropertyType, depth + 1) is { } value)
                {
                    property.SetValue(instance, value);
                }
            }
        }

        return instance;
    }
}
