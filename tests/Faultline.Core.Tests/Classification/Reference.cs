using YamlDotNet.RepresentationModel;

namespace Faultline.Core.Tests.Classification;

/// <summary>
/// The reference file of proxy signatures (TestData/proxy-signatures.yaml of this test project,
/// copied to the output directory). Test data only: the product keeps its own table in code.
/// </summary>
internal static class Reference
{
    private static readonly Lazy<IReadOnlyList<YamlMappingNode>> Loaded = new(Load);

    public static IReadOnlyList<YamlMappingNode> Proxies => Loaded.Value;

    /// <summary>The copy of the reference file in this test project's TestData folder, copied next to the test assembly.</summary>
    public static string Path => System.IO.Path.Combine(AppContext.BaseDirectory, "TestData", "proxy-signatures.yaml");

    public static YamlMappingNode Proxy(string name) => Proxies.Single(p => Name(p) == name);

    public static string Name(YamlMappingNode proxy) => Scalar(proxy, "name")!;

    public static YamlNode? Child(YamlMappingNode node, string key) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out var child) ? child : null;

    public static string? Scalar(YamlMappingNode node, string key) => (Child(node, key) as YamlScalarNode)?.Value;

    public static IReadOnlyList<string> Sequence(YamlMappingNode node, string key) => Child(node, key) switch
    {
        YamlSequenceNode sequence => sequence.Children.OfType<YamlScalarNode>().Select(s => s.Value!).ToList(),
        YamlScalarNode scalar when scalar.Value is not null => [scalar.Value],
        _ => [],
    };

    private static List<YamlMappingNode> Load()
    {
        using var reader = new StreamReader(Path);
        var stream = new YamlStream();
        stream.Load(reader);
        var root = (YamlMappingNode)stream.Documents[0].RootNode;
        return ((YamlSequenceNode)root.Children[new YamlScalarNode("proxies")]).Children.Cast<YamlMappingNode>().ToList();
    }
}
