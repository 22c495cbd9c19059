using Faultline.TestSupport;

namespace GoldenPath.Tests;

/// <summary>Every test that starts GoldenPath against the local PostgreSQL and Redis runs in this one collection, one at a time.</summary>
[CollectionDefinition(LocalServices.Collection)]
public sealed class LocalServicesCollection : ICollectionFixture<LocalServices>;
