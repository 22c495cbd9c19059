using Faultline.TestSupport;

namespace Faultline.Probes.Redis.Tests;

/// <summary>
/// Every test here shares one Redis and runs in this one collection, so a test that shrinks the
/// server's maxmemory never overlaps another that writes.
/// </summary>
[CollectionDefinition(LocalServices.Collection)]
public sealed class LocalServicesCollection : ICollectionFixture<LocalServices>;
