using System.Text.Json.Serialization;
using Faultline.Core.Config;

namespace Faultline.Monitor.Engine;

/// <summary>Serialises a target spec to compare two versions of it on reload.</summary>
[JsonSerializable(typeof(TargetSpec))]
internal sealed partial class SpecJson : JsonSerializerContext;
