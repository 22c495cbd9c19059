using Faultline.TestSupport;

namespace Faultline.AspNetCore.Tests;

/// <summary>Tests that need the real PostgreSQL and Redis share one fixture.</summary>
[CollectionDefinition(LocalServices.Collection)]
public sealed class LocalServicesCollection : ICollectionFixture<LocalServices>;
